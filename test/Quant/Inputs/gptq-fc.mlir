func.func @main(%x: tensor<?x4xf32> {onnx.name = "x"}) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[0.9, -0.36, 0.05, 0.2]]> : tensor<1x4xf32>
  %b = arith.constant dense<[0.1]> : tensor<1xf32>
  %f = nn.fully_connected %x, %w, %b : (tensor<?x4xf32>, tensor<1x4xf32>, tensor<1xf32>) -> tensor<?x1xf32> loc("fc")
  return %f : tensor<?x1xf32>
}

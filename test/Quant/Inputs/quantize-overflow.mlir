func.func @main(%x: tensor<1x2x2x2xf32> {onnx.name = "x"}) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[0.9]], [[-0.3]]], [[[0.05]], [[0.2]]]]> : tensor<2x2x1x1xf32>
  %b = arith.constant dense<[BIAS, 0.0]> : tensor<2xf32>
  %c = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %r = nn.relu %c : tensor<1x2x2x2xf32> loc("relu")
  return %r : tensor<1x2x2x2xf32>
}

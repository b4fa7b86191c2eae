// Two named inputs with a dynamic batch: conv(a) + b, ReLU.
func.func @main(%a: tensor<?x2x2x2xf32> {onnx.name = "a"}, %b: tensor<?x2x2x2xf32> {onnx.name = "b"}) -> tensor<?x2x2x2xf32> {
  %w = arith.constant dense<[[[[0.9]], [[-0.3]]], [[[0.05]], [[0.2]]]]> : tensor<2x2x1x1xf32>
  %c = nn.conv %a, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<?x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<?x2x2x2xf32> loc("conv")
  %s = nn.add %c, %b : (tensor<?x2x2x2xf32>, tensor<?x2x2x2xf32>) -> tensor<?x2x2x2xf32> loc("add")
  %r = nn.relu %s : tensor<?x2x2x2xf32> loc("relu")
  return %r : tensor<?x2x2x2xf32>
}

func.func @main(%x: tensor<1x2x2x2xf32> {onnx.name = "x"}) -> (tensor<1x1xf32>, tensor<1x4x1x1xf32>) {
  %w = arith.constant dense<[[[[0.9]], [[-0.3]]], [[[0.05]], [[0.2]]]]> : tensor<2x2x1x1xf32>
  %b = arith.constant dense<[0.1, -0.05]> : tensor<2xf32>
  %c = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %r = nn.relu %c : tensor<1x2x2x2xf32> loc("relu")
  %p = nn.max_pool %r {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32> loc("pool")
  %s = nn.sigmoid %p : tensor<1x2x1x1xf32> loc("sig")
  %a = nn.add %s, %p : (tensor<1x2x1x1xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32> loc("add")
  %k = nn.clip %a {min = 0.0 : f32, max = 6.0 : f32} : tensor<1x2x1x1xf32> loc("clip")
  %cat = nn.concat %k, %p {axis = 1 : i64} : (tensor<1x2x1x1xf32>, tensor<1x2x1x1xf32>) -> tensor<1x4x1x1xf32> loc("cat")
  %fw = arith.constant dense<[[0.5, -1.0, 0.25, 0.0]]> : tensor<1x4xf32>
  %f = nn.fully_connected %cat, %fw : (tensor<1x4x1x1xf32>, tensor<1x4xf32>) -> tensor<1x1xf32> loc("fc")
  return %f, %cat : tensor<1x1xf32>, tensor<1x4x1x1xf32>
}

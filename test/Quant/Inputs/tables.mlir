// Activations between quantized maps (tables.test): x holds every int8 code
// of both channels (through an identity max pool, so it is quantized); each activation feeds an identity max pool (quantized),
// so it sits between a dequantize and a quantize.
func.func @main(%x: tensor<1x2x16x16xf32> {onnx.name = "x"})
    -> (tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>,
        tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) {
  %px = nn.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> loc("px")
  %s = nn.sigmoid %px : tensor<1x2x16x16xf32> loc("sig")
  %t = nn.tanh %px : tensor<1x2x16x16xf32> loc("tanh")
  %h = nn.hard_sigmoid %px {alpha = 0.16666667 : f32, beta = 0.5 : f32} : tensor<1x2x16x16xf32> loc("hsig")
  %g = nn.hard_sigmoid %px {alpha = 0.16666667 : f32, beta = 0.5 : f32} : tensor<1x2x16x16xf32> loc("hswish.gate")
  %w = nn.mul %px, %g : (tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> loc("hswish")
  %l = nn.leaky_relu %px {alpha = 0.1 : f32} : tensor<1x2x16x16xf32> loc("leaky")
  %e = nn.exp %px : tensor<1x2x16x16xf32> loc("exp")
  %p0 = nn.max_pool %s {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> loc("p0")
  %p1 = nn.max_pool %t {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> loc("p1")
  %p2 = nn.max_pool %h {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> loc("p2")
  %p3 = nn.max_pool %w {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> loc("p3")
  %p4 = nn.max_pool %l {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> loc("p4")
  %p5 = nn.max_pool %e {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> loc("p5")
  return %p0, %p1, %p2, %p3, %p4, %p5 : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>
}

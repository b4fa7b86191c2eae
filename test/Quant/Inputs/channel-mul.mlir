// Squeeze-and-excitation scaling between quantized maps (channel-mul.test):
// x holds every int8 code of its 3 channels in each of 256 images, the gate
// one code per image and channel (every code over the batch); both pass an
// identity max pool (so they are quantized) and the product feeds one (so
// it is quantized): dequantize x, dequantize gate -> nn.mul -> quantize.
func.func @main(%x: tensor<256x3x16x16xf32> {onnx.name = "x"},
                %g: tensor<256x3x1x1xf32> {onnx.name = "g"})
    -> tensor<256x3x16x16xf32> {
  %px = nn.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<256x3x16x16xf32>) -> tensor<256x3x16x16xf32> loc("px")
  %pg = nn.max_pool %g {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<256x3x1x1xf32>) -> tensor<256x3x1x1xf32> loc("pg")
  %m = nn.mul %px, %pg : (tensor<256x3x16x16xf32>, tensor<256x3x1x1xf32>) -> tensor<256x3x16x16xf32> loc("se")
  %p = nn.max_pool %m {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<256x3x16x16xf32>) -> tensor<256x3x16x16xf32> loc("p")
  return %p : tensor<256x3x16x16xf32>
}

// RUN: dlp-opt %s -split-input-file --convert-qnn-to-dlp=target=%configs/small.json -verify-diagnostics

// A static batch of 2 with an op mixing the batch (the mean over axis 0):
// the quantized ops are unrolled per image (unrollBatch), which a quantized
// op whose result changes axis 0 cannot be; the error is at that op.
func.func @main(%x: tensor<2x2x3x3xf32>) -> (tensor<4x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %m = nn.reduce_mean %x {axes = array<i64: 0>, keepdims = true} : (tensor<2x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %q = qnn.quantize %x : (tensor<2x2x3x3xf32>) -> tensor<2x2x3x3xi8, #qnn.fmap<[5, 3]>>
  // expected-error @+1 {{'): its result does not keep axis 0}}
  %c = qnn.concat %q, %q {axis = 0 : i64} : (tensor<2x2x3x3xi8, #qnn.fmap<[5, 3]>>, tensor<2x2x3x3xi8, #qnn.fmap<[5, 3]>>) -> tensor<4x2x3x3xi8, #qnn.fmap<[5, 3]>>
  %d = qnn.dequantize %c : (tensor<4x2x3x3xi8, #qnn.fmap<[5, 3]>>) -> tensor<4x2x3x3xf32>
  return %d, %m : tensor<4x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// A batch-2 int8 map returned as it is has no per-image form.
func.func @main(%x: tensor<2x2x3x3xf32>) -> (tensor<2x2x3x3xi8, #qnn.fmap<[5, 3]>>, tensor<1x2x3x3xf32>) {
  %m = nn.reduce_mean %x {axes = array<i64: 0>, keepdims = true} : (tensor<2x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  // expected-error @+1 {{'): a map of several rows on axis 0 is used where no row is}}
  %q = qnn.quantize %x : (tensor<2x2x3x3xf32>) -> tensor<2x2x3x3xi8, #qnn.fmap<[5, 3]>>
  return %q, %m : tensor<2x2x3x3xi8, #qnn.fmap<[5, 3]>>, tensor<1x2x3x3xf32>
}

// A hand-written qnn module that --dlp-quantize would never produce: input
// channel 0 has f = 0 and channel 1 f = 31, so F = 31 and channel 0's int8
// weight 127 is the term 127 << 31 -- every shift is within [0, 31] (the
// verifier accepts it) but the accumulator can overflow int32.
func.func @main(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
  %q = qnn.quantize %x : (tensor<1x2xf32>) -> tensor<1x2xi8, #qnn.fmap<[0, 31]>>
  %w = qnn.constant dense<[[127, 1]]> : tensor<1x2xi8> : tensor<1x2xi8, #qnn.int8w<[0]>>
  %y = qnn.fully_connected %q, %w : (tensor<1x2xi8, #qnn.fmap<[0, 31]>>, tensor<1x2xi8, #qnn.int8w<[0]>>) -> tensor<1x1xi8, #qnn.fmap<[0]>> loc("fc")
  %d = qnn.dequantize %y : (tensor<1x1xi8, #qnn.fmap<[0]>>) -> tensor<1x1xf32>
  return %d : tensor<1x1xf32>
}

// Two 1x1 convs whose input channels have f = 0 and f = 17 and int8
// weights with g = 0: F = 17, so a channel-0 term is q * 2^17 and a
// channel-1 term is q. Input q = (1, 5); bias 2^16 (one half) on channel 3.
//   %big:   channel-0 weights (127, -127, 3, 0): 127 * 2^17 needs a column
//           shift of 2^9 to fit int16 (the limit is 2^8): direct int32 path.
//   %small: channel-0 weights (1, -1, 3, 0): 3 * 2^17 needs a column shift
//           of 2^4, int16 GEMM.
// Outputs at f = 0: round((w0 * 2^17 + w1 * 5 + bias) / 2^17).
func.func @main(%x: tensor<1x2x1x1xf32>) -> (tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>) {
  %xq = qnn.quantize %x : (tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xi8, #qnn.fmap<[0, 17]>>
  %wb = qnn.constant dense<[[[[127]], [[1]]], [[[-127]], [[-1]]], [[[3]], [[-1]]], [[[0]], [[0]]]]> : tensor<4x2x1x1xi8> : tensor<4x2x1x1xi8, #qnn.int8w<[0, 0, 0, 0]>>
  %ws = qnn.constant dense<[[[[1]], [[1]]], [[[-1]], [[-1]]], [[[3]], [[-1]]], [[[0]], [[0]]]]> : tensor<4x2x1x1xi8> : tensor<4x2x1x1xi8, #qnn.int8w<[0, 0, 0, 0]>>
  %bias = qnn.constant dense<[0, 0, 0, 65536]> : tensor<4xi32> : tensor<4xi32, #qnn.acc<[17, 17, 17, 17]>>
  %big = qnn.conv %xq, %wb, %bias {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x1x1xi8, #qnn.fmap<[0, 17]>>, tensor<4x2x1x1xi8, #qnn.int8w<[0, 0, 0, 0]>>, tensor<4xi32, #qnn.acc<[17, 17, 17, 17]>>) -> tensor<1x4x1x1xi8, #qnn.fmap<[0, 0, 0, 0]>>
  %small = qnn.conv %xq, %ws, %bias {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x1x1xi8, #qnn.fmap<[0, 17]>>, tensor<4x2x1x1xi8, #qnn.int8w<[0, 0, 0, 0]>>, tensor<4xi32, #qnn.acc<[17, 17, 17, 17]>>) -> tensor<1x4x1x1xi8, #qnn.fmap<[0, 0, 0, 0]>>
  %bd = qnn.dequantize %big : (tensor<1x4x1x1xi8, #qnn.fmap<[0, 0, 0, 0]>>) -> tensor<1x4x1x1xf32>
  %sd = qnn.dequantize %small : (tensor<1x4x1x1xi8, #qnn.fmap<[0, 0, 0, 0]>>) -> tensor<1x4x1x1xf32>
  return %bd, %sd : tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>
}

// Window geometry and data movement of the quantized evaluator, with
// results small enough to work by hand (see qnn-windows.test).
func.func @main(%m: tensor<1x1x2x2xf32>, %v: tensor<1x1x2x2xf32>, %d: tensor<1x2x3x3xf32>, %r: tensor<1x1x1x2xf32>)
    -> (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x2x2x2xf32>, tensor<1x3x1x1xf32>, tensor<1x1x1x2xf32>) {
  // Max pool 3x3, stride 1, pad 1 over negative values: padding never wins.
  %mq = qnn.quantize %m : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8, #qnn.fmap<[0]>>
  %mp = qnn.max_pool %mq {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
      : (tensor<1x1x2x2xi8, #qnn.fmap<[0]>>) -> tensor<1x1x2x2xi8, #qnn.fmap<[0]>>
  %mpd = qnn.dequantize %mp : (tensor<1x1x2x2xi8, #qnn.fmap<[0]>>) -> tensor<1x1x2x2xf32>
  // Average pool 2x2, stride 2, top/left pad 1: the one window holds v[0][0]
  // only; divided by 4 with count_include_pad ((4 * 16384 + 32768) >> 16 = 1),
  // by 1 without.
  %vq = qnn.quantize %v : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8, #qnn.fmap<[0]>>
  %ap = qnn.avg_pool %vq {ceil_mode = false, count_include_pad = true, kernel_shape = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>}
      : (tensor<1x1x2x2xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x1xi8, #qnn.fmap<[0]>>
  %an = qnn.avg_pool %vq {ceil_mode = false, count_include_pad = false, kernel_shape = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>}
      : (tensor<1x1x2x2xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x1xi8, #qnn.fmap<[0]>>
  %apd = qnn.dequantize %ap : (tensor<1x1x1x1xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x1xf32>
  %and = qnn.dequantize %an : (tensor<1x1x1x1xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x1xf32>
  // Depthwise 3x3 conv, stride 2, pad 1: channel 0 sums its window (all
  // weights 2^0 = code 7, n1 = 0), channel 1 keeps the centre tap. F = 0 -
  // (-6) = 6, output f = 0: shift 6, exact.
  %dq = qnn.quantize %d : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xi8, #qnn.fmap<[0, 0]>>
  %w = qnn.constant dense<[[[[7, 7, 7], [7, 7, 7], [7, 7, 7]]], [[[0, 0, 0], [0, 7, 0], [0, 0, 0]]]]> : tensor<2x1x3x3xi8> : tensor<2x1x3x3xi8, #qnn.pow2<[0, 0]>>
  %dc = qnn.conv %dq, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x2x3x3xi8, #qnn.fmap<[0, 0]>>, tensor<2x1x3x3xi8, #qnn.pow2<[0, 0]>>) -> tensor<1x2x2x2xi8, #qnn.fmap<[0, 0]>>
  %dcd = qnn.dequantize %dc : (tensor<1x2x2x2xi8, #qnn.fmap<[0, 0]>>) -> tensor<1x2x2x2xf32>
  // Channel concat keeps each channel's scale: [4 at f=0 -> 1, ...].
  %cat = qnn.concat %ap, %an, %ap {axis = 1 : i64} : (tensor<1x1x1x1xi8, #qnn.fmap<[0]>>, tensor<1x1x1x1xi8, #qnn.fmap<[0]>>, tensor<1x1x1x1xi8, #qnn.fmap<[0]>>) -> tensor<1x3x1x1xi8, #qnn.fmap<[0, 0, 0]>>
  %catd = qnn.dequantize %cat : (tensor<1x3x1x1xi8, #qnn.fmap<[0, 0, 0]>>) -> tensor<1x3x1x1xf32>
  // Clamp to [-1, 2].
  %rq = qnn.quantize %r : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xi8, #qnn.fmap<[0]>>
  %cl = qnn.clamp %rq {act_min = array<i32: -1>, act_max = array<i32: 2>} : (tensor<1x1x1x2xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x2xi8, #qnn.fmap<[0]>>
  %cld = qnn.dequantize %cl : (tensor<1x1x1x2xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x2xf32>
  return %mpd, %apd, %and, %dcd, %catd, %cld : tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x2x2x2xf32>, tensor<1x3x1x1xf32>, tensor<1x1x1x2xf32>
}

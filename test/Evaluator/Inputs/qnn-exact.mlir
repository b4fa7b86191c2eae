// Worked examples of docs/numerics.md section 6 as one qnn function.
func.func @main(%x: tensor<1x1x1x1xf32>, %p: tensor<1x1x3x3xf32>, %a: tensor<1x1x1x1xf32>,
                %b: tensor<1x1x1x1xf32>, %r: tensor<1x1x1x2xf32>, %g: tensor<1x1x7x7xf32>,
                %one: tensor<1x1x1x1xf32>)
    -> (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>,
        tensor<1x1x1x2xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x2xf32>) {
  // Convolution tap: w = -0.3 -> code 13 in window n1 = 0; x = 1.25 at f = 5
  // (q = 40); F = 11, bias 0.1 -> 205; output f = 4: (-435 + 64) >> 7 = -3.
  %xq = qnn.quantize %x : (tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xi8, #qnn.fmap<[5]>>
  %w = qnn.constant dense<13> : tensor<1x1x1x1xi8> : tensor<1x1x1x1xi8, #qnn.pow2<[0]>>
  %bias = qnn.constant dense<205> : tensor<1xi32> : tensor<1xi32, #qnn.acc<[11]>>
  %c = qnn.conv %xq, %w, %bias {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x1x1x1xi8, #qnn.fmap<[5]>>, tensor<1x1x1x1xi8, #qnn.pow2<[0]>>, tensor<1xi32, #qnn.acc<[11]>>) -> tensor<1x1x1x1xi8, #qnn.fmap<[4]>>
  %cr = qnn.conv %xq, %w, %bias {act_min = array<i32: 0>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x1x1x1xi8, #qnn.fmap<[5]>>, tensor<1x1x1x1xi8, #qnn.pow2<[0]>>, tensor<1xi32, #qnn.acc<[11]>>) -> tensor<1x1x1x1xi8, #qnn.fmap<[4]>>
  %cd = qnn.dequantize %c : (tensor<1x1x1x1xi8, #qnn.fmap<[4]>>) -> tensor<1x1x1x1xf32>
  %crd = qnn.dequantize %cr : (tensor<1x1x1x1xi8, #qnn.fmap<[4]>>) -> tensor<1x1x1x1xf32>
  // Average pool 3x3 of a window summing to 100: (100 * 7282 + 32768) >> 16 = 11.
  %pq = qnn.quantize %p : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xi8, #qnn.fmap<[0]>>
  %avg = qnn.avg_pool %pq {ceil_mode = false, count_include_pad = false, kernel_shape = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x1x3x3xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x1xi8, #qnn.fmap<[0]>>
  %avgd = qnn.dequantize %avg : (tensor<1x1x1x1xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x1xf32>
  // Residual add: 100 at f = 6 plus -50 at f = 4 into f = 5 -> -50.
  %aq = qnn.quantize %a : (tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xi8, #qnn.fmap<[6]>>
  %bq = qnn.quantize %b : (tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xi8, #qnn.fmap<[4]>>
  %s = qnn.add %aq, %bq : (tensor<1x1x1x1xi8, #qnn.fmap<[6]>>, tensor<1x1x1x1xi8, #qnn.fmap<[4]>>) -> tensor<1x1x1x1xi8, #qnn.fmap<[5]>>
  %sd = qnn.dequantize %s : (tensor<1x1x1x1xi8, #qnn.fmap<[5]>>) -> tensor<1x1x1x1xf32>
  // Rounding of halves toward +inf: -2.5 and 2.5 at f = 1 are -5 and 5;
  // requantized to f = 0: (-5 + 1) >> 1 = -2, (5 + 1) >> 1 = 3.
  %rq = qnn.quantize %r : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xi8, #qnn.fmap<[1]>>
  %rr = qnn.requantize %rq : (tensor<1x1x1x2xi8, #qnn.fmap<[1]>>) -> tensor<1x1x1x2xi8, #qnn.fmap<[0]>>
  %rd = qnn.dequantize %rr : (tensor<1x1x1x2xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x2xf32>
  // Global average over 7x7: M_49 = 1337; sum 49 -> (49 * 1337 + 32768) >> 16 = 1;
  // saturation: x = 1.0 at f = 7 quantizes to 127.
  %gq = qnn.quantize %g : (tensor<1x1x7x7xf32>) -> tensor<1x1x7x7xi8, #qnn.fmap<[0]>>
  %ga = qnn.global_avg_pool %gq : (tensor<1x1x7x7xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x1xi8, #qnn.fmap<[0]>>
  %gd = qnn.dequantize %ga : (tensor<1x1x1x1xi8, #qnn.fmap<[0]>>) -> tensor<1x1x1x1xf32>
  %sat = qnn.quantize %one : (tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xi8, #qnn.fmap<[7]>>
  %satd = qnn.dequantize %sat : (tensor<1x1x1x1xi8, #qnn.fmap<[7]>>) -> tensor<1x1x1x1xf32>
  // int8 fully-connected: x = 40 (f = 5); weights 3 (g = 2) and -127 (g = 7):
  // F = 7 and 12; acc = 40 * 3 << 0 = 120 -> f = 3: (120 + 8) >> 4 = 8;
  // acc = -5080 << 0 -> (-5080 + 256) >> 9 = -10 (-9.92 rounds to -10).
  %f = qnn.flatten %xq : (tensor<1x1x1x1xi8, #qnn.fmap<[5]>>) -> tensor<1x1xi8, #qnn.fmap<[5]>>
  %fw = qnn.constant dense<[[3], [-127]]> : tensor<2x1xi8> : tensor<2x1xi8, #qnn.int8w<[2, 7]>>
  %fc = qnn.fully_connected %f, %fw : (tensor<1x1xi8, #qnn.fmap<[5]>>, tensor<2x1xi8, #qnn.int8w<[2, 7]>>) -> tensor<1x2xi8, #qnn.fmap<[3, 3]>>
  %fcd = qnn.dequantize %fc : (tensor<1x2xi8, #qnn.fmap<[3, 3]>>) -> tensor<1x2xf32>
  return %cd, %crd, %avgd, %sd, %rd, %gd, %satd, %fcd : tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x2xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x2xf32>
}

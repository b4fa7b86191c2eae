// RUN: dlp-opt %s -split-input-file -verify-diagnostics

func.func @bad_code() {
  // expected-error @+1 {{element #1 is 8, not a pow2-4 code (0-15 except 8)}}
  %w = qnn.constant dense<[[1, 8]]> : tensor<1x2xi8> : tensor<1x2xi8, #qnn.pow2<[0]>>
  return
}

// -----

func.func @code_out_of_range() {
  // expected-error @+1 {{element #0 is 16, not a pow2-4 code}}
  %w = qnn.constant dense<[[16, 0]]> : tensor<1x2xi8> : tensor<1x2xi8, #qnn.pow2<[0]>>
  return
}

// -----

func.func @int8_minus_128() {
  // expected-error @+1 {{element #2 is -128, not a int8 weight (|q| <= 127)}}
  %w = qnn.constant dense<[[1, 2, -128]]> : tensor<1x3xi8> : tensor<1x3xi8, #qnn.int8w<[3]>>
  return
}

// -----

func.func @weight_scale_extent() {
  // expected-error @+1 {{constant has 2 entries along dim 0 but its scale encoding describes 1}}
  %w = qnn.constant dense<0> : tensor<2x2xi8> : tensor<2x2xi8, #qnn.int8w<[3]>>
  return
}

// -----

func.func @value_type() {
  // expected-error @+1 {{must be the result type without its encoding}}
  %w = qnn.constant dense<0> : tensor<2xi32> : tensor<2xi8, #qnn.int8w<[3, 3]>>
  return
}

// -----

func.func @bias_elt() {
  // expected-error @+1 {{weights are i8, biases (#qnn.acc) i32}}
  %w = qnn.constant dense<0> : tensor<2xi8> : tensor<2xi8, #qnn.acc<[3, 3]>>
  return
}

// -----

// expected-error @+1 {{fractional bit count #1 is 40, outside [-32, 31]}}
func.func @frac_range(%x: tensor<1x2xi8, #qnn.fmap<[1, 40]>>) {
  return
}

// -----

func.func @fmap_extent(%x: tensor<1x3x2x2xf32>) {
  // expected-error @+1 {{result has 3 entries along dim 1 but its scale encoding describes 2}}
  %q = qnn.quantize %x : (tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xi8, #qnn.fmap<[1, 2]>>
  return
}

// -----

func.func @bias_scale(%x: tensor<1x2x1x1xi8, #qnn.fmap<[5, 3]>>) {
  %w = qnn.constant dense<1> : tensor<2x2x1x1xi8> : tensor<2x2x1x1xi8, #qnn.pow2<[0, 2]>>
  %b = qnn.constant dense<0> : tensor<2xi32> : tensor<2xi32, #qnn.acc<[11, 10]>>
  // expected-error @+1 {{bias of output channel 1 has 10 fractional bits, but the accumulator has 9}}
  %c = qnn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x1x1xi8, #qnn.fmap<[5, 3]>>, tensor<2x2x1x1xi8, #qnn.pow2<[0, 2]>>, tensor<2xi32, #qnn.acc<[11, 10]>>) -> tensor<1x2x1x1xi8, #qnn.fmap<[4, 4]>>
  return
}

// -----

func.func @shift_too_large(%x: tensor<1x2x1x1xi8, #qnn.fmap<[30, 0]>>) {
  %w = qnn.constant dense<1> : tensor<1x2x1x1xi8> : tensor<1x2x1x1xi8, #qnn.pow2<[0]>>
  // expected-error @+1 {{output channel 0 needs an accumulation shift of 36 (> 31): its input channels' fractional bits span 30 bits}}
  %c = qnn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x1x1xi8, #qnn.fmap<[30, 0]>>, tensor<1x2x1x1xi8, #qnn.pow2<[0]>>) -> tensor<1x1x1x1xi8, #qnn.fmap<[4]>>
  return
}

// -----

func.func @conv_shape(%x: tensor<1x2x4x4xi8, #qnn.fmap<[1, 1]>>) {
  %w = qnn.constant dense<1> : tensor<1x2x3x3xi8> : tensor<1x2x3x3xi8, #qnn.pow2<[0]>>
  // expected-error @+1 {{result shape [1, 1, 4, 4] does not match the inferred [1, 1, 2, 2]}}
  %c = qnn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x4x4xi8, #qnn.fmap<[1, 1]>>, tensor<1x2x3x3xi8, #qnn.pow2<[0]>>) -> tensor<1x1x4x4xi8, #qnn.fmap<[4]>>
  return
}

// -----

func.func @act_bounds(%x: tensor<1x2xi8, #qnn.fmap<[1, 1]>>) {
  // expected-error @+1 {{activation bounds [10, 5] of channel 1 must satisfy}}
  %c = qnn.clamp %x {act_min = array<i32: 10>, act_max = array<i32: 127, 5>} : (tensor<1x2xi8, #qnn.fmap<[1, 1]>>) -> tensor<1x2xi8, #qnn.fmap<[1, 1]>>
  return
}

// -----

func.func @pool_scale(%x: tensor<1x1x2x2xi8, #qnn.fmap<[3]>>) {
  // expected-error @+1 {{result scale #qnn.fmap<[4]> must equal the input scale #qnn.fmap<[3]>}}
  %p = qnn.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : (tensor<1x1x2x2xi8, #qnn.fmap<[3]>>) -> tensor<1x1x1x1xi8, #qnn.fmap<[4]>>
  return
}

// -----

func.func @add_alignment(%a: tensor<1x1x2x2xi8, #qnn.fmap<[30]>>, %b: tensor<1x1x2x2xi8, #qnn.fmap<[-1]>>) {
  // expected-error @+1 {{channel 0 aligns operands with 30 and -1 fractional bits: a shift over 22 could overflow int32}}
  %s = qnn.add %a, %b : (tensor<1x1x2x2xi8, #qnn.fmap<[30]>>, tensor<1x1x2x2xi8, #qnn.fmap<[-1]>>) -> tensor<1x1x2x2xi8, #qnn.fmap<[3]>>
  return
}

// -----

func.func @concat_scale(%a: tensor<1x1x2x2xi8, #qnn.fmap<[3]>>, %b: tensor<1x2x2x2xi8, #qnn.fmap<[4, 5]>>) {
  // expected-error @+1 {{result channel 2 has scale 4 but comes from a channel with 5}}
  %c = qnn.concat %a, %b {axis = 1 : i64} : (tensor<1x1x2x2xi8, #qnn.fmap<[3]>>, tensor<1x2x2x2xi8, #qnn.fmap<[4, 5]>>) -> tensor<1x3x2x2xi8, #qnn.fmap<[3, 4, 4]>>
  return
}

// -----

func.func @flatten_block(%x: tensor<1x2x2x2xi8, #qnn.fmap<[1, 2]>>) {
  // expected-error @+1 {{result scale must be the input's with block 4}}
  %f = qnn.flatten %x : (tensor<1x2x2x2xi8, #qnn.fmap<[1, 2]>>) -> tensor<1x8xi8, #qnn.fmap<[1, 2, 1, 2, 1, 2, 1, 2]>>
  return
}

// -----

func.func @fc_rank(%x: tensor<1x2x1x1xi8, #qnn.fmap<[1, 1]>>) {
  %w = qnn.constant dense<1> : tensor<1x2xi8> : tensor<1x2xi8, #qnn.int8w<[0]>>
  // expected-error @+1 {{input and weight must be 2-D (flatten first)}}
  %y = qnn.fully_connected %x, %w : (tensor<1x2x1x1xi8, #qnn.fmap<[1, 1]>>, tensor<1x2xi8, #qnn.int8w<[0]>>) -> tensor<1x1xi8, #qnn.fmap<[0]>>
  return
}

// -----

func.func @not_fmap(%x: tensor<1x2xi8>) {
  // expected-error @+1 {{operand #0 must be int8 feature map}}
  %d = qnn.dequantize %x : (tensor<1x2xi8>) -> tensor<1x2xf32>
  return
}

// -----

func.func @act_bounds_count(%x: tensor<1x2xi8, #qnn.fmap<[1, 1]>>) {
  // expected-error @+1 {{activation bounds need 1 or 2 entries, got 3}}
  %c = qnn.clamp %x {act_max = array<i32: 1, 2, 3>} : (tensor<1x2xi8, #qnn.fmap<[1, 1]>>) -> tensor<1x2xi8, #qnn.fmap<[1, 1]>>
  return
}

// -----

func.func @channel_mul_result(%x: tensor<1x2x4x4xi8, #qnn.fmap<[5, 6]>>, %g: tensor<1x2x1x1xi8, #qnn.fmap<[7, 7]>>) {
  // expected-error @+1 {{result shape must equal the input shape}}
  %y = qnn.channel_mul %x, %g : (tensor<1x2x4x4xi8, #qnn.fmap<[5, 6]>>, tensor<1x2x1x1xi8, #qnn.fmap<[7, 7]>>) -> tensor<1x2x2x2xi8, #qnn.fmap<[6, 6]>>
  return
}

// -----

func.func @channel_mul_gate(%x: tensor<1x2x4x4xi8, #qnn.fmap<[5, 6]>>, %g: tensor<1x2x4x1xi8, #qnn.fmap<[7, 7]>>) {
  // expected-error @+1 {{expected an N x C x H x W input and an N x C x 1 x 1 (or 1 x C x 1 x 1) gate}}
  %y = qnn.channel_mul %x, %g : (tensor<1x2x4x4xi8, #qnn.fmap<[5, 6]>>, tensor<1x2x4x1xi8, #qnn.fmap<[7, 7]>>) -> tensor<1x2x4x4xi8, #qnn.fmap<[6, 6]>>
  return
}

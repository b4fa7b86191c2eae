// RUN: dlp-opt %s -split-input-file -verify-diagnostics

func.func @clip_bounds(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{min (6.000000e+00) must not exceed max (0.000000e+00)}}
  %0 = nn.clip %x {min = 6.0 : f32, max = 0.0 : f32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dropout_ratio(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{ratio must be in [0, 1), found 1.500000e+00}}
  %0 = nn.dropout %x {ratio = 1.5 : f32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @softmax_axis(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{axis 2 out of range [0, 2)}}
  %0 = nn.softmax %x {axis = 2 : i64} : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @lrn_size(%x: tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> {
  // expected-error @+1 {{size must be positive, found 0}}
  %0 = nn.lrn %x {alpha = 1.0e-4 : f32, beta = 0.75 : f32, bias = 1.0 : f32, size = 0 : i64} : tensor<1x4x2x2xf32>
  return %0 : tensor<1x4x2x2xf32>
}

// -----

func.func @lrn_rank(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{input must have rank >= 3 (N x C x spatial)}}
  %0 = nn.lrn %x {alpha = 1.0e-4 : f32, beta = 0.75 : f32, bias = 1.0 : f32, size = 3 : i64} : tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @broadcast(%a: tensor<1x3xf32>, %b: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error @+2 {{shapes [1, 3] and [1, 4] do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.add %a, %b : (tensor<1x3xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @wrong_result(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.transpose %a {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @conv_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+2 {{input has 4 channels but weight expects 3 x group 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_group(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32> {
  // expected-error @+2 {{input has 4 channels but weight expects 1 x group 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 3 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32>
  return %0 : tensor<1x6x6x6xf32>
}

// -----

func.func @conv_pads(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+2 {{expected 4 pads (begins then ends), found 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+2 {{strides must be positive, found 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 0, 1>} : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+2 {{bias must have shape [8], found [4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<4xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_kernel_too_big(%x: tensor<1x3x2x2xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x1x1xf32> {
  // expected-error @+2 {{kernel extent 3 exceeds padded input on spatial axis 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x2x2xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x1x1xf32>
  return %0 : tensor<1x8x1x1xf32>
}

// -----

func.func @pool_pad(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+2 {{pad on spatial axis 0 must be smaller than the kernel extent}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 2, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

func.func @pool_rank(%x: tensor<3x8xf32>) -> tensor<3x4xf32> {
  // expected-error @+2 {{input must have rank >= 3 (N x C x spatial), found rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool %x {ceil_mode = false, count_include_pad = false, kernel_shape = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 2>} : (tensor<3x8xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @gemm_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{inner dimensions differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gemm %a, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @gemm_c(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>, %c: tensor<4xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{C of shape [4] does not broadcast to [2, 5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x3xf32>, tensor<3x5xf32>, tensor<4xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @matmul_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{inner dimensions differ: [2, 3] x [4, 5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @fc_features(%x: tensor<1x4x2x2xf32>, %w: tensor<10x15xf32>) -> tensor<1x10xf32> {
  // expected-error @+2 {{input has 16 features per row but weight expects 15}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.fully_connected %x, %w : (tensor<1x4x2x2xf32>, tensor<10x15xf32>) -> tensor<1x10xf32>
  return %0 : tensor<1x10xf32>
}

// -----

func.func @fc_bias(%x: tensor<1x16xf32>, %w: tensor<10x16xf32>, %b: tensor<9xf32>) -> tensor<1x10xf32> {
  // expected-error @+2 {{bias must have shape [10], found [9]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.fully_connected %x, %w, %b : (tensor<1x16xf32>, tensor<10x16xf32>, tensor<9xf32>) -> tensor<1x10xf32>
  return %0 : tensor<1x10xf32>
}

// -----

func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{input 1 has shape [3, 3], incompatible with [2, 3] off axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %a {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @flatten_axis(%a: tensor<2x3xf32>) -> tensor<6x1xf32> {
  // expected-error @+2 {{axis 3 out of range [0, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.flatten %a {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<6x1xf32>
  return %0 : tensor<6x1xf32>
}

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+2 {{cannot reshape [2, 3] (6 elements) into [4, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reshape %a {allowzero = false, shape = array<i64: 4, 2>} : (tensor<2x3xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @reshape_two_infer(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{shape has more than one -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reshape %a {allowzero = false, shape = array<i64: -1, -1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @transpose_perm(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{perm [0, 0] is not a permutation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.transpose %a {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @squeeze_extent(%a: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{cannot squeeze axis 0 of extent 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.squeeze %a {axes = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @unsqueeze_sorted(%a: tensor<3xf32>) -> tensor<1x3x1xf32> {
  // expected-error @+2 {{axes [2, 0] must be sorted and unique}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.unsqueeze %a {axes = array<i64: 2, 0>} : (tensor<3xf32>) -> tensor<1x3x1xf32>
  return %0 : tensor<1x3x1xf32>
}

// -----

func.func @slice_step(%a: tensor<4xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{steps must be non-zero}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %a {axes = array<i64: 0>, ends = array<i64: 2>, starts = array<i64: 0>, steps = array<i64: 0>} : (tensor<4xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @slice_lengths(%a: tensor<4xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{starts, ends, axes and steps must have equal length}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %a {axes = array<i64: 0>, ends = array<i64: 2, 3>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<4xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @pad_mode(%a: tensor<4xf32>) -> tensor<6xf32> {
  // expected-error @+2 {{mode must be constant, reflect or edge, found 'wrap'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pad %a {mode = "wrap", pads = array<i64: 1, 1>, value = 0.0 : f32} : (tensor<4xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @pad_count(%a: tensor<4xf32>) -> tensor<6xf32> {
  // expected-error @+2 {{expected 2 pads, found 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pad %a {mode = "constant", pads = array<i64: 1>, value = 0.0 : f32} : (tensor<4xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @bn_params(%x: tensor<1x8x2x2xf32>, %p: tensor<8xf32>, %q: tensor<4xf32>) -> tensor<1x8x2x2xf32> {
  // expected-error @+2 {{parameter of shape [4] does not match 8 channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.batch_norm %x, %p, %q, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x8x2x2xf32>, tensor<8xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x2x2xf32>
  return %0 : tensor<1x8x2x2xf32>
}

// -----

func.func @global_pool_rank(%x: tensor<8x2xf32>) -> tensor<8x2xf32> {
  // expected-error @+2 {{input must have rank >= 3, found rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.global_avg_pool %x : (tensor<8x2xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @reduce_unsorted(%x: tensor<2x3xf32>) -> tensor<f32> {
  // expected-error @+2 {{axes [1, 0] must be sorted and unique}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_sum %x {axes = array<i64: 1, 0>, keepdims = false} : (tensor<2x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @where_bcast(%c: tensor<2xf32>, %x: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{shapes [2], [3] and [3] do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.where %c, %x, %x : (tensor<2xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @deconv_outpad(%x: tensor<1x2x3x3xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x5x5xf32> {
  // expected-error @+2 {{output_padding 2 must be in [0, max(stride, dilation)) on spatial axis 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 2, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  return %0 : tensor<1x2x5x5xf32>
}

// -----

func.func @resize_mode(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+2 {{mode must be nearest, linear or cubic, found 'area'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {coordinate_transformation_mode = "half_pixel", cubic_coeff_a = -7.5e-01 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32, mode = "area", nearest_mode = "floor", roi = array<f64>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, sizes = array<i64: 1, 1, 4, 4>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @resize_roi(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+2 {{expected 8 roi entries, found 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.resize %x {coordinate_transformation_mode = "tf_crop_and_resize", cubic_coeff_a = -7.5e-01 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32, mode = "linear", nearest_mode = "floor", roi = array<f64>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, sizes = array<i64: 1, 1, 4, 4>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

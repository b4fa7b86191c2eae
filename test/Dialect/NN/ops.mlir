// RUN: dlp-opt %s | dlp-opt | FileCheck %s
// Round trip of every nn op through the printer and parser.

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: nn.relu %{{.*}} : tensor<2x3xf32>
  %0 = nn.relu %x : tensor<2x3xf32>
  // CHECK: nn.sigmoid
  %1 = nn.sigmoid %0 : tensor<2x3xf32>
  // CHECK: nn.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32}
  %2 = nn.clip %1 {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x3xf32>
  // CHECK: nn.hard_sigmoid %{{.*}} {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32}
  %3 = nn.hard_sigmoid %2 {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<2x3xf32>
  // CHECK: nn.identity
  %4 = nn.identity %3 : tensor<2x3xf32>
  // CHECK: nn.dropout %{{.*}} {ratio = 5.000000e-01 : f32}
  %5 = nn.dropout %4 {ratio = 0.5 : f32} : tensor<2x3xf32>
  // CHECK: nn.neg
  %6 = nn.neg %5 : tensor<2x3xf32>
  // CHECK: nn.abs
  %7 = nn.abs %6 : tensor<2x3xf32>
  // CHECK: nn.exp
  %8 = nn.exp %7 : tensor<2x3xf32>
  // CHECK: nn.log
  %9 = nn.log %8 : tensor<2x3xf32>
  // CHECK: nn.sqrt
  %10 = nn.sqrt %9 : tensor<2x3xf32>
  // CHECK: nn.tanh
  %11 = nn.tanh %10 : tensor<2x3xf32>
  // CHECK: nn.reciprocal
  %12 = nn.reciprocal %11 : tensor<2x3xf32>
  // CHECK: nn.leaky_relu %{{.*}} {alpha = 0.00999999977 : f32}
  %13 = nn.leaky_relu %12 {alpha = 0.01 : f32} : tensor<2x3xf32>
  // CHECK: nn.softmax %{{.*}} {axis = 1 : i64}
  %14 = nn.softmax %13 {axis = 1 : i64} : tensor<2x3xf32>
  return %14 : tensor<2x3xf32>
}

// CHECK-LABEL: func @binary
func.func @binary(%a: tensor<1x8x4x4xf32>, %b: tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32> {
  // CHECK: nn.add %{{.*}}, %{{.*}} : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %0 = nn.add %a, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: nn.sub
  %1 = nn.sub %0, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: nn.mul
  %2 = nn.mul %1, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: nn.div
  %3 = nn.div %2, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: nn.max
  %4 = nn.max %3, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: nn.min
  %5 = nn.min %4, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
  return %5 : tensor<1x8x4x4xf32>
}

// CHECK-LABEL: func @conv_pool
func.func @conv_pool(%x: tensor<?x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>,
                     %dw: tensor<16x1x3x3xf32>) -> tensor<?x16x1x1xf32> {
  // CHECK: nn.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<?x16x32x32xf32>
  %0 = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
      : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<?x16x32x32xf32>
  // Depthwise, no bias, stride 2.
  // CHECK: nn.conv %{{.*}}, %{{.*}} {{.*}}group = 16 : i64{{.*}} -> tensor<?x16x16x16xf32>
  %1 = nn.conv %0, %dw {dilations = array<i64: 1, 1>, group = 16 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<?x16x32x32xf32>, tensor<16x1x3x3xf32>) -> tensor<?x16x16x16xf32>
  // CHECK: nn.max_pool {{.*}} -> tensor<?x16x8x8xf32>
  %2 = nn.max_pool %1 {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : (tensor<?x16x16x16xf32>) -> tensor<?x16x8x8xf32>
  // CHECK: nn.avg_pool {{.*}}count_include_pad = true{{.*}} -> tensor<?x16x5x5xf32>
  %3 = nn.avg_pool %2 {ceil_mode = true, count_include_pad = true, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<?x16x8x8xf32>) -> tensor<?x16x5x5xf32>
  // CHECK: nn.global_avg_pool {{.*}} -> tensor<?x16x1x1xf32>
  %4 = nn.global_avg_pool %3 : (tensor<?x16x5x5xf32>) -> tensor<?x16x1x1xf32>
  return %4 : tensor<?x16x1x1xf32>
}

// CHECK-LABEL: func @norm_linear
func.func @norm_linear(%x: tensor<1x8x4x4xf32>, %p: tensor<8xf32>, %w: tensor<10x128xf32>, %c: tensor<10xf32>,
                       %m: tensor<2x3x4xf32>, %n: tensor<4x5xf32>) -> (tensor<1x10xf32>, tensor<1x10xf32>, tensor<2x3x5xf32>, tensor<1x8x4x4xf32>) {
  // CHECK: nn.batch_norm {{.*}} {epsilon = 9.99999974E-6 : f32}
  %0 = nn.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32}
      : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: nn.lrn {{.*}}size = 5 : i64
  %1 = nn.lrn %0 {alpha = 1.0e-4 : f32, beta = 0.75 : f32, bias = 1.0 : f32, size = 5 : i64} : tensor<1x8x4x4xf32>
  // CHECK: nn.flatten {{.*}} -> tensor<1x128xf32>
  %2 = nn.flatten %1 {axis = 1 : i64} : (tensor<1x8x4x4xf32>) -> tensor<1x128xf32>
  // CHECK: nn.gemm {{.*}} -> tensor<1x10xf32>
  %3 = nn.gemm %2, %w, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true}
      : (tensor<1x128xf32>, tensor<10x128xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  // CHECK: nn.fully_connected {{.*}} : (tensor<1x8x4x4xf32>, tensor<10x128xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  %4 = nn.fully_connected %1, %w, %c : (tensor<1x8x4x4xf32>, tensor<10x128xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  // CHECK: nn.matmul {{.*}} -> tensor<2x3x5xf32>
  %5 = nn.matmul %m, %n : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  return %3, %4, %5, %1 : tensor<1x10xf32>, tensor<1x10xf32>, tensor<2x3x5xf32>, tensor<1x8x4x4xf32>
}

// CHECK-LABEL: func @shapes
func.func @shapes(%x: tensor<2x3x4xf32>, %y: tensor<2x5x4xf32>) -> (tensor<2x8x4xf32>, tensor<2x12xf32>, tensor<4x3x2xf32>, tensor<2x1x3x4xf32>, tensor<2x2x4xf32>, tensor<2x5x6xf32>) {
  // CHECK: nn.concat {{.*}} {axis = 1 : i64} {{.*}} -> tensor<2x8x4xf32>
  %0 = nn.concat %x, %y {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: nn.reshape {{.*}} -> tensor<2x12xf32>
  %1 = nn.reshape %x {allowzero = false, shape = array<i64: 0, -1>} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  // CHECK: nn.transpose {{.*}} -> tensor<4x3x2xf32>
  %2 = nn.transpose %x {perm = array<i64: 2, 1, 0>} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  // CHECK: nn.unsqueeze {{.*}} -> tensor<2x1x3x4xf32>
  %3 = nn.unsqueeze %x {axes = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x1x3x4xf32>
  // CHECK: nn.squeeze {{.*}} -> tensor<2x3x4xf32>
  %4 = nn.squeeze %3 {axes = array<i64: 1>} : (tensor<2x1x3x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: nn.slice {{.*}} -> tensor<2x2x4xf32>
  %5 = nn.slice %4 {axes = array<i64: 1>, ends = array<i64: -1>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x2x4xf32>
  // CHECK: nn.pad {{.*}}mode = "reflect"{{.*}} -> tensor<2x5x6xf32>
  %6 = nn.pad %x {mode = "reflect", pads = array<i64: 0, 1, 1, 0, 1, 1>, value = 0.0 : f32} : (tensor<2x3x4xf32>) -> tensor<2x5x6xf32>
  return %0, %1, %2, %3, %5, %6 : tensor<2x8x4xf32>, tensor<2x12xf32>, tensor<4x3x2xf32>, tensor<2x1x3x4xf32>, tensor<2x2x4xf32>, tensor<2x5x6xf32>
}

// CHECK-LABEL: func @vision
func.func @vision(%x: tensor<1x4x3x3xf32>, %w: tensor<4x3x3x3xf32>, %m: tensor<3xf32>) -> (tensor<1x4xf32>, tensor<1x1x3x1xf32>, tensor<1x4x3x3xf32>, tensor<2x1x4x3x3xf32>, tensor<1x6x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x4x2x2xf32>) {
  // CHECK: nn.reduce_mean {{.*}} -> tensor<1x4xf32>
  %0 = nn.reduce_mean %x {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x4x3x3xf32>) -> tensor<1x4xf32>
  // CHECK: nn.reduce_sum {{.*}} -> tensor<1x1x3x1xf32>
  %1 = nn.reduce_sum %x {axes = array<i64: 1, 3>, keepdims = true} : (tensor<1x4x3x3xf32>) -> tensor<1x1x3x1xf32>
  // CHECK: nn.less_equal {{.*}} -> tensor<1x4x3x3xf32>
  %c = nn.less_equal %x, %m : (tensor<1x4x3x3xf32>, tensor<3xf32>) -> tensor<1x4x3x3xf32>
  // CHECK: nn.where {{.*}} -> tensor<1x4x3x3xf32>
  %2 = nn.where %c, %x, %m : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>, tensor<3xf32>) -> tensor<1x4x3x3xf32>
  // CHECK: nn.expand {{.*}} -> tensor<2x1x4x3x3xf32>
  %3 = nn.expand %x {shape = array<i64: 2, 1, 1, 1, 1>} : (tensor<1x4x3x3xf32>) -> tensor<2x1x4x3x3xf32>
  // CHECK: nn.conv_transpose {{.*}} -> tensor<1x6x6x6xf32>
  %4 = nn.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x3x3xf32>, tensor<4x3x3x3xf32>) -> tensor<1x6x6x6xf32>
  // CHECK: nn.resize {{.*}}mode = "linear"{{.*}} -> tensor<1x4x6x6xf32>
  %5 = nn.resize %x {coordinate_transformation_mode = "half_pixel", cubic_coeff_a = -7.5e-01 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32, mode = "linear", nearest_mode = "floor", roi = array<f64>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, sizes = array<i64: 1, 4, 6, 6>} : (tensor<1x4x3x3xf32>) -> tensor<1x4x6x6xf32>
  // CHECK: nn.resize {{.*}}coordinate_transformation_mode = "tf_crop_and_resize"{{.*}} -> tensor<1x4x2x2xf32>
  %6 = nn.resize %x {coordinate_transformation_mode = "tf_crop_and_resize", cubic_coeff_a = -7.5e-01 : f32, exclude_outside = false, extrapolation_value = 1.0 : f32, mode = "cubic", nearest_mode = "floor", roi = array<f64: 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.5, 0.5>, scales = array<f64: 1.0, 1.0, 0.6666666666666666, 0.6666666666666666>, sizes = array<i64: 1, 4, 2, 2>} : (tensor<1x4x3x3xf32>) -> tensor<1x4x2x2xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<1x4xf32>, tensor<1x1x3x1xf32>, tensor<1x4x3x3xf32>, tensor<2x1x4x3x3xf32>, tensor<1x6x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x4x2x2xf32>
}

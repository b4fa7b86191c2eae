// RUN: dlp-opt %s | FileCheck %s
// RUN: dlp-opt %s | dlp-opt | FileCheck %s

// The accumulator scale of a pow2 conv is max_i f_i - n2_o: inputs 5 and 3,
// n1 = 0 and 2 -> n2 = -6, -4 -> F = 11, 9; the bias carries exactly that.
// CHECK-LABEL: func @conv_relu_pool
func.func @conv_relu_pool(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32> {
  // CHECK: qnn.quantize %{{.*}} : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xi8, #qnn.fmap<[5, 3]>>
  %q = qnn.quantize %x : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xi8, #qnn.fmap<[5, 3]>>
  // CHECK: qnn.constant dense<{{.*}}> : tensor<2x2x1x1xi8> : tensor<2x2x1x1xi8, #qnn.pow2<[0, 2]>>
  %w = qnn.constant dense<[[[[7]], [[13]]], [[[0]], [[1]]]]> : tensor<2x2x1x1xi8> : tensor<2x2x1x1xi8, #qnn.pow2<[0, 2]>>
  %b = qnn.constant dense<[205, -3]> : tensor<2xi32> : tensor<2xi32, #qnn.acc<[11, 9]>>
  // CHECK: qnn.conv {{.*}}act_min = array<i32: 0>
  %c = qnn.conv %q, %w, %b {act_min = array<i32: 0>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x6x6xi8, #qnn.fmap<[5, 3]>>, tensor<2x2x1x1xi8, #qnn.pow2<[0, 2]>>, tensor<2xi32, #qnn.acc<[11, 9]>>) -> tensor<1x2x6x6xi8, #qnn.fmap<[4, 4]>>
  %p = qnn.max_pool %c {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : (tensor<1x2x6x6xi8, #qnn.fmap<[4, 4]>>) -> tensor<1x2x3x3xi8, #qnn.fmap<[4, 4]>>
  %d = qnn.dequantize %p : (tensor<1x2x3x3xi8, #qnn.fmap<[4, 4]>>) -> tensor<1x2x3x3xf32>
  return %d : tensor<1x2x3x3xf32>
}

// CHECK-LABEL: func @int8_fc
// CHECK: #qnn.fmap<[2, 3], block = 4>
// CHECK: qnn.fully_connected
func.func @int8_fc(%x: tensor<?x2x2x2xi8, #qnn.fmap<[2, 3]>>) -> tensor<?x3xi8, #qnn.fmap<[1, 1, 1]>> {
  %f = qnn.flatten %x : (tensor<?x2x2x2xi8, #qnn.fmap<[2, 3]>>) -> tensor<?x8xi8, #qnn.fmap<[2, 3], block = 4>>
  %w = qnn.constant dense<[[1, -2, 3, -4, 5, -6, 7, -127], [0, 0, 0, 0, 0, 0, 0, 0], [127, 1, 1, 1, 1, 1, 1, 1]]> : tensor<3x8xi8> : tensor<3x8xi8, #qnn.int8w<[7, 0, 5]>>
  %b = qnn.constant dense<0> : tensor<3xi32> : tensor<3xi32, #qnn.acc<[10, 3, 8]>>
  %y = qnn.fully_connected %f, %w, %b : (tensor<?x8xi8, #qnn.fmap<[2, 3], block = 4>>, tensor<3x8xi8, #qnn.int8w<[7, 0, 5]>>, tensor<3xi32, #qnn.acc<[10, 3, 8]>>) -> tensor<?x3xi8, #qnn.fmap<[1, 1, 1]>>
  return %y : tensor<?x3xi8, #qnn.fmap<[1, 1, 1]>>
}

// CHECK-LABEL: func @add_concat_pools
func.func @add_concat_pools(%a: tensor<1x2x4x4xi8, #qnn.fmap<[6, 2]>>, %b: tensor<1x2x4x4xi8, #qnn.fmap<[4, 5]>>) -> tensor<1x4x1x1xi8, #qnn.fmap<[5, 3, 6, 2]>> {
  // CHECK: qnn.add {{.*}}act_max = array<i32: 100, 90>
  %s = qnn.add %a, %b {act_max = array<i32: 100, 90>} : (tensor<1x2x4x4xi8, #qnn.fmap<[6, 2]>>, tensor<1x2x4x4xi8, #qnn.fmap<[4, 5]>>) -> tensor<1x2x4x4xi8, #qnn.fmap<[5, 3]>>
  // CHECK: qnn.concat {{.*}}-> tensor<1x4x4x4xi8, #qnn.fmap<[5, 3, 6, 2]>>
  %c = qnn.concat %s, %a {axis = 1 : i64} : (tensor<1x2x4x4xi8, #qnn.fmap<[5, 3]>>, tensor<1x2x4x4xi8, #qnn.fmap<[6, 2]>>) -> tensor<1x4x4x4xi8, #qnn.fmap<[5, 3, 6, 2]>>
  %r = qnn.clamp %c {act_min = array<i32: 0>} : (tensor<1x4x4x4xi8, #qnn.fmap<[5, 3, 6, 2]>>) -> tensor<1x4x4x4xi8, #qnn.fmap<[5, 3, 6, 2]>>
  %p = qnn.avg_pool %r {ceil_mode = false, count_include_pad = false, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : (tensor<1x4x4x4xi8, #qnn.fmap<[5, 3, 6, 2]>>) -> tensor<1x4x2x2xi8, #qnn.fmap<[5, 3, 6, 2]>>
  %g = qnn.global_avg_pool %p : (tensor<1x4x2x2xi8, #qnn.fmap<[5, 3, 6, 2]>>) -> tensor<1x4x1x1xi8, #qnn.fmap<[5, 3, 6, 2]>>
  // CHECK: qnn.requantize
  %q = qnn.requantize %g : (tensor<1x4x1x1xi8, #qnn.fmap<[5, 3, 6, 2]>>) -> tensor<1x4x1x1xi8, #qnn.fmap<[5, 3, 6, 2]>>
  return %q : tensor<1x4x1x1xi8, #qnn.fmap<[5, 3, 6, 2]>>
}

// CHECK-LABEL: func @channel_mul
func.func @channel_mul(%x: tensor<?x2x4x4xi8, #qnn.fmap<[5, 6]>>, %g: tensor<?x2x1x1xi8, #qnn.fmap<[7, 7]>>, %h: tensor<1x2x1x1xi8, #qnn.fmap<[7, 8]>>) -> tensor<?x2x4x4xi8, #qnn.fmap<[6, 6]>> {
  // CHECK: qnn.channel_mul %{{.*}}, %{{.*}} : (tensor<?x2x4x4xi8, #qnn.fmap<[5, 6]>>, tensor<?x2x1x1xi8, #qnn.fmap<[7, 7]>>) -> tensor<?x2x4x4xi8, #qnn.fmap<[6, 6]>>
  %y = qnn.channel_mul %x, %g : (tensor<?x2x4x4xi8, #qnn.fmap<[5, 6]>>, tensor<?x2x1x1xi8, #qnn.fmap<[7, 7]>>) -> tensor<?x2x4x4xi8, #qnn.fmap<[6, 6]>>
  // CHECK: qnn.channel_mul {{.*}}tensor<1x2x1x1xi8
  %z = qnn.channel_mul %y, %h : (tensor<?x2x4x4xi8, #qnn.fmap<[6, 6]>>, tensor<1x2x1x1xi8, #qnn.fmap<[7, 8]>>) -> tensor<?x2x4x4xi8, #qnn.fmap<[6, 6]>>
  return %z : tensor<?x2x4x4xi8, #qnn.fmap<[6, 6]>>
}

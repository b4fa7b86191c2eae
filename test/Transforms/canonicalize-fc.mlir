// RUN: dlp-opt %s --nn-canonicalize-fc | FileCheck %s

// Flatten + Gemm(transB) with alpha/beta folded into the constants.
// CHECK-LABEL: func @flatten_gemm
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x1x1xf32>)
// CHECK-NOT: nn.gemm
// CHECK: nn.fully_connected %[[X]], %{{.*}}, %{{.*}} : (tensor<1x2x1x1xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<1x3xf32>
func.func @flatten_gemm(%x: tensor<1x2x1x1xf32>) -> tensor<1x3xf32> {
  %b = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %c = arith.constant dense<[1.0, 1.0, 1.0]> : tensor<3xf32>
  %0 = nn.flatten %x {axis = 1 : i64} : (tensor<1x2x1x1xf32>) -> tensor<1x2xf32>
  %1 = nn.gemm %0, %b, %c {alpha = 2.0 : f32, beta = 0.5 : f32, trans_a = false, trans_b = true}
      : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %1 : tensor<1x3xf32>
}
// Gemm without transB: the K x N weight is transposed to N x K.
// CHECK-LABEL: func @gemm_no_trans
// CHECK: nn.fully_connected %{{.*}}, %{{.*}} : (tensor<1x2xf32>, tensor<3x2xf32>) -> tensor<1x3xf32>
func.func @gemm_no_trans(%x: tensor<1x2xf32>) -> tensor<1x3xf32> {
  %b = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = nn.gemm %x, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false}
      : (tensor<1x2xf32>, tensor<2x3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}
// MatMul by a constant plus a bias add, behind a batch-preserving reshape.
// CHECK-LABEL: func @reshape_matmul_add
// CHECK-SAME: (%[[X:.*]]: tensor<?x2x2xf32>)
// CHECK-NOT: nn.matmul
// CHECK-NOT: nn.add
// CHECK: nn.fully_connected %[[X]], %{{.*}}, %{{.*}} : (tensor<?x2x2xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
func.func @reshape_matmul_add(%x: tensor<?x2x2xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %c = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = nn.reshape %x {allowzero = false, shape = array<i64: 0, -1>} : (tensor<?x2x2xf32>) -> tensor<?x4xf32>
  %1 = nn.matmul %0, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %2 = nn.add %1, %c : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}
// A non-constant B is left alone.
// CHECK-LABEL: func @dynamic_b
// CHECK: nn.gemm
func.func @dynamic_b(%x: tensor<1x2xf32>, %b: tensor<2x3xf32>) -> tensor<1x3xf32> {
  %0 = nn.gemm %x, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false}
      : (tensor<1x2xf32>, tensor<2x3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}
// Gemm(transB) with alpha = 1 keeps its weight constant: no copy.
// CHECK-LABEL: func @gemm_trans_b_keeps_weight
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00]{{.*}}> : tensor<3x2xf32>
// CHECK-NOT: dense_resource<fc_w
// CHECK: nn.fully_connected %{{.*}}, %[[W]], %{{.*}} : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<1x3xf32>
func.func @gemm_trans_b_keeps_weight(%x: tensor<1x2xf32>) -> tensor<1x3xf32> {
  %b = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %c = arith.constant dense<[1.0, 1.0, 1.0]> : tensor<3xf32>
  %0 = nn.gemm %x, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true}
      : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}
// The new weights (resource names get a suffix in the order they are made).
// @flatten_gemm: alpha * B = [2,4,6,8,10,12]; bias beta * C = [0.5 x3].
// CHECK-DAG: fc_w{{(_[0-9]+)?}}: "0x0400000000000040000080400000C040000000410000204100004041"
// CHECK-DAG: fc_b{{(_[0-9]+)?}}: "0x040000000000003F0000003F0000003F"
// @gemm_no_trans: B^T = [1,4,2,5,3,6].
// CHECK-DAG: fc_w{{(_[0-9]+)?}}: "0x040000000000803F00008040000000400000A040000040400000C040"
// @reshape_matmul_add: W^T of a 4x3 splat of ones, bias [1,2,3].
// CHECK-DAG: fc_w{{(_[0-9]+)?}}: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F"
// CHECK-DAG: fc_b{{(_[0-9]+)?}}: "0x040000000000803F0000004000004040"

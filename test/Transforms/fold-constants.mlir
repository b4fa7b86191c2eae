// RUN: dlp-opt %s --nn-fold-constants | FileCheck %s
// RUN: dlp-opt %s --nn-optimize | FileCheck %s --check-prefix=PIPE

// CHECK-LABEL: func @fold
// CHECK-NOT: nn.add
// CHECK-NOT: nn.relu
// CHECK: arith.constant dense_resource<folded> : tensor<2xf32>
// CHECK: %[[C:.*]] = arith.constant dense_resource<folded_1> : tensor<2xf32>
// CHECK: nn.mul %{{.*}}, %[[C]]
// PIPE-LABEL: func @fold
// PIPE-NOT: nn.add
// PIPE: nn.mul
func.func @fold(%x: tensor<2xf32>) -> tensor<2xf32> {
  %a = arith.constant dense<[1.0, -3.0]> : tensor<2xf32>
  %b = arith.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %0 = nn.add %a, %b : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %1 = nn.relu %0 : tensor<2xf32>
  %2 = nn.mul %x, %1 : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %2 : tensor<2xf32>
}
// add: [1.5, -2]; relu: [1.5, 0] = 0x3FC00000, 0x00000000.
// CHECK: folded: "0x040000000000C03F000000C0"
// CHECK: folded_1: "0x040000000000C03F00000000"

// RUN: dlp-opt %s --nn-cleanup | FileCheck %s

// CHECK-LABEL: func @noops
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: nn.identity
// CHECK-NOT: nn.dropout
// CHECK: %[[R:.*]] = nn.relu %[[X]]
// CHECK: return %[[R]]
func.func @noops(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.identity %x : tensor<4xf32>
  %1 = nn.dropout %0 {ratio = 0.5 : f32} : tensor<4xf32>
  %2 = nn.relu %1 : tensor<4xf32>
  %3 = nn.identity %2 : tensor<4xf32>
  return %3 : tensor<4xf32>
}

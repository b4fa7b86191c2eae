// RUN: dlp-opt %s --convert-qnn-to-dlp=target=%configs/small.json | FileCheck %s

// Constant operands of host ops: a binary op of two constants (a multiply,
// FloatBinaryOp 2) reads both from FloatConst tensors (kind 11) filled from
// CONST, 32 bytes each.
// CHECK: dlp.host_segment {const_bytes = 32 : i64, const_offset = {{[0-9]+}} : i64, inputs = array<i32>, kind = 11 : i32, outputs = array<i32: [[A:[0-9]+]]>
// CHECK-NEXT: dlp.host_segment {const_bytes = 32 : i64, const_offset = {{[0-9]+}} : i64, inputs = array<i32>, kind = 11 : i32, outputs = array<i32: [[B:[0-9]+]]>
// CHECK-NEXT: dlp.host_segment {{.*}}inputs = array<i32: [[A]], [[B]]>, kind = 6 : i32, outputs = array<i32: [[M:[0-9]+]]>, params = array<i64: 2>}
// CHECK-NEXT: dlp.host_segment {{.*}}inputs = array<i32: 0, [[M]]>, kind = 6 : i32, outputs = array<i32: {{[0-9]+}}>, params = array<i64: 0>}
func.func @main(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %c = arith.constant dense<2.0> : tensor<1x8xf32>
  %c2 = arith.constant dense<3.0> : tensor<1x8xf32>
  %m = nn.mul %c, %c2 : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %a = nn.add %x, %m : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %a : tensor<1x8xf32>
}

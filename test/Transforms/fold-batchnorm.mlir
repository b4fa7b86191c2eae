// RUN: dlp-opt %s --nn-fold-batchnorm | FileCheck %s
// RUN: dlp-opt %s --nn-fold-batchnorm | FileCheck %s --check-prefix=IR

// conv weight 2x1x1x1 = [1, 2], bias [0.5, -1]; bn scale [2, 1], beta [1, 0],
// mean [0.5, 1], var [3, 0] (eps 1): s = scale / sqrt(var + eps) = [1, 1].
// W' = [1, 2], b' = (b - mean) * s + beta = [1, -2].
// IR-LABEL: func @conv_bn
// IR-NOT: nn.batch_norm
// IR: nn.conv
// IR-NOT: nn.batch_norm
func.func @conv_bn(%x: tensor<1x1x1x1xf32>) -> tensor<1x2x1x1xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %s = arith.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %m = arith.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %0 = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x1x1x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x1x1xf32>
  %1 = nn.batch_norm %0, %s, %beta, %m, %v {epsilon = 1.0 : f32}
      : (tensor<1x2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x1x1xf32>
  return %1 : tensor<1x2x1x1xf32>
}
// The folded constants, as little-endian f32 blobs after the 4-byte alignment
// header: W' = [1.0, 2.0] = 0x3F800000, 0x40000000; b' = [1.0, -2.0].
// CHECK: bn_folded_w{{.*}}: "0x040000000000803F00000040"
// CHECK: bn_folded_b{{.*}}: "0x040000000000803F000000C0"

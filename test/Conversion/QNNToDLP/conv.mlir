// RUN: dlp-opt %s --convert-qnn-to-dlp="target=%configs/small.json pack-taps=false" --mlir-print-debuginfo | FileCheck %s
// RUN: dlp-opt %s --convert-qnn-to-dlp="target=%configs/small.json pack-taps=false" --mlir-print-debuginfo | dlp-translate --dlp-to-binary | dlp-translate --binary-to-dlp --mlir-print-debuginfo | FileCheck %s --check-prefix=BIN
// RUN: dlp-opt %s --convert-qnn-to-dlp=target=%configs/small.json | FileCheck %s --check-prefix=PACK

// A 3 -> 4 channel 3x3 conv, stride 2, pad 1, fused ReLU on the small
// target (L = Q = 8): one input channel block (3 channels + 5 zero lanes),
// one output block, K = 9 taps x 8 lanes = 72 weight rows, 5x5 -> 3x3.
func.func @main(%x: tensor<1x3x5x5xf32> {onnx.name = "x"}) -> tensor<1x4x3x3xf32> {
  %xq = qnn.quantize %x : (tensor<1x3x5x5xf32>) -> tensor<1x3x5x5xi8, #qnn.fmap<[4, 5, 6]>> loc("xq")
  %w = qnn.constant dense<7> : tensor<4x3x3x3xi8> : tensor<4x3x3x3xi8, #qnn.pow2<[0, 0, -1, -1]>>
  %b = qnn.constant dense<[1, 2, 3, 4]> : tensor<4xi32> : tensor<4xi32, #qnn.acc<[12, 12, 13, 13]>>
  %y = qnn.conv %xq, %w, %b {act_min = array<i32: 0>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x3x5x5xi8, #qnn.fmap<[4, 5, 6]>>, tensor<4x3x3x3xi8, #qnn.pow2<[0, 0, -1, -1]>>, tensor<4xi32, #qnn.acc<[12, 12, 13, 13]>>) -> tensor<1x4x3x3xi8, #qnn.fmap<[5, 5, 5, 5]>> loc("conv")
  %d = qnn.dequantize %y : (tensor<1x4x3x3xi8, #qnn.fmap<[5, 5, 5, 5]>>) -> tensor<1x4x3x3xf32>
  return %d : tensor<1x4x3x3xf32>
}

// The const region: 72 pow2 rows of 4 + 1 bytes (360), then at 360 one
// parameter entry of 8 x 8 bytes.
// CHECK: dlp.program attributes {data_bytes = 328 : i64, inputs = array<i32: 0>, outputs = array<i32: 1>
// CHECK: dlp.const_data dense_resource<dlp_const> : tensor<424xi8>
// CHECK: dlp.tensor {ddr_offset = 0 : i64, frac = array<i32: 4, 5, 6>, frac_block = 1 : i64, name = "x", shape = array<i64: 1, 3, 5, 5>, storage = array<i64: 3, 5, 5>}
// CHECK: dlp.tensor {ddr_offset = 256 : i64, frac = array<i32: 5, 5, 5, 5>, frac_block = 1 : i64, name = "conv", shape = array<i64: 1, 4, 3, 3>, storage = array<i64: 4, 3, 3>}
// Parameters; the input: 25 vectors of one channel block; then the resident
// weights, just before their first GEMM (bank 0: the first layer whose
// weights fit a bank), which push the GEMM's token (the input LOAD is
// before them in the load queue).
// CHECK: dlp.load {buf = 2 : i64, ddr_addr = 360 : i64, n0 = 1 : i64, {{.*}}region = 0 : i64, {{.*}}sram_addr = 512 : i64
// CHECK: dlp.load {buf = 0 : i64, ddr_addr = 0 : i64, n0 = 25 : i64, n1 = 1 : i64, n2 = 1 : i64, region = 1 : i64, s1 = 0 : i64, s2 = 200 : i64, sram_addr = 0 : i64, wfmt = 0 : i64}
// CHECK: dlp.load {buf = 1 : i64, ddr_addr = 0 : i64, n0 = 72 : i64, {{.*}}push_next, region = 0 : i64, {{.*}}sram_addr = 0 : i64, wfmt = 0 : i64}
// CHECK: dlp.gemm {acc_addr = 0 : i64, accumulate = 0 : i64, dil_h = 1 : i64, dil_w = 1 : i64, epilogue = 1 : i64, in_addr = 0 : i64, in_cb = 1 : i64, in_cstride = 25 : i64, in_h = 5 : i64, in_w = 5 : i64, k_h = 3 : i64, k_w = 3 : i64, out_addr = 50 : i64, out_h = 3 : i64, out_w = 3 : i64, pad_l = 1 : i64, pad_t = 1 : i64, param_addr = 512 : i64, pool_k = 0 : i64, pool_pad_b = 0 : i64, pool_pad_l = 0 : i64, pool_pad_r = 0 : i64, pool_pad_t = 0 : i64, pool_s = 0 : i64, pop_prev, push_next, residual = 0 : i64, stride_h = 2 : i64, stride_w = 2 : i64, w_addr = 0 : i64, wfmt = 0 : i64} loc([[CONV:#loc[0-9]*]])
// CHECK: dlp.store {buf = 0 : i64, ddr_addr = 256 : i64, n0 = 9 : i64, n1 = 1 : i64, n2 = 1 : i64, pop_prev, region = 1 : i64, s1 = 0 : i64, s2 = 0 : i64, sram_addr = 50 : i64, wfmt = 0 : i64} loc([[CONV]])
// CHECK: dlp.end
// CHECK: [[CONV]] = loc("conv")

// The disassembled binary holds the same instructions and names.
// BIN: dlp.gemm {{.*}}in_cb = 1 : i64{{.*}} loc([[BCONV:#loc[0-9]*]])
// BIN: dlp.store {{.*}}n0 = 9 : i64
// BIN: [[BCONV]] = loc("conv")

// By default the host packs the 3 kernel columns of the 3-channel input into
// 9 channels (host kind 20: k 3, stride 2, dilation 1, pad 1; the packed map
// has the input's 5 rows and the output's 3 columns), and the GEMM is a
// 3 x 1 conv over 2 channel blocks: 2 array steps per pixel instead of 3.
// PACK: dlp.tensor {ddr_offset = 384 : i64, frac = array<i32: 4, 5, 6, 4, 5, 6, 4, 5, 6>, frac_block = 1 : i64, name = "conv/packed_taps", shape = array<i64: 1, 9, 5, 3>, storage = array<i64: 9, 5, 3>}
// PACK: dlp.host_segment {const_bytes = 0 : i64, const_offset = 0 : i64, inputs = array<i32: 0>, kind = 20 : i32, outputs = array<i32: 2>, params = array<i64: 3, 2, 1, 1>}
// PACK: dlp.host {segment = 0 : i64}
// PACK: dlp.gemm {{{.*}}in_cb = 2 : i64, in_cstride = 15 : i64, in_h = 5 : i64, in_w = 3 : i64, k_h = 3 : i64, k_w = 1 : i64, {{.*}}pad_l = 0 : i64, pad_t = 1 : i64, {{.*}}stride_h = 2 : i64, stride_w = 1 : i64

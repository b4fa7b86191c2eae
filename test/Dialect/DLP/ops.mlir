// RUN: dlp-opt %s | dlp-opt | FileCheck %s
// RUN: dlp-opt %s | dlp-translate --dlp-to-hex | FileCheck %s --check-prefix=HEX

// A program that copies one 8-channel vector through FBUF: load, SYNC
// (a store after a load of the same FBUF vector needs a barrier: load and
// store share no token channel), store, end.
// CHECK-LABEL: dlp.program
// CHECK-SAME: data_bytes = 64
// CHECK: dlp.const_data dense<0> : tensor<8xi8>
// CHECK: dlp.tensor {{.*}}name = "x"
// CHECK: dlp.load {buf = 0 : i64, ddr_addr = 0 : i64, n0 = 1 : i64
// CHECK: dlp.sync
// CHECK: dlp.store {buf = 0 : i64, ddr_addr = 8 : i64
// CHECK: dlp.end
// HEX: // target small fingerprint 0x{{[0-9a-f]+}} code 4 const 8 data 64
// HEX-NEXT: 0 load   0000000000000001 0000000000000001 0000010000000000 0000000000004001
// HEX-NEXT: 1 sync   0000000000000000 0000000000000000 0000000000000000 0000000000000008
// HEX-NEXT: 2 store  0000000000000001 0000000000000001 0000010000000008 0000000000004002
// HEX-NEXT: 3 end    0000000000000000 0000000000000000 0000000000000000 0000000000000000
dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32: 0>, outputs = array<i32: 1>} {
  dlp.const_data dense<0> : tensor<8xi8>
  dlp.tensor {name = "x", shape = array<i64: 1, 8, 1, 1>, ddr_offset = 0 : i64, storage = array<i64: 8, 1, 1>, frac = array<i32: 0, 0, 0, 0, 0, 0, 0, 0>, frac_block = 1 : i64}
  dlp.tensor {name = "y", shape = array<i64: 1, 8, 1, 1>, ddr_offset = 8 : i64, storage = array<i64: 8, 1, 1>, frac = array<i32: 0, 0, 0, 0, 0, 0, 0, 0>, frac_block = 1 : i64}
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0}
  dlp.sync
  dlp.store {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 8, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0}
  dlp.end
}

// RUN: dlp-opt %s -split-input-file -verify-diagnostics

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.load' op has no field 'foo' (fields: buf, wfmt, region, sram_addr, ddr_addr, n0, n1, s1, n2, s2)}}
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0, foo = 1}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.load' op missing field 's2'}}
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.load' op field 'n0' = 16777216 does not fit its 24 bits}}
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 16777216, n1 = 1, s1 = 0, n2 = 1, s2 = 0}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.load' op field 'n0' = -1 does not fit its 24 bits}}
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = -1, n1 = 1, s1 = 0, n2 = 1, s2 = 0}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.load' op field 'buf' must be an integer}}
  dlp.load {buf = "fbuf", wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.load' op token flag 'pop_prev' names a neighbour the load queue does not have}}
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0, pop_prev}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.store' op token flag 'push_next' names a neighbour the store queue does not have}}
  dlp.store {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0, push_next}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.sync' op token flag 'pop_next' names a neighbour the barrier does not have}}
  dlp.sync {pop_next}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.load' op token flag 'push_next' must be a unit attribute}}
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0, push_next = 1}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.const_data' op value must be a 1-D tensor of i8}}
  dlp.const_data dense<0> : tensor<2x4xi8>
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  dlp.const_data dense<0> : tensor<8xi8>
  // expected-error @+1 {{'dlp.const_data' op a program holds at most one const_data}}
  dlp.const_data dense<0> : tensor<8xi8>
  dlp.end
}

// -----

// expected-error @+1 {{'dlp.end' op expects parent op 'dlp.program'}}
dlp.end

// -----

// expected-error @+1 {{'dlp.program' op dlp.program: $.name: missing field}}
dlp.program attributes {target = "{}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  dlp.end
}

// -----

// The runtime's validator: every address an instruction can touch lies in
// its buffer (FBUF of the small target: 16384 vectors).
dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.load' op invalid for the program's target: instruction #0 (load)}}
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 16384, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0}
  dlp.end
}

// -----

// A pop no push can satisfy: the replay of the token protocol deadlocks.
dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0, push_next}
  // expected-error @+1 {{'dlp.add' op invalid for the program's target: token deadlock before instruction #2 (end): compute queue head instruction #1 (add) waits on store->compute}}
  dlp.add {unary = 1, a_addr = 0, b_addr = 0, out_addr = 1, n = 1, cb = 1, a_cstride = 1, b_cstride = 0, out_cstride = 1, param_addr = 0, pop_prev, pop_next}
  dlp.end
}

// -----

dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32>, outputs = array<i32>} {
  // expected-error @+1 {{'dlp.end' op invalid for the program's target: instruction #0 (end)}}
  dlp.end
  dlp.end
}


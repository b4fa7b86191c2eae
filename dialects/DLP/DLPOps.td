//===- DLPOps.td - dlp ISA operations ----------------------*- tablegen -*-===//
#ifndef DLP_DLP_OPS_TD
#define DLP_DLP_OPS_TD

include "DLP/DLPDialect.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Program structure
//===----------------------------------------------------------------------===//

def DLP_ProgramOp : DLP_Op<"program", [NoTerminator, SingleBlock,
                                        NoRegionArguments]> {
  let summary = "a complete DLP program (the contents of one .dlpb)";
  let description = [{
    A complete DLP program: everything one `.dlpb` binary holds
    (docs/binary-format.md). `target` is the canonical JSON of the target
    config it was compiled for (docs/target-config.md), `data_bytes` the size
    of DDR region `data`, and `inputs` / `outputs` index the body's
    `dlp.tensor` ops (counted in order) that hold the model's inputs and
    outputs. The single block holds at most one `dlp.const_data`, the
    `dlp.tensor` and `dlp.host_segment` ops, and the instructions in program
    order. Once every op has verified on its own, the region verifier runs the
    runtime's validator on the whole program against its target (buffer and
    DDR bounds, weight codes, token balance and freedom from deadlock), so it
    accepts exactly the programs the loader accepts.

    Example (one FBUF vector copied from tensor `x` to tensor `y` on the small
    target):

    ```mlir
    dlp.program attributes {target = "{\22name\22:\22small\22,\22array\22:{\22L\22:8,\22Q\22:8},\22sram\22:{\22feature_bytes\22:131072,\22weight_bank_bytes\22:32768,\22acc_bytes\22:65536,\22param_entries\22:1024},\22clock_mhz\22:200,\22ddr\22:{\22bytes_per_cycle\22:16,\22latency_cycles\22:64},\22weight_formats\22:[\22pow2\22,\22int8\22],\22csr\22:false,\22units\22:{\22pool\22:true,\22eltwise\22:true},\22devices\22:{\22count\22:1,\22link_bytes_per_cycle\22:0}}", data_bytes = 64 : i64, inputs = array<i32: 0>, outputs = array<i32: 1>} {
      dlp.const_data dense<0> : tensor<8xi8>
      dlp.tensor {name = "x", shape = array<i64: 1, 8, 1, 1>, ddr_offset = 0 : i64, storage = array<i64: 8, 1, 1>, frac = array<i32: 0, 0, 0, 0, 0, 0, 0, 0>, frac_block = 1 : i64}
      dlp.tensor {name = "y", shape = array<i64: 1, 8, 1, 1>, ddr_offset = 8 : i64, storage = array<i64: 8, 1, 1>, frac = array<i32: 0, 0, 0, 0, 0, 0, 0, 0>, frac_block = 1 : i64}
      dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0}
      dlp.sync
      dlp.store {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 8, n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0}
      dlp.end
    }
    ```
  }];
  let arguments = (ins StrAttr:$target, I64Attr:$data_bytes,
                       DenseI32ArrayAttr:$inputs, DenseI32ArrayAttr:$outputs);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "attr-dict-with-keyword $body";
  // After the instructions verified on their own.
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBlock() { return getBody().front(); }
  }];
}

def DLP_ConstDataOp : DLP_Op<"const_data", [HasParent<"ProgramOp">]> {
  let summary = "the bytes of DDR region const (weights, parameters)";
  let description = [{
    The bytes of DDR region `const` (docs/isa.md section 1): the weight rows,
    parameter entries and host-segment constants that `dlp.load` (region 0)
    and host segments read. `value` is a 1-D tensor of `i8` (normally a
    `dense_resource` blob). A program holds at most one; without it the region
    is empty.

    Example:

    ```mlir
    dlp.const_data dense<0> : tensor<8xi8>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let assemblyFormat = "$value attr-dict";
  let hasVerifier = 1;
}

def DLP_TensorOp : DLP_Op<"tensor", [HasParent<"ProgramOp">]> {
  let summary = "a feature map in DDR region data (docs/isa.md section 1)";
  let description = [{
    A tensor in DDR region `data` (docs/isa.md section 1), one record of the
    binary's TENSORS section. `name` names it (the layer that produces it, or
    the model input), `shape` is the logical shape with batch 1 (`N x C x H x
    W`, or `N x K` after a flatten) and `ddr_offset` its first byte. An int8
    feature map (`type = 0`, the default) is stored channel-blocked with the
    extents `storage = [C, H, W]`: byte `((cb * H + y) * W + x) * L + l` holds
    channel `cb * L + l`, the lanes past `C` being 0; channel `c` has `frac[c
    / frac_block]` fractional bits. `type = 1` marks a float32 tensor of host
    float segments (row-major, storage `[elements, 1, 1]`, no fractional
    bits).

    Example (a 3-channel 5 x 5 input, one block of `L` lanes):

    ```mlir
    dlp.tensor {ddr_offset = 0 : i64, frac = array<i32: 4, 5, 6>, frac_block = 1 : i64, name = "x", shape = array<i64: 1, 3, 5, 5>, storage = array<i64: 3, 5, 5>}
    ```
  }];
  let arguments = (ins StrAttr:$name, DenseI64ArrayAttr:$shape,
                       I64Attr:$ddr_offset, DenseI64ArrayAttr:$storage,
                       DenseI32ArrayAttr:$frac, I64Attr:$frac_block,
                       DefaultValuedAttr<I32Attr, "0">:$type);
  let assemblyFormat = "attr-dict";
}

def DLP_HostSegmentOp : DLP_Op<"host_segment", [HasParent<"ProgramOp">]> {
  let summary = "an op run on the host CPU by a dlp.host instruction";
  let description = [{
    An operation the runtime runs on the host CPU when a `dlp.host`
    instruction names it (segments are numbered in program order). `kind` is a
    `dlprt::HostOpKind` (docs/binary-format.md, "Host segment kinds": 1
    grouped / depthwise conv, 2 channel concat, 3 dequantize, 4 quantize, 20
    packed conv taps, 26 int8 table, 27 per-channel scaling, the others float
    operators); `inputs` / `outputs` index the program's `dlp.tensor` ops;
    `params` are the kind's integer parameters, and `const_offset` /
    `const_bytes` the range of DDR region `const` it reads, as
    `runtime/include/dlprt/Program.h` documents per kind.

    Example (kind 20: the 3 kernel columns of a stride-2, pad-1 conv packed
    into channels):

    ```mlir
    dlp.host_segment {const_bytes = 0 : i64, const_offset = 0 : i64, inputs = array<i32: 0>, kind = 20 : i32, outputs = array<i32: 2>, params = array<i64: 3, 2, 1, 1>}
    ```
  }];
  let arguments = (ins I32Attr:$kind, DenseI32ArrayAttr:$inputs,
                       DenseI32ArrayAttr:$outputs, DenseI64ArrayAttr:$params,
                       I64Attr:$const_offset, I64Attr:$const_bytes);
  let assemblyFormat = "attr-dict";
}

//===----------------------------------------------------------------------===//
// Instructions (fields: runtime/include/dlprt/Isa.def)
//===----------------------------------------------------------------------===//

class DLP_InstrOp<string mnemonic, string summ>
    : DLP_Op<mnemonic, [HasParent<"ProgramOp">]> {
  let summary = summ;
  let assemblyFormat = "attr-dict";
  let hasVerifier = 1;
}

def DLP_LoadOp : DLP_InstrOp<"load", "strided DMA from DDR into a buffer"> {
  let description = [{
    One LOAD instruction (docs/isa.md section 3.2), run by the load queue: a
    strided DMA of an `n2 x n1 x n0` box of units from DDR into an on-chip
    buffer. Unit `(i2, i1, i0)` is read at byte `ddr_addr + i2 * s2 + i1 *
    s1 + i0 * u` of DDR region `region` (0 `const`, 1 `data`) and written to
    unit `sram_addr + (i2 * n1 + i1) * n0 + i0` of buffer `buf` (0 FBUF, 1
    WBUF, 2 PBUF). A unit of `u` bytes is an `L`-lane feature vector (FBUF), a
    weight row in format `wfmt` (WBUF: 0 pow2-4, 1 int8, 2 raw CSR-stream rows
    for `dlp.gemm_csr`) or an `8 Q` byte parameter entry (PBUF); `wfmt` is 0
    for the other buffers. WBUF and PBUF load from `const` only, so the loader
    checks every weight row and parameter entry a program can load. The load
    queue's only neighbour is compute (its *next*): only `pop_next` and
    `push_next` are valid.

    Example (25 feature vectors, a 5 x 5 channel block, into FBUF):

    ```mlir
    dlp.load {buf = 0 : i64, ddr_addr = 0 : i64, n0 = 25 : i64, n1 = 1 : i64, n2 = 1 : i64, region = 1 : i64, s1 = 0 : i64, s2 = 200 : i64, sram_addr = 0 : i64, wfmt = 0 : i64}
    ```
  }];
}

def DLP_StoreOp : DLP_InstrOp<"store", "strided DMA from FBUF to DDR"> {
  let description = [{
    One STORE instruction (docs/isa.md section 3.2), run by the store queue:
    the strided DMA of `dlp.load` in the other direction, from FBUF to DDR
    region `data` only (`buf = 0`, `region = 1`, `wfmt = 0`): FBUF unit
    `sram_addr + (i2 * n1 + i1) * n0 + i0` goes to byte `ddr_addr + i2 * s2 +
    i1 * s1 + i0 * L`. The store queue's only neighbour is compute (its
    *prev*): only `pop_prev` and `push_prev` are valid.

    Example (a 3 x 3 output tile written to its tensor):

    ```mlir
    dlp.store {buf = 0 : i64, ddr_addr = 256 : i64, n0 = 9 : i64, n1 = 1 : i64, n2 = 1 : i64, pop_prev, region = 1 : i64, s1 = 0 : i64, s2 = 0 : i64, sram_addr = 50 : i64, wfmt = 0 : i64}
    ```
  }];
}

def DLP_GemmOp : DLP_InstrOp<"gemm", "one L x Q tile loop (conv / fully connected)"> {
  let description = [{
    One GEMM instruction (docs/isa.md section 3.3), run by the compute queue:
    the output pixels `y < out_h`, `x < out_w` of one block of `Q` output
    channels of a convolution over `k_h x k_w` taps and `in_cb` input channel
    blocks, im2col on the fly (a fully-connected layer is the 1 x 1 case). For
    tap `(ky, kx)`, lane `l` of input block `cb` is read from FBUF vector
    `in_addr + cb * in_cstride + iy * in_w + ix` with `iy = y * stride_h +
    ky * dil_h - pad_t`, `ix = x * stride_w + kx * dil_w - pad_l` (0 outside
    the `in_h x in_w` tile) and shifted left by the alignment of weight row
    `r = w_addr + ((ky * k_w + kx) * in_cb + cb) * L + l`, giving `v`; the
    row's entry for output channel `q` then adds to `q`'s int32 accumulator
    `v * w` for an int8 weight `w` (`wfmt = 1`) or, for a pow2-4 code `s * 8 +
    k` (`wfmt = 0`), `(-1)^s * (v << (k - 1))` (0 for `k = 0`). The
    accumulator starts at the bias of PBUF entry `param_addr` (`accumulate =
    0`) or at ABUF `acc_addr + y * out_w + x` (`accumulate = 1`) and is
    written back there; with `epilogue = 1` it is also requantized by the
    entry's `out_shift` (docs/numerics.md section 3), clamped to `[act_min,
    act_max]` and written as int8 to FBUF `out_addr + y * out_w + x`. With
    `pool_k` > 0 (ISA v5, a target with `units.gemm_pool`) that `out_h x
    out_w` tile is max-pooled on the way instead (a `pool_k x pool_k` window,
    stride `pool_s`, padding `pool_pad_t`, `pool_pad_l`, `pool_pad_b`,
    `pool_pad_r`; only elements inside the tile count, -128 for none, as
    `dlp.pool`'s mode 0) and FBUF from `out_addr` receives the pooled tile
    only.

    Example (a 3 x 3, stride-2, pad-1 conv of a 5 x 5 block with fused
    epilogue):

    ```mlir
    dlp.gemm {acc_addr = 0 : i64, accumulate = 0 : i64, dil_h = 1 : i64, dil_w = 1 : i64, epilogue = 1 : i64, in_addr = 0 : i64, in_cb = 1 : i64, in_cstride = 25 : i64, in_h = 5 : i64, in_w = 5 : i64, k_h = 3 : i64, k_w = 3 : i64, out_addr = 50 : i64, out_h = 3 : i64, out_w = 3 : i64, pad_l = 1 : i64, pad_t = 1 : i64, param_addr = 512 : i64, pool_k = 0 : i64, pool_pad_b = 0 : i64, pool_pad_l = 0 : i64, pool_pad_r = 0 : i64, pool_pad_t = 0 : i64, pool_s = 0 : i64, pop_prev, push_next, residual = 0 : i64, stride_h = 2 : i64, stride_w = 2 : i64, w_addr = 0 : i64, wfmt = 0 : i64}
    ```
  }];
}

def DLP_GemmCsrOp : DLP_InstrOp<"gemm_csr", "GEMM with CSR sparse weights"> {
  let description = [{
    One GEMM_CSR instruction (docs/isa.md section 3.7, ISA v2), run by the
    compute queue: a `dlp.gemm` with the same fields and semantics whose `K x
    Q` weights and row alignments come not from dense WBUF rows but from a CSR
    stream read from WBUF row `w_addr` on (rows loaded with `wfmt = 2`): the
    entry count, the `K` row alignments, `Q + 1` per-channel pointers, then
    each entry's weight row and code (pow2-4 codes for `wfmt = 0`, int8
    weights for `wfmt = 1`). Every result equals the dense GEMM of the same
    weights. It needs a target with `csr`, and `K` at most its
    `csr.dense_rows`. The compiler emits it for the layers whose weight
    density is below `dlpc --csr-density`.

    Example:

    ```mlir
    dlp.gemm_csr {acc_addr = 0 : i64, accumulate = 0 : i64, dil_h = 1 : i64, dil_w = 1 : i64, epilogue = 1 : i64, in_addr = 0 : i64, in_cb = 1 : i64, in_cstride = 25 : i64, in_h = 5 : i64, in_w = 5 : i64, k_h = 3 : i64, k_w = 3 : i64, out_addr = 50 : i64, out_h = 3 : i64, out_w = 3 : i64, pad_l = 1 : i64, pad_t = 1 : i64, param_addr = 2048 : i64, pool_k = 0 : i64, pool_pad_b = 0 : i64, pool_pad_l = 0 : i64, pool_pad_r = 0 : i64, pool_pad_t = 0 : i64, pool_s = 0 : i64, pop_prev, push_next, residual = 0 : i64, stride_h = 2 : i64, stride_w = 2 : i64, w_addr = 0 : i64, wfmt = 0 : i64}
    ```
  }];
}

def DLP_GemmWinOp : DLP_InstrOp<"gemm_win", "GEMM with window-sparse weights"> {
  let description = [{
    One GEMM_WIN instruction (docs/isa.md section 3.8, ISA v4), run by the
    compute queue on a target with a window-sparse array (`array.window` W >
    1): a `dlp.gemm` with the same fields and semantics whose weights are
    pow2-4 codes stored by window: from WBUF row `w_addr`, `in_cb` rows of
    lane alignments, then for each window of W array steps (`(tap, cb)` pairs
    in `dlp.gemm`'s order) `slots` groups of `L` slot rows whose byte `q` is
    output channel `q`'s entry in that lane: a code and the offset of its
    step in the window. Each output pixel takes `slots` array steps per
    window instead of W, and every result equals the dense GEMM of the same
    weights. The compiler emits it for pow2 layers where it takes fewer array
    steps than `dlp.gemm`.

    Example:

    ```mlir
    dlp.gemm_win {acc_addr = 0 : i64, accumulate = 0 : i64, dil_h = 1 : i64, dil_w = 1 : i64, epilogue = 1 : i64, in_addr = 0 : i64, in_cb = 1 : i64, in_cstride = 25 : i64, in_h = 5 : i64, in_w = 5 : i64, k_h = 3 : i64, k_w = 3 : i64, out_addr = 50 : i64, out_h = 3 : i64, out_w = 3 : i64, pad_l = 1 : i64, pad_t = 1 : i64, param_addr = 2048 : i64, pool_k = 0 : i64, pool_pad_b = 0 : i64, pool_pad_l = 0 : i64, pool_pad_r = 0 : i64, pool_pad_t = 0 : i64, pool_s = 0 : i64, pop_prev, push_next, residual = 0 : i64, slots = 1 : i64, stride_h = 2 : i64, stride_w = 2 : i64, w_addr = 0 : i64, wfmt = 0 : i64}
    ```
  }];
}

def DLP_PoolOp : DLP_InstrOp<"pool", "max / average pooling FBUF to FBUF"> {
  let description = [{
    One POOL instruction (docs/isa.md section 3.4), run by the compute queue:
    pools `cb` channel blocks of an FBUF tile into FBUF, lane (channel) by
    lane. The input is addressed as `dlp.gemm`'s (`in_addr`, `in_cstride`,
    `in_h`, `in_w`); output pixel `(y, x)` of block `b` is FBUF `out_addr +
    b * out_cstride + y * out_w + x`. The `k_h x k_w` window starts at `(y *
    stride_h - pad_t, x * stride_w - pad_l)` with dilations `dil_h`, `dil_w`
    (1 for averages); only its elements inside the `in_h x in_w` tile are
    valid. `mode` 0 takes their maximum (-128 if there is none); modes 1 and 2
    divide their sum with docs/numerics.md section 4's reciprocal by the
    window clipped to the padded extent (mode 1, `pad_b` and `pad_r` bounding
    it) or by the number of valid elements (mode 2). The scale is unchanged.

    Example (a 2 x 2, stride-2 average over the valid elements of a 4 x 4
    block):

    ```mlir
    dlp.pool {cb = 1 : i64, dil_h = 1 : i64, dil_w = 1 : i64, in_addr = 0 : i64, in_cstride = 16 : i64, in_h = 4 : i64, in_w = 4 : i64, k_h = 2 : i64, k_w = 2 : i64, mode = 2 : i64, out_addr = 32 : i64, out_cstride = 4 : i64, out_h = 2 : i64, out_w = 2 : i64, pad_b = 0 : i64, pad_l = 0 : i64, pad_r = 0 : i64, pad_t = 0 : i64, pop_prev, push_next, stride_h = 2 : i64, stride_w = 2 : i64}
    ```
  }];
}

def DLP_AddOp : DLP_InstrOp<"add", "element-wise add, requantize or clamp"> {
  let description = [{
    One ADD instruction (docs/isa.md section 3.5), run by the compute queue:
    for channel blocks `b < cb`, vectors `i < n` and lanes `c`, with `a` the
    FBUF vector `a_addr + b * a_cstride + i`, `bb` the vector `b_addr + b *
    b_cstride + i` (0 when `unary = 1`) and `P` the parameter entry
    `param_addr + b`: `t = d >= 0 ? a + (bb << d) : (a << -d) + bb` with `d =
    P.aux[c]` (`f_a - f_b`, `|d| <= 22`), and FBUF `out_addr + b *
    out_cstride + i` receives `clamp(requant(t, P.out_shift[c]), P.act_min[c],
    P.act_max[c])` (docs/numerics.md sections 3 and 5). It implements
    `qnn.add` and, with `unary` and `aux = 0`, `qnn.requantize` and
    `qnn.clamp`.

    Example (a residual add of two 2 x 2 blocks):

    ```mlir
    dlp.add {a_addr = 0 : i64, a_cstride = 4 : i64, b_addr = 4 : i64, b_cstride = 4 : i64, cb = 1 : i64, n = 4 : i64, out_addr = 8 : i64, out_cstride = 4 : i64, param_addr = 0 : i64, pop_prev, push_next, unary = 0 : i64}
    ```
  }];
}

def DLP_HostOp : DLP_InstrOp<"host", "run a host segment (barrier)"> {
  let description = [{
    One HOST instruction (docs/isa.md section 3.6), a barrier: once every
    earlier instruction of every queue has completed, the runtime runs
    `dlp.host_segment` number `segment` (in program order) on the CPU; it
    reads and writes DDR region `data` only, through the `dlp.tensor`s the
    segment names. No later instruction starts before it completes. A barrier
    takes no token flags.

    Example:

    ```mlir
    dlp.host {segment = 0 : i64}
    ```
  }];
}

def DLP_SyncOp : DLP_InstrOp<"sync", "barrier"> {
  let description = [{
    One SYNC instruction (docs/isa.md section 2), a barrier that does nothing
    else: it waits until every earlier instruction of every queue has
    completed, and no later instruction starts before it. The compiler places
    it where a store must finish before a later load reads the same DDR bytes
    (the load and store queues share no token). No fields, no token flags.

    Example:

    ```mlir
    dlp.sync
    ```
  }];
}

def DLP_EndOp : DLP_InstrOp<"end", "end of program (barrier)"> {
  let description = [{
    The END instruction (docs/isa.md section 3.6), a barrier that ends the
    program: it must be the last instruction and appear exactly once, and
    every token semaphore must be zero when it runs (section 2). No fields, no
    token flags.

    Example:

    ```mlir
    dlp.end
    ```
  }];
}

#endif // DLP_DLP_OPS_TD

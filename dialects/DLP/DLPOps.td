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
    `target` is the canonical JSON of the target config the program was
    compiled for; `data_bytes` the size of DDR region `data`; `inputs` and
    `outputs` index the `dlp.tensor` ops of the body (in order).

    ```mlir
    dlp.program attributes {target = "{...}", data_bytes = 1024 : i64,
                            inputs = array<i32: 0>, outputs = array<i32: 1>} {
      dlp.const_data dense<[...]> : tensor<64xi8>
      dlp.tensor {name = "x", ...}
      dlp.load {...}
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
    At most one per program; `value` is a 1-D i8 tensor (normally a
    `dense_resource` blob).
  }];
  let arguments = (ins ElementsAttr:$value);
  let assemblyFormat = "$value attr-dict";
  let hasVerifier = 1;
}

def DLP_TensorOp : DLP_Op<"tensor", [HasParent<"ProgramOp">]> {
  let summary = "a feature map in DDR region data (docs/isa.md section 1)";
  let description = [{
    Channel-blocked storage `C x H x W` at `ddr_offset`; `shape` is the
    logical shape (batch 1); channel `c` has `frac[c / frac_block]`
    fractional bits. `type = 1` marks a float32 tensor of a host float
    segment (row-major, storage `[elements, 1, 1]`, no frac bits).

    ```mlir
    dlp.tensor {name = "conv1", shape = array<i64: 1, 8, 28, 28>, ddr_offset = 0 : i64,
                storage = array<i64: 8, 28, 28>, frac = array<i32: 5, 6, ...>, frac_block = 1 : i64}
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
    `kind` is a `dlprt::HostOpKind` (1 grouped conv, 2 channel concat);
    `inputs` / `outputs` index the program's `dlp.tensor` ops; `params` and
    the const range are as `runtime/include/dlprt/Program.h` documents.
  }];
  let arguments = (ins I32Attr:$kind, DenseI32ArrayAttr:$inputs,
                       DenseI32ArrayAttr:$outputs, DenseI64ArrayAttr:$params,
                       I64Attr:$const_offset, I64Attr:$const_bytes);
  let assemblyFormat = "attr-dict";
}

//===----------------------------------------------------------------------===//
// Instructions (fields: runtime/include/dlprt/Isa.def)
//===----------------------------------------------------------------------===//

class DLP_InstrOp<string mnemonic, string summ, string desc>
    : DLP_Op<mnemonic, [HasParent<"ProgramOp">]> {
  let summary = summ;
  let description = desc;
  let assemblyFormat = "attr-dict";
  let hasVerifier = 1;
}

def DLP_LoadOp : DLP_InstrOp<"load", "strided DMA from DDR into a buffer", [{
  docs/isa.md section 3.2: `n2 x n1 x n0` units from DDR (`region`,
  `ddr_addr`, strides `s1`, `s2`) into `buf` (0 FBUF, 1 WBUF, 2 PBUF) from
  `sram_addr`. Load queue.

  ```mlir
  dlp.load {buf = 0, wfmt = 0, region = 1, sram_addr = 0, ddr_addr = 0,
            n0 = 784, n1 = 1, s1 = 0, n2 = 1, s2 = 0, push_next}
  ```
}]>;
def DLP_StoreOp : DLP_InstrOp<"store", "strided DMA from FBUF to DDR", [{
  docs/isa.md section 3.2, FBUF to region data. Store queue.
}]>;
def DLP_GemmOp : DLP_InstrOp<"gemm", "one L x Q tile loop (conv / fully connected)", [{
  docs/isa.md section 3.3: `out_h x out_w` outputs of one block of Q output
  channels over `k_h x k_w` taps and `in_cb` input channel blocks, pow2-4
  shift-accumulate (`wfmt = 0`) or int8 multiply-accumulate (`wfmt = 1`);
  starts from the bias or accumulates; optional epilogue (requantize,
  clamp, write int8 to FBUF). Compute queue.
}]>;
def DLP_GemmCsrOp : DLP_InstrOp<"gemm_csr", "GEMM with CSR sparse weights", [{
  docs/isa.md section 3.7: a `dlp.gemm` whose K x Q weights come from a CSR
  stream in WBUF from `w_addr` on (rows loaded with `wfmt = 2`): per output
  channel its non-zero codes and their rows, and the K row alignments.
  Same fields as `dlp.gemm`. Compute queue.
}]>;
def DLP_PoolOp : DLP_InstrOp<"pool", "max / average pooling FBUF to FBUF", [{
  docs/isa.md section 3.4. Compute queue.
}]>;
def DLP_AddOp : DLP_InstrOp<"add", "element-wise add, requantize or clamp", [{
  docs/isa.md section 3.5: residual add with aligning shifts, or (`unary`)
  a requantization / clamp. Compute queue.
}]>;
def DLP_HostOp : DLP_InstrOp<"host", "run a host segment (barrier)", [{
  docs/isa.md section 3.6: runs `dlp.host_segment` number `segment` on the
  CPU once every earlier instruction completed.
}]>;
def DLP_SyncOp : DLP_InstrOp<"sync", "barrier", [{
  docs/isa.md section 2: waits for every earlier instruction; orders a
  store before a later load of the same DDR bytes.
}]>;
def DLP_EndOp : DLP_InstrOp<"end", "end of program (barrier)", [{
  The last instruction.
}]>;

#endif // DLP_DLP_OPS_TD

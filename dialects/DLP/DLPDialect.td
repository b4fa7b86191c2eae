//===- DLPDialect.td - dlp ISA dialect ---------------------*- tablegen -*-===//
#ifndef DLP_DLP_DIALECT_TD
#define DLP_DLP_DIALECT_TD

include "mlir/IR/OpBase.td"

def DLP_Dialect : Dialect {
  let name = "dlp";
  let cppNamespace = "::dlp::device";
  let summary = "The DLP instruction set: one op per instruction";
  let description = [{
    A `dlp.program` holds everything a `.dlpb` binary holds
    (docs/binary-format.md): the target it was compiled for, the DDR
    `const` region (`dlp.const_data`), the feature-map descriptors
    (`dlp.tensor`), the host segments (`dlp.host_segment`) and the
    instruction stream, one op per 256-bit instruction of docs/isa.md in
    program order. An instruction op's attributes are exactly the fields of
    its opcode in `runtime/include/dlprt/Isa.def` (the one definition of the
    encoding; the verifier checks the names and bit widths against it) plus
    the token flags `pop_prev`, `pop_next`, `push_prev`, `push_next`.
    Locations name the ONNX node an instruction implements; they become the
    binary's debug map. The program verifier checks the whole stream
    against the target with the runtime's own validator (buffer and DDR
    bounds, weight codes, token balance and deadlock freedom), so the
    compiler and the loader accept exactly the same programs.
  }];
}

class DLP_Op<string mnemonic, list<Trait> traits = []>
    : Op<DLP_Dialect, mnemonic, traits>;

#endif // DLP_DLP_DIALECT_TD

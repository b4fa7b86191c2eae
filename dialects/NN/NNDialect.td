//===- NNDialect.td - nn float graph dialect ---------------*- tablegen -*-===//
//
// The `nn` dialect: the float graph an ONNX model is imported into.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_NN_DIALECT_TD
#define DLP_NN_DIALECT_TD

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::dlp::nn";
  let summary = "Float neural-network graph dialect (ONNX-level, NCHW)";
  let description = [{
    The `nn` dialect holds a float model as imported from ONNX: value-semantic
    ranked tensors of `f32` in NCHW layout, one op per ONNX operator (after
    normalization). Every attribute is stored fully explicit (pads have one
    begin and one end entry per spatial axis, `auto_pad` is resolved, negative
    axes are normalized), so later passes and the evaluators never re-derive
    ONNX defaults. Result types are inferred from operands and attributes; the
    verifier checks that the declared result type matches the inferred one.
    Weights are `arith.constant` ops holding `dense_resource` blobs.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

#endif // DLP_NN_DIALECT_TD

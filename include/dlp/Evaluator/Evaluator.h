//===- Evaluator.h - Float reference evaluator of nn modules ----*- C++ -*-===//
//
// Runs a `func.func` of nn ops on the CPU: the golden model for calibration
// and layer-by-layer diffs. Shapes are recomputed at run time with the same
// rules the verifiers use (NNShapes), so a dynamic batch dimension takes its
// extent from the inputs.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_EVALUATOR_EVALUATOR_H
#define DLP_EVALUATOR_EVALUATOR_H

#include "dlp/Evaluator/Tensor.h"
#include "dlp/Support/Constants.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <memory>
#include <string>

namespace dlp::eval {

/// Execution resources shared by the kernels.
struct ExecContext {
  /// Threads the kernels may use (1: single-threaded); see Parallel.h.
  int64_t numThreads = 1;
  /// Set by a kernel that fails (then it returns a null tensor).
  std::string error;
  /// Per-op data prepared once per model (the integer term tables of qnn
  /// conv / fully-connected ops); kernels compute it when absent.
  const llvm::DenseMap<mlir::Operation *, Tensor> *prepared = nullptr;
};

/// The prepared data of a qnn conv / fully_connected op given its weight:
/// the int32 term multipliers (docs/numerics.md section 3), one row per
/// output channel. A null tensor for other ops.
Tensor prepareOp(mlir::Operation *op, const Tensor &weight);

/// Float view of value `v`'s tensor `t`: itself for f32, the dequantized
/// values (docs/numerics.md section 1) for an int8 feature map, a plain
/// conversion for other integer tensors.
Tensor asFloat(mlir::Value v, const Tensor &t);

/// Read-only view of a constant's data; keeps the constant's expanded
/// storage (if any) alive. Blob-backed data must outlive the tensor.
Tensor constantTensor(FloatConstant constant);

/// Runs one nn op on concrete inputs (one per operand, in order). Returns a
/// null tensor and sets `ctx.error` on failure (unsupported op, shape error).
Tensor evaluateOp(mlir::Operation *op, llvm::ArrayRef<Tensor> inputs,
                  ExecContext &ctx);

/// A compiled program for one function: constants resolved once, values
/// numbered, each intermediate freed after its last use.
class Evaluator {
public:
  /// Callback receiving every op result: (layer name, op, tensor).
  using DumpFn = llvm::function_ref<void(llvm::StringRef, mlir::Operation *,
                                         const Tensor &)>;

  /// Prepares `func`; on failure returns null and emits a diagnostic.
  static std::unique_ptr<Evaluator> create(mlir::func::FuncOp func,
                                           unsigned numThreads);
  ~Evaluator();

  unsigned numInputs() const;
  unsigned numOutputs() const;

  /// Runs the function. On failure returns false and sets `error`
  /// (naming the op and its layer).
  bool run(llvm::ArrayRef<Tensor> inputs, llvm::SmallVectorImpl<Tensor> &outputs,
           std::string &error, DumpFn dump = nullptr);

  /// Layer name of an op: its NameLoc (the ONNX node name) or "op#index".
  static std::string layerName(mlir::Operation *op);

private:
  Evaluator();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace dlp::eval

#endif // DLP_EVALUATOR_EVALUATOR_H

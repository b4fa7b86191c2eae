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

#include "dlprt/kernels/IGemm.h"
#include "dlp/Evaluator/Tensor.h"
#include "dlp/Support/Constants.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <memory>
#include <string>

namespace dlp::eval {

namespace igemm = dlprt::kernels::igemm;

/// Integer data of a qnn conv / fully_connected op, prepared once per model.
struct PreparedTerms {
  /// The int32 term multipliers (docs/numerics.md section 3), one row per
  /// output channel; kept only when `packed` is empty.
  Tensor terms;
  /// The same terms packed for the int16 GEMM, one matrix per group; empty
  /// when a term does not fit int16 or groups have too few output channels
  /// to fill the GEMM's register tile (depthwise): the int32 path runs then.
  std::vector<igemm::PackedA> packed;
};

/// Execution resources shared by the kernels.
struct ExecContext {
  /// Threads the kernels may use (1: single-threaded); see Parallel.h.
  int64_t numThreads = 1;
  /// Set by a kernel that fails (then it returns a null tensor).
  std::string error;
  /// Float matrix products (gemm, fully-connected, 2-D matmul) run one row
  /// of the left operand at a time: the DLP runs a quantized program one
  /// image at a time, and a GEMM's rounding depends on its row count, so the
  /// float ops a quantized function keeps are evaluated image by image to
  /// give the host segments' bits. Set for functions with qnn ops, unless
  /// every input has a static batch of 1 (the function is one image, as
  /// the DLP program is).
  bool imageByImage = false;
  /// Per-op data prepared once per model (the integer term tables of qnn
  /// conv / fully-connected ops); kernels compute it when absent.
  const llvm::DenseMap<mlir::Operation *,
                       std::shared_ptr<const PreparedTerms>> *prepared =
      nullptr;
};

/// The prepared data of a qnn conv / fully_connected op given its weight;
/// null for other ops. `int16Gemm` = false leaves `packed` empty, so the
/// direct int32 kernels run (to cross-check the two).
std::shared_ptr<const PreparedTerms>
prepareOp(mlir::Operation *op, const Tensor &weight, bool int16Gemm = true);

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
  /// `int16Gemm`: see prepareOp.
  static std::unique_ptr<Evaluator> create(mlir::func::FuncOp func,
                                           unsigned numThreads,
                                           bool int16Gemm = true);
  ~Evaluator();

  unsigned numInputs() const;
  unsigned numOutputs() const;

  /// How the qnn conv / fully-connected layers run.
  struct KernelCounts {
    unsigned int16Gemm = 0;    ///< on the int16 GEMM
    unsigned columnShifts = 0; ///< of those, with column shifts
    unsigned direct = 0;       ///< on the direct int32 kernels
  };
  KernelCounts kernelCounts() const;

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

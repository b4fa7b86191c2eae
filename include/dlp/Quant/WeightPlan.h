//===- WeightPlan.h - Data-driven weight quantization -----------*- C++ -*-===//
//
// Chooses every conv / fully-connected layer's quantized weights and bias
// from calibration samples before --dlp-quantize rewrites the graph: the
// layers in graph order, each on the inputs of the model quantized so far
// (earlier layers with their quantized weights and corrected biases, feature
// maps rounded to their calibrated int8 scales), pow2-4 weights rounded by
// GPTQ (Gptq.h) on the Hessian of those inputs, and each output channel's
// mean output error against the float model on the samples folded into
// its bias (bias correction).
//
//===----------------------------------------------------------------------===//
#ifndef DLP_QUANT_WEIGHTPLAN_H
#define DLP_QUANT_WEIGHTPLAN_H

#include "dlp/Evaluator/Tensor.h"
#include "dlp/Quant/Calibration.h"
#include "dlp/Quant/Gptq.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <map>
#include <optional>

namespace dlp::quant {

/// Calibration samples held in memory: one f32 tensor per function
/// argument, samples along dimension 0.
struct CalibrationSamples {
  std::vector<eval::Tensor> inputs;
  int64_t count = 0;

  /// Views of samples [begin, end).
  CalibrationSamples slice(int64_t begin, int64_t end) const;
  /// Reads one .npy per function argument (the same sample count in each).
  static llvm::Expected<CalibrationSamples>
  readNpy(llvm::ArrayRef<std::string> paths);
};

/// One precision of a layer: its weights and float bias (numOut entries).
struct PlannedWeights {
  QuantizedWeights weights;
  std::vector<float> bias;
};

/// A layer's planned weights, in the precision it was planned for.
struct PlannedLayer {
  bool int8 = false;
  PlannedWeights planned;
};

/// Planned layers by layer name (eval::Evaluator::layerName).
struct WeightPlan {
  std::map<std::string, PlannedLayer> layers;
};

struct WeightPlanOptions {
  GptqOptions gptq;
  /// Pow2-4 rounding by GPTQ; false: the nearest rule (bias correction
  /// only).
  bool gptqRounding = true;
  bool perLayer = false;
  int maxFracSpread = 8;
  /// Input rows per layer for the Hessian (conv: im2col rows, every
  /// stride-th of the samples' rows).
  int64_t maxRows = int64_t(1) << 14;
  unsigned numThreads = 2;
};

/// Whether a layer gets int8 weights: (layer, float weights, numOut).
using Int8Choice =
    llvm::function_ref<bool(llvm::StringRef, llvm::ArrayRef<float>, int64_t)>;

/// The most samples planWeights holds within `budgetBytes`: it keeps every
/// sample's feature maps of the live values of two models (float and
/// quantized-so-far); estimated from the largest per-sample result of
/// `func` (4 such tensors per sample). At least 1.
int64_t planSampleLimit(mlir::func::FuncOp func, int64_t budgetBytes);

/// Plans the layers of the nn function `func` over `samples`. Emits a
/// diagnostic and fails when the samples do not fit the function or an op
/// cannot be evaluated.
mlir::FailureOr<WeightPlan> planWeights(mlir::func::FuncOp func,
                                        const CalibrationSamples &samples,
                                        const CalibrationTable &table,
                                        const WeightPlanOptions &options,
                                        Int8Choice isInt8);

} // namespace dlp::quant

#endif // DLP_QUANT_WEIGHTPLAN_H

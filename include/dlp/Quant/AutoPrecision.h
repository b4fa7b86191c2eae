//===- AutoPrecision.h - Mixed precision by top-1 agreement -----*- C++ -*-===//
//
// The search behind --dlp-quantize precision=auto: the fewest MACs moved
// from pow2-4 to int8 weights until the quantized model's top-1 agrees with
// the float model's on calibration samples to a target (no labels). Layers
// are ranked once by the output error (vs the float model) they remove
// alone per MAC, then added in that order, each kept only if it lowers the
// error or raises the agreement, until the target is met; then each chosen
// layer whose removal keeps the target (largest first) goes back to pow2-4: 1 +
// 3 x layers quantize-and-evaluate runs at most. The caller measures the
// agreement of a set of int8 layers.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_QUANT_AUTOPRECISION_H
#define DLP_QUANT_AUTOPRECISION_H

#include "dlp/Quant/WeightPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace dlp::quant {

struct LayerMacs {
  std::string name;
  int64_t macs; ///< per sample
};

struct AutoPrecisionResult {
  std::set<std::string> int8;
  double agreement = 0; ///< percent, with `int8`
  bool reached = false;
  int64_t pow2Macs = 0, totalMacs = 0;
  int runs = 0; ///< agreement measurements
  double pow2Fraction() const {
    return totalMacs ? double(pow2Macs) / double(totalMacs) : 1.0;
  }
};

/// What a quantized model does on the samples: top-1 agreement with the
/// float model (percent) and its outputs' error (outputError).
struct PrecisionMeasure {
  double agreement = 0, error = 0;
};

/// `measure(int8 layers)`: the model with those layers int8 and the rest
/// pow2-4.
AutoPrecisionResult searchPrecision(
    const std::vector<LayerMacs> &layers, double target,
    llvm::function_ref<PrecisionMeasure(const std::set<std::string> &)>
        measure);

/// Percent of the rows of `a` and `b` (n x classes, row-major) whose first
/// maximum is at the same index.
double top1Agreement(const float *a, const float *b, int64_t n,
                     int64_t classes);

/// sum (a - b)^2 / sum b^2 over n values (the plain sum when b is 0).
double outputError(const float *a, const float *b, int64_t n);

/// MACs per sample of every conv / fully-connected layer of the nn
/// function `func` with a constant weight, in graph order.
std::vector<LayerMacs> layerMacs(mlir::func::FuncOp func);

/// Runs `func` (nn or qnn) on `samples`, 256 at a time, and returns its
/// first output as samples x `classes` floats; emits a diagnostic on
/// failure.
mlir::FailureOr<std::vector<float>>
evaluateOutputs(mlir::func::FuncOp func, const CalibrationSamples &samples,
                unsigned numThreads, int64_t &classes);

} // namespace dlp::quant

#endif // DLP_QUANT_AUTOPRECISION_H

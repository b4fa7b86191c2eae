//===- Passes.h - quantization passes ---------------------------*- C++ -*-===//
#ifndef DLP_QUANT_PASSES_H
#define DLP_QUANT_PASSES_H

#include "NN/NNOps.h"
#include "QNN/QNNOps.h"
#include "dlp/Quant/Calibration.h"
#include "dlp/Quant/WeightPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace dlp {

#define GEN_PASS_DECL
#include "dlp/Quant/Passes.h.inc"

/// --dlp-quantize with a calibration table held in memory (the `calibration`
/// option is then ignored) and, for weight-rounding=gptq / precision=auto,
/// calibration samples (else `calib-inputs` is read).
std::unique_ptr<mlir::Pass> createDLPQuantize(
    const DLPQuantizeOptions &options,
    std::shared_ptr<const quant::CalibrationTable> table,
    std::shared_ptr<const quant::CalibrationSamples> samples = nullptr);

#define GEN_PASS_REGISTRATION
#include "dlp/Quant/Passes.h.inc"

} // namespace dlp

#endif // DLP_QUANT_PASSES_H

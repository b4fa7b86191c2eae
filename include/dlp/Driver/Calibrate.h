//===- Calibrate.h - Calibration over sample files --------------*- C++ -*-===//
#ifndef DLP_DRIVER_CALIBRATE_H
#define DLP_DRIVER_CALIBRATE_H

#include "dlp/Quant/Calibration.h"
#include "dlp/Quant/WeightPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace dlp::driver {

/// Runs the float evaluator on `func` over the calibration samples
/// `calibPaths` names (one .npy per model input, one .npz with arrays
/// matched to the inputs by name or else in order, or one folder of such
/// batches), `calibBatch` samples at a time (a model whose inputs have a
/// static batch B > 1: B at a time) on `numThreads` threads, and
/// records every tensor in `cal`. Errors are printed as "dlpc: ..." to
/// stderr; returns false on failure.
bool calibrate(mlir::func::FuncOp func, llvm::ArrayRef<std::string> calibPaths,
               unsigned calibBatch, unsigned numThreads,
               quant::Calibrator &cal);

/// Reads the first `maxSamples` calibration samples `calibPaths` names (as
/// calibrate() reads them) into memory, one tensor per input of `func`.
/// Errors are printed as "dlpc: ..."; returns false on failure.
bool loadSamples(mlir::func::FuncOp func,
                 llvm::ArrayRef<std::string> calibPaths, int64_t maxSamples,
                 quant::CalibrationSamples &samples);

} // namespace dlp::driver

#endif // DLP_DRIVER_CALIBRATE_H

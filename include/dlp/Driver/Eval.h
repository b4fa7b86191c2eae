//===- Eval.h - The dlp-eval evaluation driver ------------------*- C++ -*-===//
#ifndef DLP_DRIVER_EVAL_H
#define DLP_DRIVER_EVAL_H

#include <string>
#include <vector>

namespace dlp::driver {

/// Everything dlp-eval's options say (see `dlp-eval --help`).
struct EvalRequest {
  /// An .onnx file or an .mlir/.mlirbc module of nn or qnn ops.
  std::string modelPath;
  /// NAME=D0xD1x... per pinned model input (ONNX import).
  std::vector<std::string> inputShapes;
  /// One .npy per model input; at most one .npy per model output.
  std::vector<std::string> inputPaths, outputPaths;
  unsigned numThreads = 2;
  /// Write every intermediate tensor as DIR/<layer>.npy; empty: no dumps.
  std::string dumpDir;
  bool noOptimize = false;
  bool printTime = false;
  /// Runs (--time prints the median and minimum); 0 counts as 1.
  unsigned repeat = 1;
  /// Per-op-kind / per-layer run times of the last repeat.
  bool profile = false, profileLayers = false;
  /// Load, optimize and prepare the model, then stop.
  bool prepareOnly = false;
  /// Calibration table (JSON) to record over the inputs; empty: none.
  std::string calibrationOut;
  double percentile = 0;
  /// Float model to compare every layer against (SQNR); empty: none.
  std::string referencePath;
  double sqnrBound = 20.0;
  /// qnn conv / fully-connected on the int16 GEMM where the terms fit.
  bool int16Gemm = true;
  /// Print the supported ONNX ops and do nothing else.
  bool listONNXOps = false;
};

/// Runs the dlp-eval driver: load (importing ONNX), nn-optimize, prepare the
/// evaluator, run it on the inputs and write outputs, dumps, calibration
/// table and reports. Errors go to stderr as "dlp-eval: ..." or MLIR
/// diagnostics. Returns the process exit code: 0 success, 1 failure, 2 bad
/// usage.
int runEval(const EvalRequest &request);

} // namespace dlp::driver

#endif // DLP_DRIVER_EVAL_H

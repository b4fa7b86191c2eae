//===- Compile.h - The dlpc compile driver ----------------------*- C++ -*-===//
#ifndef DLP_DRIVER_COMPILE_H
#define DLP_DRIVER_COMPILE_H

#include <string>
#include <vector>

namespace dlp::driver {

/// Everything dlpc's options say (see `dlpc --help`).
struct CompileRequest {
  std::string modelPath, outputPath = "-";
  /// nn, qnn, dlp or bin; empty: bin with a target, else qnn.
  std::string emit;
  std::string targetPath;
  std::vector<std::string> calibPaths;
  unsigned calibBatch = 256;
  double percentile = 0;
  std::string calibrationIn, calibrationOut, precision;
  std::string weights = "pow2", weightScale = "channel";
  std::vector<std::string> int8Layers;
  double autoInt8 = 0;
  int maxFracSpread = 8;
  /// pow2-4 rounding: nearest or gptq; precision "auto" searches.
  std::string weightRounding = "nearest";
  int gptqSamples = 512;
  double autoAgreement = 98.5;
  int autoSamples = 2048;
  /// CSR weights for layers below this weight density (0: never).
  double csrDensity = 0;
  /// NAME=D0xD1x... per pinned model input (ONNX import).
  std::vector<std::string> inputShapes;
  /// Tiling per layer by the cycle model.
  bool tileSearch = false;
  /// Forced loop orders: output|weight, or NAME=output|weight.
  std::vector<std::string> loopOrder;
  /// A remark per GEMM layer on its tiling.
  bool reportTiles = false;
  bool fmapsOnChip = true;
  bool elideDeadStores = false;
  unsigned numThreads = 2;
  /// Inputs of the golden chain (one .npy per model input); empty: none.
  std::vector<std::string> goldenInputs;
  bool printTime = false;
};

/// Runs the dlpc driver: import, optimize, calibrate, compile, write (or the
/// golden chain). Errors go to stderr as "dlpc: ..." or MLIR diagnostics.
/// Returns the process exit code: 0 success, 1 failure, 2 bad usage.
int runCompile(const CompileRequest &request);

} // namespace dlp::driver

#endif // DLP_DRIVER_COMPILE_H

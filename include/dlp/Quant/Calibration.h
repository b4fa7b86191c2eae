//===- Calibration.h - Per-channel activation ranges ------------*- C++ -*-===//
//
// Calibration runs the float evaluator over calibration inputs and records,
// for every tensor of the graph (function arguments and op results), the
// per-channel range that the quantizer turns into fractional bits with TF2's
// rule (docs/numerics.md section 1). Channels are dimension 1 (NCHW, N x C);
// a rank-0/1 tensor is one channel. The table is JSON so that external tools
// can supply one.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_QUANT_CALIBRATION_H
#define DLP_QUANT_CALIBRATION_H

#include "dlp/Evaluator/Tensor.h"

#include "mlir/IR/Value.h"
#include "mlir/IR/ValueRange.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace dlp::quant {

/// The table key of a value: the layer name of its producing op
/// (eval::Evaluator::layerName), or for a function argument its
/// `onnx.name` argument attribute, else "arg<index>".
std::string tensorName(mlir::Value v);

/// The range of one tensor: per channel, the value the fractional bits are
/// chosen for (max |x|, or the given percentile of |x|).
struct TensorRange {
  std::string op;             // producing op ("arg" for a function argument)
  std::vector<int64_t> shape; // dimension 0: every sample seen
  std::vector<double> range;  // per channel
  /// False for an activation that held an infinite or NaN value (a -inf
  /// attention mask): the quantizer keeps it float (its range is then 0).
  bool finite = true;
};

/// Fractional bits of every channel of a tensor with per-channel ranges
/// `range` (TF2's rule), each capped at the smallest plus `maxSpread` (the
/// quantizer's max-frac-spread).
std::vector<int> cappedFracBits(const std::vector<double> &range,
                                int maxSpread);

/// Ranges keyed by tensor name: the layer name of the producing op (see
/// eval::Evaluator::layerName) or the argument's name.
struct CalibrationTable {
  /// 0 for max |x|; else the percentile (e.g. 99.99) of |x| per channel.
  double percentile = 0;
  int64_t samples = 0; // batch elements observed
  std::map<std::string, TensorRange> tensors;

  /// Fractional bits of every channel of `name` (TF2's rule), if present.
  std::vector<int> fracBits(llvm::StringRef name) const;
  /// The same with every channel capped at the tensor's smallest plus
  /// `maxSpread` (the quantizer's max-frac-spread).
  std::vector<int> fracBits(llvm::StringRef name, int maxSpread) const;

  /// Whether `name`'s entry says it held an infinite or NaN value.
  bool nonFinite(llvm::StringRef name) const;

  /// JSON (format "dlp-calibration", version 1).
  std::string toJSON() const;
  static llvm::Expected<CalibrationTable> fromJSON(llvm::StringRef text);
  llvm::Error writeFile(llvm::StringRef path) const;
  static llvm::Expected<CalibrationTable> readFile(llvm::StringRef path);
};

/// Accumulates observations; `observe` has the shape of the evaluator's dump
/// callback and may be called for many batches.
class Calibrator {
public:
  /// percentile: 0 (max |x|) or in (0, 100).
  explicit Calibrator(double percentile = 0);

  void observe(llvm::StringRef name, llvm::StringRef op,
               const eval::Tensor &t);
  /// Observes a run's inputs (one per function argument, keyed by
  /// tensorName) and counts its batch elements (dimension 0 of the first).
  void observeInputs(mlir::ValueRange args,
                     llvm::ArrayRef<eval::Tensor> inputs);
  /// Counts the batch elements of one run.
  void addSamples(int64_t n) { samples += n; }
  CalibrationTable table() const;
  /// The first model input that held an infinite or NaN value, as
  /// "'name' (op)"; empty when all were finite. Such calibration data
  /// cannot be quantized: the drivers refuse it with this name.
  const std::string &nonFinite() const { return firstNonFinite; }
  /// The activations that held one (as "'name' (op)"): they stay float.
  std::vector<std::string> nonFiniteActivations() const;

private:
  struct Stats {
    std::string op;
    std::vector<int64_t> shape;
    std::vector<double> maxAbs;
    /// Percentile mode: per channel, counts of |x| in quarter-octave bins.
    std::vector<std::vector<uint64_t>> hist;
    std::vector<uint64_t> zeros;
    bool finite = true;
  };
  double percentile;
  int64_t samples = 0;
  std::map<std::string, Stats> stats;
  std::string firstNonFinite;
};

} // namespace dlp::quant

#endif // DLP_QUANT_CALIBRATION_H

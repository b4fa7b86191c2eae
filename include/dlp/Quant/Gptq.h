//===- Gptq.h - Error-compensating pow2-4 weight rounding -------*- C++ -*-===//
//
// Rounds a layer's weights onto each output channel's pow2-4 grid
// (docs/numerics.md section 2.1) so that the layer's output on calibration
// data moves least: the error of W - Q in the norm of H = X^T X, X the
// layer's input rows (im2col rows of a conv), GPTQ style (Frantar et al.,
// 2023, after OBQ): the input columns are quantized in order and each
// column's error is pushed onto the columns not yet quantized through the
// upper Cholesky factor of H^-1, in blocks of columns (the trailing update
// a GEMM). Each channel's exponent window is chosen by the same error:
// GPTQ's rounding in the max|W| window and in the ones 1 .. windowShifts
// exponents below it, and the contract's nearest (log-domain) rounding in
// the max|W| window; the channel keeps the lowest ||W - Q||_H (the nearest
// rounding on a tie), so it is never worse than the nearest rounding.
// Deterministic: every sum runs in a fixed order whatever the thread count.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_QUANT_GPTQ_H
#define DLP_QUANT_GPTQ_H

#include "dlp/Quant/WeightQuant.h"

namespace dlp::quant {

struct GptqOptions {
  /// Added to H's diagonal: this fraction of its mean diagonal.
  double damp = 0.01;
  /// Windows tried below the max|W| one.
  int windowShifts = 2;
  /// Columns per lazy-update block.
  int64_t blockSize = 128;
  /// Layers with more input columns per group are split into chunks of at
  /// most this many (whole input channels where possible) with H taken as
  /// block diagonal (LayerHessian): bounds the O(K^3) factorization and the
  /// O(rows K^2) statistics on wide layers.
  int64_t maxColumns = 1152;
};

/// The column chunks [c0, c1) of a layer with K columns per group: at most
/// maxColumns wide, of whole input channels (`taps` columns each) where
/// the chunk holds one or more.
std::vector<std::pair<int64_t, int64_t>> columnChunks(int64_t K, int64_t taps,
                                                      int64_t maxColumns);

/// Per-group second-order statistics of a layer's input, as far as the
/// rounding reads them: the diagonal blocks, one per column chunk, of
/// H_g = sum of x x^T over the input rows x of group g (K = inPerGroup *
/// taps columns), in double, row-major.
struct LayerHessian {
  int64_t group = 1, cols = 0;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  std::vector<std::vector<double>> blocks; // [g * chunks + c]: n_c x n_c
  int64_t rows = 0;                        // input rows accumulated

  /// Zeroed blocks for `group` groups of K columns.
  static LayerHessian zeros(int64_t group, int64_t K, int64_t taps,
                            int64_t maxColumns);
  /// The blocks of full per-group matrices `h` (group x K x K).
  static LayerHessian fromDense(int64_t group, int64_t K,
                                const std::vector<double> &h, int64_t taps,
                                int64_t maxColumns);
};

/// The pow2-4 codes of `w` (numOut rows of group's cols; output channel o
/// in group o / (numOut / group)) chosen as described above; with
/// `perLayer` one window for the layer (the candidate with the lowest
/// total error). `rowError`, if given, receives each channel's
/// ||W - Q||_H^2 (H damped as described). sqnrDb is filled in.
QuantizedWeights gptqPow2(llvm::ArrayRef<float> w, int64_t numOut,
                          const LayerHessian &hessian, bool perLayer,
                          const GptqOptions &options,
                          std::vector<double> *rowError = nullptr);

/// The code of the pow2-4 level nearest to `w` in value (not in the log
/// domain) in the window topped by n1: GPTQ's per-column step.
uint8_t pow2EncodeLinear(double w, int n1);

} // namespace dlp::quant

#endif // DLP_QUANT_GPTQ_H

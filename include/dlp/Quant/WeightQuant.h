//===- WeightQuant.h - Weight quantization and the overflow proof -*- C++ -*-===//
//
// The compile-time side of docs/numerics.md sections 2 and 3, free of MLIR:
// per-output-channel pow2-4 / int8 weight quantization and the proof that a
// layer's int32 accumulator cannot overflow.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_QUANT_WEIGHTQUANT_H
#define DLP_QUANT_WEIGHTQUANT_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlp::quant {

/// Weights of `numOut` output channels (dimension 0, contiguous rows).
struct QuantizedWeights {
  bool pow2 = true;
  std::vector<int8_t> q;      // pow2-4 codes or int8 values, weight layout
  std::vector<int32_t> scale; // per output channel: n1 (pow2) or g (int8)
  double sqnrDb = 0;          // 10 log10(sum w^2 / sum (w - w_q)^2)
};

/// Quantizes `w` (numOut rows) to pow2-4 codes or int8 values. The scale
/// (n1 or g) comes from each output channel's max |w|, or with `perLayer`
/// from the whole layer's (one window / scale, repeated per channel).
/// Without `withSqnr` the SQNR pass is skipped (sqnrDb stays 0).
QuantizedWeights quantizeWeights(llvm::ArrayRef<float> w, int64_t numOut,
                                 bool pow2, bool perLayer = false,
                                 bool withSqnr = true);

/// Sets r.sqnrDb: the SQNR of the dequantized weights of `r` (numOut rows)
/// against `w`.
void fillSqnr(llvm::ArrayRef<float> w, int64_t numOut, QuantizedWeights &r);

/// SQNR in dB of `approx` against `ref` (+inf when equal, -inf for a zero
/// reference with an error).
double sqnrDb(llvm::ArrayRef<float> ref, llvm::ArrayRef<float> approx);

/// Geometry of a conv / fully-connected weight: numOut x inPerGroup x taps,
/// output channel o reads input channels [g * inPerGroup, (g+1) * inPerGroup)
/// of its group g. For a fully-connected layer taps = 1 and the "channels"
/// are the input features.
struct MacGeometry {
  int64_t numOut, inPerGroup, taps, group;
};

/// Section 3's proof for every output channel: every shift in [0, 31] and
/// |b_int| + 128 * sum of |term| <= 2^31 - 1. `inFrac` has one entry per
/// input channel (feature), `accFrac` and `bias` one per output channel
/// (`bias` may be empty). Returns an empty string on success, else what
/// fails (naming the output channel and the numbers; with `message` false
/// a non-empty placeholder, for callers that only need the verdict).
std::string proveNoOverflow(const QuantizedWeights &w, const MacGeometry &geo,
                            llvm::ArrayRef<int32_t> inFrac,
                            llvm::ArrayRef<int32_t> accFrac,
                            llvm::ArrayRef<int32_t> bias,
                            bool message = true);

} // namespace dlp::quant

#endif // DLP_QUANT_WEIGHTQUANT_H

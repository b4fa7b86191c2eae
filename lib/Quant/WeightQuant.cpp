//===- WeightQuant.cpp - Weight quantization and the overflow proof -------===//

#include "dlp/Quant/WeightQuant.h"
#include "dlprt/Numerics.h"

#include <cmath>
#include <limits>

using namespace dlp::quant;
namespace num = dlprt::num;

double dlp::quant::sqnrDb(llvm::ArrayRef<float> ref,
                          llvm::ArrayRef<float> approx) {
  double s = 0, e = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    s += double(ref[i]) * ref[i];
    double d = double(ref[i]) - approx[i];
    e += d * d;
  }
  if (e == 0)
    return std::numeric_limits<double>::infinity();
  if (s == 0)
    return -std::numeric_limits<double>::infinity();
  return 10 * std::log10(s / e);
}

QuantizedWeights dlp::quant::quantizeWeights(llvm::ArrayRef<float> w,
                                             int64_t numOut, bool pow2,
                                             bool perLayer) {
  QuantizedWeights r;
  r.pow2 = pow2;
  r.q.resize(w.size());
  r.scale.resize(numOut);
  std::vector<float> back(w.size());
  int64_t row = numOut ? w.size() / numOut : 0;
  double layerMax = 0;
  for (float v : w)
    layerMax = std::max(layerMax, double(std::fabs(v)));
  for (int64_t o = 0; o < numOut; ++o) {
    double m = 0;
    for (int64_t k = 0; k < row; ++k)
      m = std::max(m, double(std::fabs(w[o * row + k])));
    if (perLayer)
      m = layerMax;
    int s = pow2 ? num::pow2WindowTop(m) : num::int8WeightFracBits(m);
    r.scale[o] = s;
    if (pow2) {
      num::Pow2Coder coder(s);
      for (int64_t k = o * row; k < (o + 1) * row; ++k) {
        uint8_t c = coder.encode(w[k]);
        r.q[k] = static_cast<int8_t>(c);
        back[k] = static_cast<float>(coder.value(c));
      }
    } else {
      double down = std::ldexp(1.0, -s); // exact: a power of two
      for (int64_t k = o * row; k < (o + 1) * row; ++k) {
        r.q[k] = num::int8WeightQuantize(w[k], s);
        back[k] = static_cast<float>(double(r.q[k]) * down);
      }
    }
  }
  r.sqnrDb = sqnrDb(w, back);
  return r;
}

std::string dlp::quant::proveNoOverflow(const QuantizedWeights &w,
                                        const MacGeometry &geo,
                                        llvm::ArrayRef<int32_t> inFrac,
                                        llvm::ArrayRef<int32_t> accFrac,
                                        llvm::ArrayRef<int32_t> bias) {
  const int64_t limit = INT32_MAX;
  int64_t outPerGroup = geo.numOut / geo.group;
  int64_t row = geo.inPerGroup * geo.taps;
  for (int64_t o = 0; o < geo.numOut; ++o) {
    int64_t g = o / outPerGroup;
    // Sum of |term| in 128-bit: a shift of 31 over 10^8 taps exceeds 2^63.
    __int128 sum = 0;
    for (int64_t i = 0; i < geo.inPerGroup; ++i) {
      int fIn = inFrac[g * geo.inPerGroup + i];
      for (int64_t t = 0; t < geo.taps; ++t) {
        int8_t q = w.q[o * row + i * geo.taps + t];
        if (q == 0)
          continue;
        int sh;
        int64_t mag;
        if (w.pow2) {
          num::Pow2Weight p = num::pow2Decode(static_cast<uint8_t>(q), w.scale[o]);
          sh = p.exponent - fIn + accFrac[o];
          mag = 1;
        } else {
          sh = accFrac[o] - fIn - w.scale[o];
          mag = std::abs(int64_t(q));
        }
        if (sh < 0 || sh > 31)
          return "output channel " + std::to_string(o) + " needs a shift of " +
                 std::to_string(sh) + " for input channel " +
                 std::to_string(g * geo.inPerGroup + i) +
                 " (allowed: 0..31)";
        sum += __int128(mag) << sh;
      }
    }
    __int128 worst = sum * 128 + (bias.empty() ? 0 : std::abs(int64_t(bias[o])));
    if (worst > limit)
      return "output channel " + std::to_string(o) +
             ": worst-case accumulator |b| + 128 * sum|term| = " +
             std::to_string(static_cast<unsigned long long>(
                 std::min<__int128>(worst, UINT64_MAX))) +
             " exceeds int32 (2^31 - 1)";
  }
  return "";
}

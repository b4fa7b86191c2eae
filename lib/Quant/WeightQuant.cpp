//===- WeightQuant.cpp - Weight quantization and the overflow proof -------===//

#include "dlp/Quant/WeightQuant.h"
#include "dlp/Support/Proof.h"
#include "dlprt/Numerics.h"
#include "dlprt/kernels/Parallel.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

using namespace dlp::quant;
namespace num = dlprt::num;

namespace {
/// SQNR in dB from sum w^2 and sum (w - w_q)^2.
double sqnrFromSums(double s, double e) {
  if (e == 0)
    return std::numeric_limits<double>::infinity();
  if (s == 0)
    return -std::numeric_limits<double>::infinity();
  return 10 * std::log10(s / e);
}
} // namespace

double dlp::quant::sqnrDb(llvm::ArrayRef<float> ref,
                          llvm::ArrayRef<float> approx) {
  double s = 0, e = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    s += double(ref[i]) * ref[i];
    double d = double(ref[i]) - approx[i];
    e += d * d;
  }
  return sqnrFromSums(s, e);
}

namespace {
/// The smallest float >= b: for a float a, a >= ceilToFloat(b) exactly when
/// double(a) >= b (NaN compares false either way).
float ceilToFloat(double b) {
  float t = static_cast<float>(b);
  if (double(t) < b)
    t = std::nextafter(t, std::numeric_limits<float>::infinity());
  return t;
}

/// num::Pow2Coder::encode on floats: the window's thresholds rounded up to
/// floats make the same comparisons for a float weight. Branch-free, on
/// local copies and restrict pointers, so that the loop vectorizes.
void encodePow2(const float *__restrict w, int8_t *__restrict q, int64_t n,
                int n1) {
  static_assert(num::kPow2Span == 6, "one threshold per code step");
  int n2 = n1 - num::kPow2Span;
  const float z = ceilToFloat(std::ldexp(1.0, n2 - 1));
  const float b0 = ceilToFloat(std::ldexp(M_SQRT2, n2)),
              b1 = ceilToFloat(std::ldexp(M_SQRT2, n2 + 1)),
              b2 = ceilToFloat(std::ldexp(M_SQRT2, n2 + 2)),
              b3 = ceilToFloat(std::ldexp(M_SQRT2, n2 + 3)),
              b4 = ceilToFloat(std::ldexp(M_SQRT2, n2 + 4)),
              b5 = ceilToFloat(std::ldexp(M_SQRT2, n2 + 5));
  for (int64_t i = 0; i < n; ++i) {
    float v = w[i], a = std::fabs(v);
    int k = 1 + int(a >= b0) + int(a >= b1) + int(a >= b2) + int(a >= b3) +
            int(a >= b4) + int(a >= b5);
    int code = int(v < 0) * 8 + k;
    q[i] = static_cast<int8_t>(code * int(a >= z));
  }
}

/// max |w| as the double the scale rules take: the max over floats is
/// exact, and NaN is skipped as std::max(double, NaN) skips it. On the bit
/// patterns (|w| as int32 orders like the float; NaN counts as 0), so that
/// the loop vectorizes.
double maxAbs(const float *__restrict w, int64_t n) {
  int32_t m = 0;
  for (int64_t i = 0; i < n; ++i) {
    int32_t u;
    std::memcpy(&u, &w[i], sizeof u);
    u &= 0x7fffffff;
    u = u > 0x7f800000 ? 0 : u;
    m = m < u ? u : m;
  }
  float f;
  std::memcpy(&f, &m, sizeof f);
  return f;
}
} // namespace

QuantizedWeights dlp::quant::quantizeWeights(llvm::ArrayRef<float> w,
                                             int64_t numOut, bool pow2,
                                             bool perLayer, bool withSqnr) {
  QuantizedWeights r;
  r.pow2 = pow2;
  r.q.resize(w.size());
  r.scale.resize(numOut);
  int64_t row = numOut ? w.size() / numOut : 0;
  double layerMax = perLayer ? maxAbs(w.data(), w.size()) : 0;
  // Output channels are independent: quantize slices of them in parallel.
  auto channels = [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      const float *wo = w.data() + o * row;
      int8_t *qo = r.q.data() + o * row;
      double m = perLayer ? layerMax : maxAbs(wo, row);
      int s = pow2 ? num::pow2WindowTop(m) : num::int8WeightFracBits(m);
      r.scale[o] = s;
      if (pow2) {
        encodePow2(wo, qo, row, s);
      } else {
        for (int64_t k = 0; k < row; ++k)
          qo[k] = num::int8WeightQuantize(wo[k], s);
      }
    }
  };
  if (int64_t(w.size()) >= (int64_t(1) << 18) && numOut > 1)
    dlprt::kernels::parallelForRange(dlp::compileThreads(), numOut, channels);
  else
    channels(0, numOut);
  if (withSqnr)
    fillSqnr(w, numOut, r);
  return r;
}

void dlp::quant::fillSqnr(llvm::ArrayRef<float> w, int64_t numOut,
                           QuantizedWeights &r) {
  int64_t row = numOut ? w.size() / numOut : 0;
  // The SQNR sums in one pass in element order (as sqnrDb over the
  // dequantized weights), so it does not depend on how the codes were made.
  bool pow2 = r.pow2;
  double sw = 0, e = 0;
  for (int64_t o = 0; o < numOut; ++o) {
    std::optional<num::Pow2Coder> coder;
    if (pow2)
      coder.emplace(r.scale[o]);
    double down = std::ldexp(1.0, -r.scale[o]); // exact: a power of two
    for (int64_t k = o * row; k < (o + 1) * row; ++k) {
      float back = pow2 ? static_cast<float>(
                              coder->value(static_cast<uint8_t>(r.q[k])))
                        : static_cast<float>(double(r.q[k]) * down);
      sw += double(w[k]) * w[k];
      double d = double(w[k]) - back;
      e += d * d;
    }
  }
  r.sqnrDb = sqnrFromSums(sw, e);
}

std::string dlp::quant::proveNoOverflow(const QuantizedWeights &w,
                                        const MacGeometry &geo,
                                        llvm::ArrayRef<int32_t> inFrac,
                                        llvm::ArrayRef<int32_t> accFrac,
                                        llvm::ArrayRef<int32_t> bias,
                                        bool message) {
  return dlp::proveNoOverflowParallel(
      {w.q.data(), w.scale.data(), w.pow2, geo.numOut, geo.inPerGroup,
       geo.taps, geo.group, inFrac.data(), accFrac.data(),
       bias.empty() ? nullptr : bias.data()},
      message);
}

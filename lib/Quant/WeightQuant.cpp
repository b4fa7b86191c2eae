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
  return num::proveNoOverflow({w.q.data(), w.scale.data(), w.pow2, geo.numOut,
                               geo.inPerGroup, geo.taps, geo.group,
                               inFrac.data(), accFrac.data(),
                               bias.empty() ? nullptr : bias.data()});
}

//===- Numerics.h - The DLP's integer arithmetic (docs/numerics.md) -*- C++ -*-===//
//
// The one implementation of the numeric contract in docs/numerics.md, shared
// by the compiler (quantization), the quantized evaluator and the simulator.
// Header-only, no MLIR dependency. Section numbers refer to that document.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_NUMERICS_H
#define DLPRT_NUMERICS_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dlprt::num {

/// Range of a fractional-bit count (section 1).
constexpr int kMinFrac = -32, kMaxFrac = 31;
/// Exponents in a pow2-4 window: n2 = n1 - kPow2Span (section 2.1).
constexpr int kPow2Span = 6;
/// Fixed-point precision of the average-pool reciprocal (section 4).
constexpr int kAvgShift = 16;

inline int8_t sat8(int64_t v) {
  return static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127));
}
inline int32_t sat32(int64_t v) {
  return static_cast<int32_t>(
      std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
}

/// v * 2^-s with round half up for s > 0 (toward +inf on ties), exact for
/// s <= 0 (a left shift; the caller saturates). Section 3.
inline int64_t roundShift(int64_t v, int s) {
  if (s > 0)
    return (v + (int64_t(1) << (s - 1))) >> s;
  return v * (int64_t(1) << -s);
}

/// roundShift of an int32 value for s >= 1 in int32 arithmetic that cannot
/// overflow (and vectorizes): with t = floor(v / 2^(s-1)),
/// floor((v + 2^(s-1)) / 2^s) = floor((t + 1) / 2) = (t >> 1) + (t & 1).
/// Every s >= 32 gives 0 for an int32 v, as s = 32 does.
inline int32_t roundShift32(int32_t v, int s) {
  int32_t t = v >> (std::min(s, 32) - 1);
  return (t >> 1) + (t & 1);
}

/// Requantizes an accumulator with `accFrac` fractional bits to int8 with
/// `outFrac` fractional bits. Section 3.
inline int8_t requantize(int64_t acc, int accFrac, int outFrac) {
  return sat8(roundShift(acc, accFrac - outFrac));
}

/// floor(x + 1/2) of x * 2^f, computed in double (exact scaling).
inline int64_t roundHalfUpScaled(double x, int f) {
  return static_cast<int64_t>(std::floor(std::ldexp(x, f) + 0.5));
}

/// Float -> int8 feature map (section 1); NaN is 0 (infinities saturate).
inline int8_t quantize(double x, int f) {
  double v = std::floor(std::ldexp(x, f) + 0.5);
  if (v != v)
    return 0;
  return sat8(static_cast<int64_t>(std::clamp(v, -1e18, 1e18)));
}
inline double dequantize(int64_t q, int f) { return std::ldexp(double(q), -f); }

/// floor(log2(v)) for v > 0, exact.
inline int floorLog2(double v) {
  int e;
  std::frexp(v, &e); // v = m * 2^e, m in [0.5, 1)
  return e - 1;
}

/// The largest f with fmax * 2^f <= limit (limit a power of two times an
/// odd integer is fine: the search is exact), clamped to [kMinFrac,
/// kMaxFrac]; kMaxFrac for fmax == 0.
inline int largestFracWithin(double fmax, double limit) {
  if (!(fmax > 0))
    return kMaxFrac;
  if (!std::isfinite(fmax)) // the widest range there is
    return kMinFrac;
  int f = floorLog2(limit) - floorLog2(fmax) + 1;
  while (f > kMinFrac && std::ldexp(fmax, f) > limit)
    --f;
  return std::clamp(f, kMinFrac, kMaxFrac);
}

/// TF2's rule, 128 = 2^f * fmax: fractional bits of a feature-map channel
/// (section 1).
inline int fmapFracBits(double fmax) { return largestFracWithin(fmax, 128.0); }

/// Fractional bits of every channel of a tensor: TF2's rule per channel,
/// except that a channel never seen nonzero (fmax = 0) takes the largest f
/// of the tensor's live channels (7 if none is live), so that it does not
/// widen the accumulator alignment of the layers reading it (section 1).
template <typename Range> std::vector<int> fmapFracBits(const Range &fmax) {
  std::vector<int> f;
  int live = INT32_MIN;
  for (double m : fmax) {
    f.push_back(fmapFracBits(m));
    if (m > 0)
      live = std::max(live, f.back());
  }
  for (size_t c = 0; c < f.size(); ++c)
    if (!(fmax[c] > 0))
      f[c] = live == INT32_MIN ? 7 : live;
  return f;
}

//===----------------------------------------------------------------------===//
// pow2-4 weights (section 2.1)
//===----------------------------------------------------------------------===//

/// n1 = floor(log2(4 * maxAbs / 3)); 0 for an all-zero channel.
inline int pow2WindowTop(double maxAbs) {
  if (!(maxAbs > 0))
    return 0;
  return floorLog2(4.0 * maxAbs / 3.0);
}

/// The exponent a weight rounds to in the log domain (window
/// [n1 - kPow2Span, n1]), or nullopt when it rounds to zero.
inline std::optional<int> pow2Exponent(double w, int n1) {
  int n2 = n1 - kPow2Span;
  double a = std::fabs(w);
  if (a < std::ldexp(1.0, n2 - 1))
    return std::nullopt;
  int e = floorLog2(a);
  if (a >= std::ldexp(M_SQRT2, e))
    ++e;
  return std::clamp(e, n2, n1);
}

/// 4-bit code of `w` in the window topped by n1: s * 8 + k, k = 0 for zero,
/// else value (-1)^s * 2^(n2 + k - 1).
inline uint8_t pow2Encode(double w, int n1) {
  std::optional<int> e = pow2Exponent(w, n1);
  if (!e)
    return 0;
  int k = *e - (n1 - kPow2Span) + 1;
  return static_cast<uint8_t>((w < 0 ? 8 : 0) + k);
}

/// pow2Encode / pow2Value for one window, with the window's thresholds and
/// values computed once: the exponent is n2 plus the number of boundaries
/// sqrt(2) * 2^e (n2 <= e < n1) that |w| reaches -- the same comparisons
/// pow2Exponent makes, so the codes are identical.
class Pow2Coder {
public:
  explicit Pow2Coder(int n1) {
    int n2 = n1 - kPow2Span;
    zeroBelow = std::ldexp(1.0, n2 - 1);
    for (int j = 0; j < kPow2Span; ++j)
      bounds[j] = std::ldexp(M_SQRT2, n2 + j);
    for (int code = 0; code < 16; ++code) {
      int k = code & 7;
      values[code] = k == 0 ? 0.0
                            : ((code & 8) ? -1.0 : 1.0) *
                                  std::ldexp(1.0, n2 + k - 1);
    }
  }
  uint8_t encode(double w) const {
    double a = std::fabs(w);
    if (!(a >= zeroBelow))
      return 0;
    int k = 1;
    for (double b : bounds)
      k += a >= b;
    return static_cast<uint8_t>((w < 0 ? 8 : 0) + k);
  }
  double value(uint8_t code) const { return values[code & 15]; }

private:
  double zeroBelow;
  double bounds[kPow2Span];
  double values[16];
};

/// Whether a code is one the contract produces (8, "-0", is not).
inline bool pow2CodeValid(uint8_t code) { return code < 16 && code != 8; }

/// Signed exponent form of a code: the weight is sign * 2^exponent, sign 0
/// for the zero code.
struct Pow2Weight {
  int sign;
  int exponent;
};
inline Pow2Weight pow2Decode(uint8_t code, int n1) {
  int k = code & 7;
  if (k == 0)
    return {0, 0};
  return {(code & 8) ? -1 : 1, n1 - kPow2Span + k - 1};
}
inline double pow2Value(uint8_t code, int n1) {
  Pow2Weight p = pow2Decode(code, n1);
  return p.sign == 0 ? 0.0 : p.sign * std::ldexp(1.0, p.exponent);
}

//===----------------------------------------------------------------------===//
// int8 weights (section 2.2)
//===----------------------------------------------------------------------===//

/// g = floor(log2(127 / maxAbs)): the largest g with maxAbs * 2^g <= 127.
inline int int8WeightFracBits(double maxAbs) {
  if (!(maxAbs > 0))
    return 0;
  return largestFracWithin(maxAbs, 127.0);
}
inline int8_t int8WeightQuantize(double w, int g) {
  double v = std::floor(std::ldexp(w, g) + 0.5);
  return static_cast<int8_t>(std::clamp(v, -127.0, 127.0));
}

//===----------------------------------------------------------------------===//
// Conv / fully-connected terms (section 3)
//===----------------------------------------------------------------------===//

/// The integer a product term multiplies q_x by, for input-channel
/// fractional bits fIn and accumulator fractional bits accFrac: a pow2-4
/// code gives +-2^(e - fIn + accFrac) (0 for the zero code), an int8 weight
/// q gives q * 2^(accFrac - fIn - g). The shift is >= 0 by the choice of
/// accFrac; the caller bounds it (<= 31).
inline int64_t pow2Term(uint8_t code, int n1, int fIn, int accFrac) {
  Pow2Weight p = pow2Decode(code, n1);
  if (p.sign == 0)
    return 0;
  return p.sign * (int64_t(1) << (p.exponent - fIn + accFrac));
}
inline int64_t int8Term(int8_t q, int g, int fIn, int accFrac) {
  return int64_t(q) * (int64_t(1) << (accFrac - fIn - g));
}

/// Clip bound of a ReLU / Clip fused after requantization to fOut
/// (section 3): sat8(floor(bound * 2^fOut + 1/2)).
inline int8_t clipBound(double bound, int fOut) {
  return quantize(bound, fOut);
}

//===----------------------------------------------------------------------===//
// Pooling and element-wise ops (sections 4, 5)
//===----------------------------------------------------------------------===//

/// M_K = floor(2^16 / K + 1/2), exactly.
inline int64_t avgReciprocal(int64_t count) {
  return ((int64_t(1) << (kAvgShift + 1)) + count) / (2 * count);
}
/// Average of `count` int8 values whose sum is `sum`.
inline int8_t avgDivide(int64_t sum, int64_t count) {
  return sat8(roundShift(sum * avgReciprocal(count), kAvgShift));
}

/// Residual add of a (fa fractional bits) and b (fb) into fo.
inline int8_t addRequantize(int64_t a, int fa, int64_t b, int fb, int fo) {
  int f = std::max(fa, fb);
  int64_t t = a * (int64_t(1) << (f - fa)) + b * (int64_t(1) << (f - fb));
  return requantize(t, f, fo);
}

//===----------------------------------------------------------------------===//
// The overflow proof (section 3)
//===----------------------------------------------------------------------===//

/// A conv / fully-connected layer's integers: numOut x inPerGroup x taps
/// codes or int8 weights `q` (output channel o reads input channels
/// [g * inPerGroup, (g+1) * inPerGroup) of its group g), the window top n1
/// (pow2) or g (int8) per output channel, the input channels' and the
/// accumulators' fractional bits, and the int32 bias (nullptr: none).
struct MacLayer {
  const int8_t *q;
  const int32_t *scale;
  bool pow2;
  int64_t numOut, inPerGroup, taps, group;
  const int32_t *inFrac, *accFrac, *bias;
};

/// Section 3's proof for every output channel: every shift in [0, 31] and
/// |b_int| + 128 * sum |term| <= 2^31 - 1. Returns "" when it holds, else
/// what fails (output channel and numbers). Every int32 partial sum of
/// such a layer's terms, in any order and any grouping (tiles, pairs), is
/// then exact.
inline std::string proveNoOverflow(const MacLayer &l) {
  int64_t outPerGroup = l.numOut / l.group, row = l.inPerGroup * l.taps;
  for (int64_t o = 0; o < l.numOut; ++o) {
    int64_t g = o / outPerGroup;
    // Sum of |term| in 128-bit: a shift of 31 over 10^8 taps exceeds 2^63.
    // Per input channel the taps' magnitudes are summed at the channel's
    // lowest weight scale first (2^(k-1) for a pow2 code, |q| for int8),
    // then shifted once.
    __int128 sum = 0;
    if (l.taps == 1 && l.pow2) {
      // Fully-connected layers: one weight per input channel, branch-free.
      // Each term is at most 2^31 and there are fewer than 2^32 of them:
      // the sum fits uint64.
      int n2 = pow2Decode(1, l.scale[o]).exponent;
      const int8_t *q = l.q + o * row;
      const int32_t *f = l.inFrac + g * l.inPerGroup;
      uint64_t s64 = 0;
      int shMin = 64, shMax = -64;
      uint8_t bad = 0;
      for (int64_t i = 0; i < l.inPerGroup; ++i) {
        uint8_t c = uint8_t(q[i]);
        int k = c & 7;
        bad |= uint8_t((c > 15) | (c == 8));
        int sh = n2 + k - 1 - f[i] + l.accFrac[o];
        bool nz = k != 0;
        shMin = std::min(shMin, nz ? sh : 64);
        shMax = std::max(shMax, nz ? sh : -64);
        s64 += nz ? uint64_t(1) << (sh & 63) : 0;
      }
      if (bad)
        return "output channel " + std::to_string(o) +
               " holds an invalid pow2 code";
      if (shMin < 0 || shMax > 31) {
        // The error path: find the input channel.
        int bad = shMin < 0 ? shMin : shMax;
        int64_t at = 0;
        while (at < l.inPerGroup &&
               !((q[at] & 7) &&
                 n2 + (q[at] & 7) - 1 - f[at] + l.accFrac[o] == bad))
          ++at;
        return "output channel " + std::to_string(o) + " needs a shift of " +
               std::to_string(bad) + " for input channel " +
               std::to_string(g * l.inPerGroup + at) + " (allowed: 0..31)";
      }
      sum = s64;
    }
    for (int64_t i = 0; i < l.inPerGroup && !(l.taps == 1 && l.pow2); ++i) {
      int fIn = l.inFrac[g * l.inPerGroup + i];
      const int8_t *q = l.q + o * row + i * l.taps;
      uint64_t mags = 0;
      int kmin = 8, kmax = 0;
      uint8_t bad = 0;
      for (int64_t t = 0; t < l.taps; ++t) {
        if (l.pow2) {
          uint8_t c = uint8_t(q[t]);
          int k = c & 7;
          bad |= (c > 15 || c == 8) ? 1 : 0;
          if (k) {
            mags += uint64_t(1) << (k - 1);
            kmin = std::min(kmin, k);
            kmax = std::max(kmax, k);
          }
        } else {
          mags += uint64_t(q[t] < 0 ? -int64_t(q[t]) : q[t]);
        }
      }
      if (bad)
        return "output channel " + std::to_string(o) +
               " holds an invalid pow2 code";
      if (mags == 0)
        continue;
      // Shift of the scale mags is summed at: sh = base + (k - 1) for pow2.
      int base = l.pow2 ? pow2Decode(1, l.scale[o]).exponent - fIn + l.accFrac[o]
                        : l.accFrac[o] - fIn - l.scale[o];
      int shMin = l.pow2 ? base + kmin - 1 : base;
      int shMax = l.pow2 ? base + kmax - 1 : base;
      if (shMin < 0 || shMax > 31)
        return "output channel " + std::to_string(o) + " needs a shift of " +
               std::to_string(shMin < 0 ? shMin : shMax) +
               " for input channel " + std::to_string(g * l.inPerGroup + i) +
               " (allowed: 0..31)";
      // base < 0 only with kmin - 1 >= -base: mags is a multiple of 2^-base.
      sum += base >= 0 ? __int128(mags) << base : __int128(mags >> -base);
    }
    int64_t b = l.bias ? l.bias[o] : 0;
    __int128 worst = sum * 128 + (b < 0 ? -__int128(b) : __int128(b));
    if (worst > INT32_MAX)
      return "output channel " + std::to_string(o) +
             ": worst-case accumulator |b| + 128 * sum|term| = " +
             std::to_string(static_cast<unsigned long long>(
                 std::min<__int128>(worst, UINT64_MAX))) +
             " exceeds int32 (2^31 - 1)";
  }
  return "";
}

} // namespace dlprt::num

#endif // DLPRT_NUMERICS_H

//===- NumericsTest.cpp - The integer semantics of docs/numerics.md -------===//
//
// Every case here is a rule or a worked example of docs/numerics.md.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Numerics.h"

#include "gtest/gtest.h"

#include <random>
#include <vector>

#include <cmath>

using namespace dlprt::num;

TEST(Numerics, RoundShiftHalvesGoUp) {
  EXPECT_EQ(roundShift(5, 1), 3);   // 2.5
  EXPECT_EQ(roundShift(-5, 1), -2); // -2.5
  EXPECT_EQ(roundShift(-7, 1), -3); // -3.5
  EXPECT_EQ(roundShift(-6, 2), -1); // -1.5
  EXPECT_EQ(roundShift(-7, 2), -2); // -1.75
  EXPECT_EQ(roundShift(6, 2), 2);   // 1.5
  EXPECT_EQ(roundShift(-4, 2), -1); // exact
  EXPECT_EQ(roundShift(-1, 1), 0);  // -0.5
  EXPECT_EQ(roundShift(-3, 1), -1); // -1.5
  EXPECT_EQ(roundShift(9, 0), 9);
  EXPECT_EQ(roundShift(-9, -3), -72); // left shift, exact
  // The rounding add does not overflow near the int32 limits.
  EXPECT_EQ(roundShift(INT32_MAX, 1), int64_t(1) << 30);
  EXPECT_EQ(roundShift(INT32_MIN, 1), -(int64_t(1) << 30));
}

TEST(Numerics, RoundShift32MatchesRoundShift) {
  // The int32 form used by the vectorized kernels: every shift, values at
  // and around the int32 limits, halves and their neighbours.
  std::vector<int32_t> values = {INT32_MIN, INT32_MIN + 1, INT32_MAX,
                                 INT32_MAX - 1, 0, 1, -1};
  for (int s = 1; s <= 31; ++s)
    for (int64_t half : {int64_t(1) << (s - 1), -(int64_t(1) << (s - 1)),
                         3 * (int64_t(1) << (s - 1)),
                         -3 * (int64_t(1) << (s - 1))})
      for (int64_t d = -1; d <= 1; ++d)
        if (half + d >= INT32_MIN && half + d <= INT32_MAX)
          values.push_back(int32_t(half + d));
  for (int s = 1; s <= 40; ++s) // beyond 31: every int32 rounds to 0
    for (int32_t v : values)
      EXPECT_EQ(roundShift32(v, s), roundShift(v, s)) << v << " >> " << s;
}

TEST(Numerics, SaturationAtBothEnds) {
  EXPECT_EQ(sat8(127), 127);
  EXPECT_EQ(sat8(128), 127);
  EXPECT_EQ(sat8(-128), -128);
  EXPECT_EQ(sat8(-129), -128);
  EXPECT_EQ(requantize(40000, 8, 0), 127);   // 156 -> 127
  EXPECT_EQ(requantize(-40000, 8, 0), -128); // -156 -> -128
  EXPECT_EQ(requantize(3, 0, 7), 127);       // left shift saturates
  EXPECT_EQ(sat32(int64_t(1) << 40), INT32_MAX);
  EXPECT_EQ(sat32(-(int64_t(1) << 40)), INT32_MIN);
}

TEST(Numerics, FeatureMapFracBits) {
  EXPECT_EQ(fmapFracBits(1.0), 7);   // 1.0 * 2^7 = 128 (saturates by one)
  EXPECT_EQ(fmapFracBits(0.99), 7);
  EXPECT_EQ(fmapFracBits(1.01), 6);
  EXPECT_EQ(fmapFracBits(6.0), 4);   // 96 <= 128 < 192
  EXPECT_EQ(fmapFracBits(200.0), -1);
  EXPECT_EQ(fmapFracBits(0.0), kMaxFrac);
  EXPECT_EQ(fmapFracBits(1e-30), kMaxFrac); // clamped
  EXPECT_EQ(fmapFracBits(1e30), kMinFrac);
  // The defining property: fmax * 2^f <= 128 < fmax * 2^(f+1).
  for (double v : {0.013, 0.5, 0.75, 3.3, 17.0, 127.9}) {
    int f = fmapFracBits(v);
    EXPECT_LE(std::ldexp(v, f), 128.0) << v;
    EXPECT_GT(std::ldexp(v, f + 1), 128.0) << v;
  }
}

TEST(Numerics, InputQuantization) {
  EXPECT_EQ(quantize(0.7, 7), 90);
  EXPECT_EQ(quantize(1.0, 7), 127);
  EXPECT_EQ(quantize(-1.0, 7), -128);
  EXPECT_EQ(quantize(-0.5 / 128, 7), 0);  // -0.5 step rounds up to 0
  EXPECT_EQ(quantize(-1.5 / 128, 7), -1); // -1.5 -> -1
  EXPECT_EQ(quantize(1e300, 0), 127);
  EXPECT_DOUBLE_EQ(dequantize(90, 7), 0.703125);
}

TEST(Numerics, Pow2WindowAndCodes) {
  // max|W| = 0.9: n1 = floor(log2 1.2) = 0, window [2^-6, 2^0].
  EXPECT_EQ(pow2WindowTop(0.9), 0);
  EXPECT_EQ(pow2WindowTop(0.75), 0);     // 4/3 * 0.75 = 1 exactly
  EXPECT_EQ(pow2WindowTop(0.7499), -1);
  EXPECT_EQ(pow2WindowTop(1.4999), 0);
  EXPECT_EQ(pow2WindowTop(1.5), 1);
  EXPECT_EQ(pow2WindowTop(0.0), 0);
  int n1 = 0;
  // The worked example: -0.3 -> -2^-2, code 0b1101.
  EXPECT_EQ(pow2Encode(-0.3, n1), 13);
  EXPECT_EQ(pow2Value(13, n1), -0.25);
  // Log-domain rounding on both sides of sqrt(2) * 2^e.
  EXPECT_EQ(pow2Value(pow2Encode(0.25 * M_SQRT2 * 0.999, n1), n1), 0.25);
  EXPECT_EQ(pow2Value(pow2Encode(0.25 * M_SQRT2 * 1.001, n1), n1), 0.5);
  // Top of the window: clamped to 2^n1 (k = 7).
  EXPECT_EQ(pow2Encode(1.4, n1), 7);
  EXPECT_EQ(pow2Encode(-1.4, n1), 15);
  EXPECT_EQ(pow2Value(7, n1), 1.0);
  // Bottom: 2^n2 = 2^-6 is k = 1; below 2^(n2-1) is zero.
  EXPECT_EQ(pow2Encode(std::ldexp(1.0, -6), n1), 1);
  EXPECT_EQ(pow2Encode(std::ldexp(1.0, -7), n1), 1);         // = 2^(n2-1): kept
  EXPECT_EQ(pow2Encode(std::ldexp(0.999, -7), n1), 0);       // below: zero
  EXPECT_EQ(pow2Encode(-std::ldexp(0.999, -7), n1), 0);      // zero has one code
  EXPECT_EQ(pow2Encode(0.0, n1), 0);
  EXPECT_EQ(pow2Value(0, n1), 0.0);
  EXPECT_FALSE(pow2CodeValid(8));
  EXPECT_TRUE(pow2CodeValid(15));
  EXPECT_FALSE(pow2CodeValid(16));
  // Every level maps to itself, at any window position.
  for (int top : {-9, 0, 3})
    for (int k = 1; k <= 7; ++k)
      for (int s : {0, 8}) {
        uint8_t code = static_cast<uint8_t>(s + k);
        EXPECT_EQ(pow2Encode(pow2Value(code, top), top), code);
        Pow2Weight p = pow2Decode(code, top);
        EXPECT_EQ(p.exponent, top - kPow2Span + k - 1);
        EXPECT_EQ(p.sign, s ? -1 : 1);
      }
}

TEST(Numerics, Pow2CoderMatchesPow2Encode) {
  // Random weights over many windows, plus every boundary sqrt(2) * 2^e, the
  // zero threshold 2^(n2 - 1) and their float neighbours.
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> mant(-2.0, 2.0);
  for (int n1 = -20; n1 <= 6; ++n1) {
    Pow2Coder coder(n1);
    std::vector<double> ws;
    for (int i = 0; i < 2000; ++i)
      ws.push_back(std::ldexp(mant(rng), n1 - int(rng() % 10)));
    for (int e = n1 - kPow2Span - 1; e <= n1 + 1; ++e)
      for (double b : {std::ldexp(M_SQRT2, e), std::ldexp(1.0, e)})
        for (double v : {b, std::nextafter(b, 0.0), std::nextafter(b, 1e9),
                         double(float(b))})
          ws.insert(ws.end(), {v, -v});
    ws.insert(ws.end(), {0.0, -0.0});
    for (double w : ws) {
      uint8_t code = pow2Encode(w, n1);
      ASSERT_EQ(coder.encode(w), code) << w << " in window " << n1;
      ASSERT_EQ(coder.value(code), pow2Value(code, n1));
    }
  }
}

TEST(Numerics, Int8Weights) {
  EXPECT_EQ(int8WeightFracBits(0.9), 7); // 0.9 * 128 = 115.2 <= 127
  EXPECT_EQ(int8WeightFracBits(1.0), 6); // 128 > 127
  EXPECT_EQ(int8WeightFracBits(0.0), 0);
  EXPECT_EQ(int8WeightQuantize(-0.3, 7), -38); // -38.4
  EXPECT_EQ(int8WeightQuantize(5.0, 7), 127);
  EXPECT_EQ(int8WeightQuantize(-5.0, 7), -127); // -128 is not used
  // pow2-4 levels are exact int8 weights with g = -n2.
  int n1 = 2, g = -(n1 - kPow2Span);
  for (uint8_t code = 1; code < 16; ++code) {
    if (!pow2CodeValid(code))
      continue;
    double w = pow2Value(code, n1);
    EXPECT_EQ(int8WeightQuantize(w, g), std::ldexp(w, g));
  }
}

TEST(Numerics, ConvWorkedExample) {
  // docs/numerics.md section 6: f_i = 5, n2 = -6 -> F = 11, sh = 4.
  int f = 5, n1 = 0, F = f - (n1 - kPow2Span);
  EXPECT_EQ(F, 11);
  Pow2Weight w = pow2Decode(pow2Encode(-0.3, n1), n1);
  int sh = w.exponent - f + F;
  EXPECT_EQ(sh, 4);
  int64_t acc = roundHalfUpScaled(0.1, F) + w.sign * (int64_t(40) << sh);
  EXPECT_EQ(acc, -435);
  EXPECT_EQ(requantize(acc, F, 4), -3);
  EXPECT_EQ(std::max<int8_t>(requantize(acc, F, 4), 0), 0); // ReLU
}

TEST(Numerics, AveragePoolDivision) {
  EXPECT_EQ(avgReciprocal(9), 7282);
  EXPECT_EQ(avgReciprocal(49), 1337);
  EXPECT_EQ(avgReciprocal(4), 16384);
  EXPECT_EQ(avgDivide(100, 9), 11);
  EXPECT_EQ(avgDivide(-100, 9), -11);
  // Power-of-two counts give the exact round-half-up quotient.
  for (int64_t sum = -600; sum <= 600; ++sum)
    EXPECT_EQ(avgDivide(sum, 4), sat8(roundShift(sum, 2))) << sum;
  EXPECT_EQ(avgDivide(127 * 49, 49), 127);
  EXPECT_EQ(avgDivide(-128 * 49, 49), -128);
}

TEST(Numerics, MixedScaleAdd) {
  // a = 1.5625 (f 6) + b = -3.125 (f 4) into f 5: -1.5625 exactly.
  EXPECT_EQ(addRequantize(100, 6, -50, 4, 5), -50);
  // Same scales: plain saturating add.
  EXPECT_EQ(addRequantize(100, 3, 100, 3, 3), 127);
  EXPECT_EQ(addRequantize(-100, 3, -100, 3, 3), -128);
  // Output coarser than both inputs rounds half up.
  EXPECT_EQ(addRequantize(1, 1, 0, 0, 0), 1);   // 0.5 -> 1
  EXPECT_EQ(addRequantize(-1, 1, 0, 0, 0), 0);  // -0.5 -> 0
  // Concat needs no arithmetic: each channel keeps its own f, so the value
  // of every element is unchanged (checked on the values).
  EXPECT_EQ(dequantize(-50, 5), -1.5625);
}

//===- WeightQuantTest.cpp - Weight quantization and the overflow proof --===//
//
// dlp::quant::quantizeWeights per output channel (pow2-4 windows and codes,
// int8 scales, all-zero channels, SQNR) and proveNoOverflow at its limits:
// the int32 bound met exactly and missed by one, shifts at 0, 31, 32 and
// -1, zero codes skipped, groups reading their own input channels, int8
// magnitudes and the bias.
//
//===----------------------------------------------------------------------===//

#include "dlp/Quant/WeightQuant.h"
#include "dlprt/Numerics.h"

#include "gtest/gtest.h"

#include <cmath>
#include <vector>

using namespace dlp::quant;
namespace num = dlprt::num;

namespace {

TEST(WeightQuant, Pow2PerOutputChannel) {
  // Channel 0: max 0.9 -> n1 = floor(log2(1.2)) = 0; channel 1: max 0.2 ->
  // n1 = floor(log2(0.2667)) = -2; channel 2: all zero -> n1 = 0, code 0.
  std::vector<float> w = {0.9f, -0.3f, 0.05f, 0.2f, 0.0f, 0.0f};
  QuantizedWeights q = quantizeWeights(w, 3, /*pow2=*/true);
  ASSERT_EQ(q.scale, (std::vector<int32_t>{0, -2, 0}));
  // 0.9 -> 2^0 (code 7: k = 0 - (0 - 6) + 1), -0.3 -> -2^-2 (8 + 5),
  // 0.05 -> 2^-4 (k = -4 - (-8) + 1 = 5), 0.2 -> 2^-2 (k = 7).
  EXPECT_EQ(q.q, (std::vector<int8_t>{7, 13, 5, 7, 0, 0}));
  for (size_t i = 0; i < w.size(); ++i)
    EXPECT_TRUE(num::pow2CodeValid(static_cast<uint8_t>(q.q[i])));
  EXPECT_TRUE(std::isfinite(q.sqnrDb));
  EXPECT_GT(q.sqnrDb, 0);
}

TEST(WeightQuant, ExactWeightsHaveInfiniteSqnr) {
  std::vector<float> w = {0.5f, -0.25f, 0.0f, 0.125f};
  EXPECT_TRUE(std::isinf(quantizeWeights(w, 1, true).sqnrDb));
  EXPECT_TRUE(std::isinf(quantizeWeights(w, 1, false).sqnrDb));
}

TEST(WeightQuant, Int8PerOutputChannel) {
  // max 0.5 -> g = floor(log2(254)) = 7: 0.5 -> 64, -0.3 -> -38 (-38.4);
  // max 3.0 -> g = 5: 3.0 -> 96, 1.0 -> 32.
  std::vector<float> w = {0.5f, -0.3f, 3.0f, 1.0f};
  QuantizedWeights q = quantizeWeights(w, 2, /*pow2=*/false);
  EXPECT_FALSE(q.pow2);
  EXPECT_EQ(q.scale, (std::vector<int32_t>{7, 5}));
  EXPECT_EQ(q.q, (std::vector<int8_t>{64, -38, 96, 32}));
}

TEST(WeightQuant, PerLayerScale) {
  // The layer's max |w| = 3.0 sets one int8 scale g = 5 for both channels:
  // 0.5 -> 16, -0.3 -> -10 (-9.6), 3.0 -> 96, 1.0 -> 32.
  std::vector<float> w = {0.5f, -0.3f, 3.0f, 1.0f};
  QuantizedWeights q = quantizeWeights(w, 2, /*pow2=*/false, /*perLayer=*/true);
  EXPECT_EQ(q.scale, (std::vector<int32_t>{5, 5}));
  EXPECT_EQ(q.q, (std::vector<int8_t>{16, -10, 96, 32}));
  // pow2: n1 = floor(log2(4)) = 2 for both; 0.5 -> 2^-1 (k = -1 - (2 - 6)
  // + 1 = 4), -0.3 -> -2^-2 (8 + 3), 3.0 -> 2^2 (7; 3 >= sqrt(2) * 2), 1.0
  // -> 2^0 (5).
  QuantizedWeights p = quantizeWeights(w, 2, /*pow2=*/true, /*perLayer=*/true);
  EXPECT_EQ(p.scale, (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(p.q, (std::vector<int8_t>{4, 11, 7, 5}));
}

/// pow2 weights of one output channel, every code at the window top n1 = 0
/// (term 2^(0 - fIn + F)).
QuantizedWeights ones(int64_t count, int8_t code = 7) {
  QuantizedWeights q;
  q.pow2 = true;
  q.q.assign(count, code);
  q.scale = {0};
  return q;
}

TEST(WeightQuant, OverflowBoundIsExact) {
  // Two inputs at f = 0 and F = 23: 128 * 2 * 2^23 = 2^31 > 2^31 - 1.
  QuantizedWeights q = ones(2);
  EXPECT_NE(proveNoOverflow(q, {1, 2, 1, 1}, {0, 0}, {23}, {}), "");
  // F = 22: 128 * 2^23 = 2^30, plus a bias of 2^30 - 1 is exactly 2^31 - 1.
  EXPECT_EQ(proveNoOverflow(q, {1, 2, 1, 1}, {0, 0}, {22}, {(1 << 30) - 1}),
            "");
  std::string why =
      proveNoOverflow(q, {1, 2, 1, 1}, {0, 0}, {22}, {1 << 30});
  EXPECT_NE(why.find("output channel 0"), std::string::npos) << why;
  EXPECT_NE(why.find("2147483648"), std::string::npos) << why;
  // A negative bias counts by magnitude.
  EXPECT_NE(proveNoOverflow(q, {1, 2, 1, 1}, {0, 0}, {22}, {-(1 << 30)}), "");
}

TEST(WeightQuant, ShiftRange) {
  QuantizedWeights q = ones(1);
  // Shift = 0 - fIn + F. F = 31 with fIn = 0 is a legal shift whose term
  // overflows; F = 32 is out of range; fIn above F is a negative shift.
  std::string over = proveNoOverflow(q, {1, 1, 1, 1}, {0}, {31}, {});
  EXPECT_NE(over.find("exceeds int32"), std::string::npos) << over;
  std::string far = proveNoOverflow(q, {1, 1, 1, 1}, {0}, {32}, {});
  EXPECT_NE(far.find("needs a shift of 32 for input channel 0"),
            std::string::npos)
      << far;
  std::string neg = proveNoOverflow(q, {1, 1, 1, 1}, {5}, {4}, {});
  EXPECT_NE(neg.find("needs a shift of -1"), std::string::npos) << neg;
  EXPECT_EQ(proveNoOverflow(q, {1, 1, 1, 1}, {5}, {5}, {}), "");
}

TEST(WeightQuant, ZeroCodesAndGroupsAndInt8) {
  // A zero code contributes nothing, even where its shift would be illegal.
  QuantizedWeights z = ones(2);
  z.q[1] = 0;
  EXPECT_EQ(proveNoOverflow(z, {1, 2, 1, 1}, {0, -40}, {0}, {}), "");
  // Two groups of one input channel each: output 1 reads input 1 only
  // (f = 20 -> term 2^(0 - 20 + 20) = 1), output 0 reads input 0 (term
  // 2^24 -> 128 * 2^24 = 2^31 overflows).
  QuantizedWeights g = ones(2);
  g.scale = {0, 0};
  std::string why = proveNoOverflow(g, {2, 1, 1, 2}, {0, 20}, {24, 20}, {});
  EXPECT_NE(why.find("output channel 0"), std::string::npos) << why;
  EXPECT_EQ(proveNoOverflow(g, {2, 1, 1, 2}, {0, 20}, {23, 20}, {}), "");
  // int8: term |q| * 2^(F - fIn - g); 127 * 2^17 * 128 = 2^31 - 2^24 fits,
  // with a second tap of 2 * 2^17 * 128 = 2^25 it does not.
  QuantizedWeights i8;
  i8.pow2 = false;
  i8.q = {-127, 0};
  i8.scale = {0};
  EXPECT_EQ(proveNoOverflow(i8, {1, 1, 2, 1}, {0}, {17}, {}), "");
  i8.q[1] = 2;
  EXPECT_NE(proveNoOverflow(i8, {1, 1, 2, 1}, {0}, {17}, {}), "");
}

} // namespace

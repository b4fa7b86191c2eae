//===- HostFloatVisionTest.cpp - Reduce / expand / where / resize / deconv ===//
//
// The host segment kinds FloatReduce, FloatExpand, FloatWhere, FloatResize
// and FloatConvTranspose through the simulator, against definitions
// written here as loops in double (ONNX's formulas); and the loader's
// refusals of malformed parameters and shapes (named errors).
//
//===----------------------------------------------------------------------===//

#include "FloatNet.h"

#include "dlprt/kernels/FloatVision.h"

#include "gtest/gtest.h"

#include <cmath>
#include <algorithm>
#include <cstring>

using namespace dlprt;
using namespace dlprt::test;
namespace rk = dlprt::kernels;

namespace {

int64_t dbits(double v) {
  int64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

TEST(HostFloatVision, ReduceMeanAndSum) {
  // x 1x3x4x5: mean over (2, 3) keeping them, sum over 1 dropping it.
  std::vector<float> xv = ramp(60, 0.5f, -2.0f);
  Net n;
  uint32_t x = n.input({1, 3, 4, 5}, xv);
  uint32_t m = n.op(HostOpKind::FloatReduce, {x}, {1, 3, 1, 1}, {1, 1, 2, 3});
  std::vector<double> wantM, wantS;
  for (int c = 0; c < 3; ++c) {
    double acc = 0;
    for (int i = 0; i < 20; ++i)
      acc += xv[c * 20 + i];
    wantM.push_back(acc / 20);
  }
  for (int i = 0; i < 20; ++i)
    wantS.push_back(double(xv[i]) + xv[20 + i] + xv[40 + i]);
  expectClose(n.run(m), wantM, "reduce mean");
  Net n2;
  uint32_t x2 = n2.input({1, 3, 4, 5}, xv);
  expectClose(n2.run(n2.op(HostOpKind::FloatReduce, {x2}, {1, 4, 5},
                           {0, 0, 1})),
              wantS, "reduce sum");
}

TEST(HostFloatVision, ReduceMaxAndMin) {
  // x 1x3x4: max over axis 2 keeping it, min over 1 dropping it; a NaN in
  // channel 1 makes its max and the mins of its column NaN.
  std::vector<float> xv = ramp(12, -0.75f, 3.0f);
  xv[5] = std::nanf("");
  std::swap(xv[1], xv[10]); // not monotone along either axis
  Net n;
  uint32_t x = n.input({1, 3, 4}, xv);
  std::vector<float> mx = n.run(n.op(HostOpKind::FloatReduce, {x}, {1, 3, 1},
                                     {2, 1, 2}));
  for (int c = 0; c < 3; ++c) {
    float want = -INFINITY;
    bool nan = false;
    for (int i = 0; i < 4; ++i) {
      nan |= std::isnan(xv[c * 4 + i]);
      want = std::max(want, xv[c * 4 + i]);
    }
    if (nan)
      EXPECT_TRUE(std::isnan(mx[c])) << c;
    else
      EXPECT_EQ(mx[c], want) << c;
  }
  Net n2;
  uint32_t x2 = n2.input({1, 3, 4}, xv);
  std::vector<float> mn = n2.run(n2.op(HostOpKind::FloatReduce, {x2}, {1, 4},
                                       {3, 0, 1}));
  for (int i = 0; i < 4; ++i) {
    float a = xv[i], b = xv[4 + i], c = xv[8 + i];
    if (std::isnan(b))
      EXPECT_TRUE(std::isnan(mn[i])) << i;
    else
      EXPECT_EQ(mn[i], std::min({a, b, c})) << i;
  }
}

TEST(HostFloatVision, ExpandAndWhereBroadcast) {
  // expand 3x1 -> 1x3x4; where(mask 1x1x4, a 1x3x4, b [1]).
  Net n;
  std::vector<float> xv = {1.5f, -2.0f, 4.0f}, mv = {1, 0, 0, 2},
                     bv = {-7.0f};
  uint32_t x = n.input({3, 1}, xv);
  uint32_t e = n.op(HostOpKind::FloatExpand, {x}, {1, 3, 4}, {});
  uint32_t mask = n.constant({1, 1, 4}, mv);
  uint32_t b = n.constant({1}, bv);
  uint32_t y = n.op(HostOpKind::FloatWhere, {mask, e, b}, {1, 3, 4}, {});
  std::vector<double> want;
  for (int c = 0; c < 3; ++c)
    for (int j = 0; j < 4; ++j)
      want.push_back(mv[j] != 0 ? xv[c] : bv[0]);
  expectClose(n.run(y), want, "expand + where");
}

/// FloatResize params: mode, coord, nearest, cubic a, exclude, extrapolation,
/// roi count, scales.
std::vector<int64_t> resizeParams(rk::ResizeMode m, rk::ResizeCoord c,
                                  rk::ResizeNearest nm,
                                  std::vector<double> scales) {
  std::vector<int64_t> p = {int64_t(m), int64_t(c), int64_t(nm),
                            dbits(-0.75), 0, bits(0.0f), 0};
  for (double s : scales)
    p.push_back(dbits(s));
  return p;
}

TEST(HostFloatVision, ResizeNearestAndLinear) {
  std::vector<float> xv = {1, 2, 3, 4, 5, 6};
  {
    // Nearest, asymmetric, floor, x2: y[i][j] = x[i / 2][j / 2].
    Net n;
    uint32_t x = n.input({1, 1, 2, 3}, xv);
    uint32_t y = n.op(HostOpKind::FloatResize, {x}, {1, 1, 4, 6},
                      resizeParams(rk::ResizeMode::Nearest,
                                   rk::ResizeCoord::Asymmetric,
                                   rk::ResizeNearest::Floor, {1, 1, 2, 2}));
    std::vector<double> want;
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 6; ++j)
        want.push_back(xv[(i / 2) * 3 + j / 2]);
    expectClose(n.run(y), want, "nearest");
  }
  {
    // Linear, half_pixel, x2 along the width of 1x1x1x2: source
    // coordinates -0.25, 0.25, 0.75, 1.25 (clamped to the input).
    Net n;
    uint32_t x = n.input({1, 1, 1, 2}, {2.0f, 6.0f});
    uint32_t y = n.op(HostOpKind::FloatResize, {x}, {1, 1, 1, 4},
                      resizeParams(rk::ResizeMode::Linear,
                                   rk::ResizeCoord::HalfPixel,
                                   rk::ResizeNearest::RoundPreferFloor,
                                   {1, 1, 1, 2}));
    expectClose(n.run(y), {2.0, 3.0, 5.0, 6.0}, "linear");
  }
}

TEST(HostFloatVision, ConvTransposeStridePadOutputPadding) {
  // x 1x2x2x3, w 2x3x2x2 (C = 2, M = 3), bias; stride 2, dilation 1.
  // Pads 0: out 4x6. Pads (1, 1) on both axes and output_padding 1: out
  // (2-1)*2 + 2 - 2 + 1 = 3 rows, (3-1)*2 + 2 - 2 + 1 = 5 columns.
  std::vector<float> xv = ramp(12, 0.5f, -1.0f), wv = ramp(24, 0.25f, -0.5f),
                     bv = {0.5f, -1.0f, 0.25f};
  for (int padded = 0; padded < 2; ++padded) {
    Net n;
    int64_t P = padded, OH = padded ? 3 : 4, OW = padded ? 5 : 6;
    uint32_t x = n.input({1, 2, 2, 3}, xv);
    uint32_t w = n.constant({2, 3, 2, 2}, wv);
    uint32_t b = n.constant({3}, bv);
    uint32_t y = n.op(HostOpKind::FloatConvTranspose, {x, w, b},
                      {1, 3, OH, OW}, {1, 2, P, P, 1, 2, P, P, 1});
    std::vector<double> want(3 * OH * OW);
    for (int m = 0; m < 3; ++m)
      for (int i = 0; i < OH * OW; ++i)
        want[m * OH * OW + i] = bv[m];
    for (int c = 0; c < 2; ++c)
      for (int iy = 0; iy < 2; ++iy)
        for (int ix = 0; ix < 3; ++ix)
          for (int m = 0; m < 3; ++m)
            for (int ky = 0; ky < 2; ++ky)
              for (int kx = 0; kx < 2; ++kx) {
                int oy = iy * 2 + ky - P, ox = ix * 2 + kx - P;
                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW)
                  continue;
                want[(m * OH + oy) * OW + ox] +=
                    double(xv[(c * 2 + iy) * 3 + ix]) *
                    wv[((c * 3 + m) * 2 + ky) * 2 + kx];
              }
    expectClose(n.run(y), want, padded ? "deconv padded" : "deconv");
  }
}

TEST(HostFloatVision, LoaderRefusesMalformedSegments) {
  auto err = [](auto build) {
    Net n;
    build(n);
    return n.error();
  };
  using K = HostOpKind;
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 3, 4}, ramp(12, 1, 0));
              n.op(K::FloatReduce, {x}, {1, 1, 1}, {1, 1, 2, 1});
            }).find("float reduce): axis 1 (param 3) is not ascending"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 3, 4}, ramp(12, 1, 0));
              n.op(K::FloatReduce, {x}, {1, 3}, {0, 1, 2});
            }).find("output has shape [1, 3], expected [1, 3, 1]"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 3, 4}, ramp(12, 1, 0));
              n.op(K::FloatReduce, {x}, {1, 3, 1}, {4, 1, 2});
            }).find("param 0 (reduction) must be 0 (sum), 1 (mean), 2 (max) "
                    "or 3 (min)"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 1, 2, 2}, ramp(4, 1, 0));
              std::vector<int64_t> p = resizeParams(
                  rk::ResizeMode::Linear, rk::ResizeCoord::TfCropAndResize,
                  rk::ResizeNearest::Floor, {1, 1, 2, 2});
              p[6] = 3; // roi count
              n.op(K::FloatResize, {x}, {1, 1, 4, 4}, p);
            }).find("roi count 3 (param 6) must be 0 or twice the rank 4"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 1, 2, 2}, ramp(4, 1, 0));
              std::vector<int64_t> p = resizeParams(
                  rk::ResizeMode::Linear, rk::ResizeCoord::TfCropAndResize,
                  rk::ResizeNearest::Floor, {1, 1, 2, 2});
              p[6] = 8;
              for (int k = 0; k < 8; ++k)
                p.push_back(dbits(k == 5 ? NAN : 0.5));
              n.op(K::FloatResize, {x}, {1, 1, 4, 4}, p);
            }).find("roi value 5 is not finite"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 3, 2}, ramp(6, 1, 0));
              n.op(K::FloatExpand, {x}, {1, 3, 4}, {});
            }).find("input 0 [1, 3, 2] does not broadcast to the output"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t c = n.input({1, 4}, ramp(4, 1, 0));
              uint32_t a = n.input({1, 4}, ramp(4, 1, 0));
              n.op(K::FloatWhere, {c, a, a}, {2, 4}, {});
            }).find("is not the inputs' broadcast shape"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 1, 2, 2}, ramp(4, 1, 0));
              std::vector<int64_t> p = resizeParams(
                  rk::ResizeMode::Nearest, rk::ResizeCoord::HalfPixel,
                  rk::ResizeNearest::Floor, {1, 1, 2, 2});
              p[0] = 7;
              n.op(K::FloatResize, {x}, {1, 1, 4, 4}, p);
            }).find("unknown mode 7 (param 0)"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 1, 2, 2}, ramp(4, 1, 0));
              std::vector<int64_t> p = resizeParams(
                  rk::ResizeMode::Nearest, rk::ResizeCoord::HalfPixel,
                  rk::ResizeNearest::Floor, {1, 1, 2, -2});
              n.op(K::FloatResize, {x}, {1, 1, 4, 4}, p);
            }).find("axis 3: scale (param 10) must be finite and in "
                    "[2^-16, 65536]"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              // [1, 1, 1, 2^20] -> [1, 1, 2^20, 1]: after the height axis
              // the kernel's buffer would hold 2^40 floats.
              uint32_t x = n.input({1, 1, 1, 1 << 20}, {});
              n.op(K::FloatResize, {x}, {1, 1, 1 << 20, 1},
                   resizeParams(rk::ResizeMode::Nearest,
                                rk::ResizeCoord::Asymmetric,
                                rk::ResizeNearest::Floor,
                                {1, 1, 65536, 1}));
            }).find("an intermediate of the axis-by-axis resize exceeds 4 GiB"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 1, 2, 2}, ramp(4, 1, 0));
              std::vector<int64_t> p = resizeParams(
                  rk::ResizeMode::Linear, rk::ResizeCoord::TfCropAndResize,
                  rk::ResizeNearest::Floor, {1, 1, 2, 2});
              n.op(K::FloatResize, {x}, {1, 1, 4, 4}, p);
            }).find("tf_crop_and_resize needs a roi"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 2, 2, 2}, ramp(8, 1, 0));
              uint32_t w = n.constant({2, 3, 2, 2}, ramp(24, 1, 0));
              n.op(K::FloatConvTranspose, {x, w}, {1, 3, 6, 4},
                   {1, 2, 0, 0, 1, 2, 0, 0, 1});
            }).find("spatial axis 0: output extent 6 does not match"),
            std::string::npos);
  EXPECT_NE(err([](Net &n) {
              uint32_t x = n.input({1, 2, 2, 2}, ramp(8, 1, 0));
              uint32_t w = n.constant({4, 3, 2, 2}, ramp(48, 1, 0));
              n.op(K::FloatConvTranspose, {x, w}, {1, 3, 4, 4},
                   {1, 2, 0, 0, 1, 2, 0, 0, 1});
            }).find("does not take 2 input channels"),
            std::string::npos);
  EXPECT_EQ(err([](Net &n) {
              uint32_t x = n.input({1, 2, 2, 2}, ramp(8, 1, 0));
              uint32_t w = n.constant({2, 3, 2, 2}, ramp(24, 1, 0));
              n.op(K::FloatConvTranspose, {x, w}, {1, 3, 5, 4},
                   {1, 2, 0, 0, 1, 2, 0, 0, 1});
            }),
            "");
}

} // namespace

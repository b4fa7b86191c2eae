//===- HostFloatNNTest.cpp - Float operator host segments ------------------===//
//
// The float operators of host segments (FloatConst, FloatConv, FloatPool,
// FloatMatMul, FloatGemm, FloatFullyConnected, FloatLRN, FloatBatchNorm,
// FloatPad) through the simulator, against definitions written here as
// loops in double; and the loader's refusals of malformed parameters and
// shapes (named errors).
//
//===----------------------------------------------------------------------===//

#include "FloatNet.h"

#include "dlprt/HostOps.h"
#include "dlprt/kernels/FloatConv.h"
#include "dlprt/kernels/FloatLinalg.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>

using namespace dlprt;
using namespace dlprt::isa;
using namespace dlprt::test;
namespace rk = dlprt::kernels;

namespace {

TEST(HostFloatNN, ConvWithConstantWeightsStridePadDilation) {
  // x 1x2x5x6, w 4x2x3x2 (constant), bias (constant); stride (2, 1), pads
  // (1, 0, 0, 1), dilation (1, 2): out 1x4x2x4.
  for (int group : {1, 2}) {
    Net n;
    int64_t C = 2, M = 4, H = 5, W = 6, KH = 3, KW = 2, cg = C / group;
    std::vector<float> xv = ramp(C * H * W, 0.5f, -2.0f),
                       wv = ramp(M * cg * KH * KW, 0.25f, -1.0f),
                       bv = {0.5f, -1.0f, 2.0f, 0.125f};
    uint32_t x = n.input({1, C, H, W}, xv);
    uint32_t w = n.constant({M, cg, KH, KW}, wv);
    uint32_t bias = n.constant({M}, bv);
    int64_t OH = (H + 1 + 0 - 3) / 2 + 1, OW = (W + 0 + 1 - 3) / 1 + 1;
    uint32_t y = n.op(HostOpKind::FloatConv, {x, w, bias}, {1, M, OH, OW},
                      {group, 2, 1, 0, 1, 1, 0, 1, 2});
    std::vector<double> want;
    for (int64_t o = 0; o < M; ++o)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double acc = bv[o];
          int64_t g = o / (M / group);
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t ky = 0; ky < KH; ++ky)
              for (int64_t kx = 0; kx < KW; ++kx) {
                int64_t iy = oy * 2 - 1 + ky, ix = ox - 0 + kx * 2;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                  continue;
                acc += double(xv[((g * cg + c) * H + iy) * W + ix]) *
                       wv[((o * cg + c) * KH + ky) * KW + kx];
              }
          want.push_back(acc);
        }
    expectClose(n.run(y), want, "conv");
  }
}

TEST(HostFloatNN, DepthwiseConvFromATensorWeight) {
  // Weight and input both tensors (a weight that is a graph input).
  Net n;
  std::vector<float> xv = ramp(2 * 4 * 4, 1.0f, -3.0f),
                     wv = ramp(2 * 9, 0.5f, -1.0f);
  uint32_t x = n.input({1, 2, 4, 4}, xv), w = n.input({2, 1, 3, 3}, wv);
  uint32_t y = n.op(HostOpKind::FloatConv, {x, w}, {1, 2, 4, 4},
                    {2, 1, 1, 1, 1, 1, 1, 1, 1});
  std::vector<double> want;
  for (int c = 0; c < 2; ++c)
    for (int oy = 0; oy < 4; ++oy)
      for (int ox = 0; ox < 4; ++ox) {
        double acc = 0;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            int iy = oy - 1 + ky, ix = ox - 1 + kx;
            if (iy >= 0 && iy < 4 && ix >= 0 && ix < 4)
              acc += double(xv[(c * 4 + iy) * 4 + ix]) * wv[c * 9 + ky * 3 + kx];
          }
        want.push_back(acc);
      }
  expectClose(n.run(y), want, "depthwise");
}

TEST(HostFloatNN, Pools) {
  // 1x2x5x5, kernel 3, stride 2, pads 1 (begin) / 1 (end): 1x2x3x3; the
  // ceil-mode extent with end pad 0 is 1x2x3x3 too.
  std::vector<float> xv = ramp(50, 1.0f, -4.0f);
  for (int op = 0; op < 4; ++op) {
    Net n;
    uint32_t x = n.input({1, 2, 5, 5}, xv);
    bool global = op == int(rk::FloatPoolOp::GlobalAvg);
    std::vector<int64_t> params = {op};
    if (!global)
      for (int a = 0; a < 2; ++a)
        params.insert(params.end(), {3, 2, 1, 1, 1});
    uint32_t y = n.op(HostOpKind::FloatPool, {x},
                      global ? std::vector<int64_t>{1, 2, 1, 1}
                             : std::vector<int64_t>{1, 2, 3, 3},
                      params);
    std::vector<double> want;
    for (int c = 0; c < 2; ++c) {
      if (global) {
        double s = 0;
        for (int i = 0; i < 25; ++i)
          s += xv[c * 25 + i];
        want.push_back(s / 25);
        continue;
      }
      for (int oy = 0; oy < 3; ++oy)
        for (int ox = 0; ox < 3; ++ox) {
          double mx = -INFINITY, s = 0;
          int cnt = 0;
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
              if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5)
                continue;
              mx = std::max(mx, double(xv[(c * 5 + iy) * 5 + ix]));
              s += xv[(c * 5 + iy) * 5 + ix];
              ++cnt;
            }
          want.push_back(op == 0 ? mx : s / (op == 2 ? 9 : cnt));
        }
    }
    expectClose(n.run(y), want, "pool");
  }
}

TEST(HostFloatNN, MatMulGemmFullyConnected) {
  // Small integers: every product and sum is exact in float.
  std::vector<float> av = ramp(2 * 3 * 4, 1.0f, -5.0f),
                     bv = ramp(4 * 5, 1.0f, -3.0f);
  {
    Net n; // [1, 2, 3, 4] x [4, 5] (b broadcast over the batch axes)
    uint32_t a = n.input({1, 2, 3, 4}, av), b = n.constant({4, 5}, bv);
    uint32_t y = n.op(HostOpKind::FloatMatMul, {a, b}, {1, 2, 3, 5}, {});
    std::vector<float> got = n.run(y);
    for (int m = 0; m < 6; ++m)
      for (int j = 0; j < 5; ++j) {
        double s = 0;
        for (int k = 0; k < 4; ++k)
          s += double(av[m * 4 + k]) * bv[k * 5 + j];
        EXPECT_EQ(got[m * 5 + j], float(s));
      }
  }
  {
    Net n; // 0.5 * a (2x4) * b^T (b: 5x4) + 2 * c (broadcast 5)
    std::vector<float> cv = {1, -2, 3, -4, 5};
    uint32_t a = n.input({2, 4}, av), b = n.input({5, 4}, bv),
             c = n.constant({5}, cv);
    uint32_t y = n.op(HostOpKind::FloatGemm, {a, b, c}, {2, 5},
                      {0, 1, bits(0.5f), bits(2.0f)});
    std::vector<float> got = n.run(y);
    for (int m = 0; m < 2; ++m)
      for (int j = 0; j < 5; ++j) {
        double s = 0;
        for (int k = 0; k < 4; ++k)
          s += double(av[m * 4 + k]) * bv[j * 4 + k];
        EXPECT_EQ(got[m * 5 + j], float(0.5 * s + 2 * cv[j]));
      }
  }
  {
    Net n; // x 1x2x3 flattened to 6 features, w 4x6, bias 4
    std::vector<float> wv = ramp(24, 1.0f, -2.0f), bias = {1, 2, 3, 4};
    uint32_t x = n.input({1, 2, 3}, av), w = n.constant({4, 6}, wv),
             b = n.constant({4}, bias);
    uint32_t y = n.op(HostOpKind::FloatFullyConnected, {x, w, b}, {1, 4}, {});
    std::vector<float> got = n.run(y);
    for (int j = 0; j < 4; ++j) {
      double s = bias[j];
      for (int k = 0; k < 6; ++k)
        s += double(av[k]) * wv[j * 6 + k];
      EXPECT_EQ(got[j], float(s));
    }
  }
}

TEST(HostFloatNN, LrnAndBatchNorm) {
  std::vector<float> xv = ramp(5 * 6, 0.5f, -1.0f);
  {
    Net n; // size 3, alpha 1e-1, beta 0.75, bias 2 over 5 channels of 2x3
    uint32_t x = n.input({1, 5, 2, 3}, xv);
    uint32_t y = n.op(HostOpKind::FloatLRN, {x}, {1, 5, 2, 3},
                      {3, bits(0.1f), bits(0.75f), bits(2.0f)});
    std::vector<double> want;
    for (int c = 0; c < 5; ++c)
      for (int p = 0; p < 6; ++p) {
        double sq = 0;
        for (int k = std::max(0, c - 1); k <= std::min(4, c + 1); ++k)
          sq += double(xv[k * 6 + p]) * xv[k * 6 + p];
        want.push_back(xv[c * 6 + p] /
                       std::pow(2.0 + double(0.1f) / 3 * sq, 0.75));
      }
    expectClose(n.run(y), want, "lrn");
  }
  {
    Net n;
    std::vector<float> s = {1, 2, -1, 0.5f, 3}, b = {0, 1, 2, 3, 4},
                       m = {0.5f, -1, 0, 2, 1}, v = {1, 4, 0.25f, 9, 2};
    uint32_t x = n.input({1, 5, 6}, xv);
    uint32_t y = n.op(HostOpKind::FloatBatchNorm,
                      {x, n.constant({5}, s), n.constant({5}, b),
                       n.constant({5}, m), n.constant({5}, v)},
                      {1, 5, 6}, {bits(1e-3f)});
    std::vector<double> want;
    for (int c = 0; c < 5; ++c)
      for (int p = 0; p < 6; ++p)
        want.push_back(s[c] * (xv[c * 6 + p] - m[c]) /
                           std::sqrt(v[c] + double(1e-3f)) +
                       b[c]);
    expectClose(n.run(y), want, "batchnorm");
  }
}

TEST(HostFloatNN, PadEveryMode) {
  // [1, 2, 3] padded by (0, 1, 2) before and (0, 2, -1) after: [1, 5, 4].
  std::vector<float> xv = {1, 2, 3, 4, 5, 6};
  for (int mode = 0; mode < 3; ++mode) {
    Net n;
    uint32_t x = n.input({1, 2, 3}, xv);
    uint32_t y = n.op(HostOpKind::FloatPad, {x}, {1, 5, 4},
                      {mode, bits(-7.5f), 0, 1, 2, 0, 2, -1});
    std::vector<float> got = n.run(y);
    auto src = [&](int i, int n) {
      if (mode == 2)
        return std::clamp(i, 0, n - 1);
      int period = 2 * (n - 1);
      i = ((i % period) + period) % period;
      return i >= n ? period - i : i;
    };
    for (int r = 0; r < 5; ++r)
      for (int c = 0; c < 4; ++c) {
        int ir = r - 1, ic = c - 2;
        bool in = ir >= 0 && ir < 2 && ic >= 0 && ic < 3;
        float want = mode == 0 && !in ? -7.5f
                                      : xv[src(ir, 2) * 3 + src(ic, 3)];
        EXPECT_EQ(got[r * 4 + c], want) << "mode " << mode << " " << r << ","
                                        << c;
      }
  }
}

TEST(HostFloatNN, LoaderRefusesMalformedOperators) {
  auto check = [](auto build, const char *msg) {
    Net n;
    build(n);
    std::string text = n.error();
    EXPECT_NE(text.find(msg), std::string::npos) << msg << ": " << text;
  };
  using K = HostOpKind;
  // FloatConst: the const range must hold the output.
  check(
      [](Net &n) {
        uint32_t t = n.constant({2, 3}, std::vector<float>(6));
        n.segs.back().constBytes = 20;
        (void)t;
      },
      "const size 20, the output needs 24");
  // FloatConv: params, group, ranks, window extents, bias shape.
  auto conv = [](std::vector<int64_t> params, std::vector<int64_t> wShape,
                 std::vector<int64_t> yShape, std::vector<int64_t> bShape) {
    return [=](Net &n) {
      std::vector<uint32_t> in = {n.input({1, 4, 5, 5}, {}),
                                  n.input(wShape, {})};
      if (!bShape.empty())
        in.push_back(n.input(bShape, {}));
      n.op(K::FloatConv, in, yShape, params);
    };
  };
  std::vector<int64_t> ok = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  check(conv({1, 1, 1}, {8, 4, 3, 3}, {1, 8, 5, 5}, {}), "3 params (expected 9)");
  check(conv({3, 1, 1, 1, 1, 1, 1, 1, 1}, {8, 4, 3, 3}, {1, 8, 5, 5}, {}),
        "group 3 does not fit C_in = 4");
  check(conv({1, 0, 1, 1, 1, 1, 1, 1, 1}, {8, 4, 3, 3}, {1, 8, 5, 5}, {}),
        "stride 0 (param 1) out of range");
  check(conv({1, 1, -1, 1, 1, 1, 1, 1, 1}, {8, 4, 3, 3}, {1, 8, 5, 5}, {}),
        "pad -1 (param 2) out of range");
  check(conv({1, 1, 1, 1, 1 << 20, 1, 1, 1, 1}, {8, 4, 3, 3}, {1, 8, 5, 5},
             {}),
        "dilation 1048576 (param 4) out of range");
  check(conv(ok, {8, 4, 3, 3}, {1, 8, 6, 5}, {}),
        "spatial axis 0: output extent 6 does not match the window (5)");
  check(conv(ok, {8, 4, 3, 3}, {1, 7, 5, 5}, {}), "is not 1 x 8 x ...");
  check(conv(ok, {8, 4, 3}, {1, 8, 5, 5}, {}),
        "input, weight and output ranks differ");
  check(conv(ok, {8, 4, 3, 3}, {1, 8, 5, 5}, {7}),
        "bias has shape [7], expected [8]");
  check(conv(ok, {8, 4, 9, 9}, {1, 8, 5, 5}, {}),
        "spatial axis 0: output extent 5 does not match the window (0)");
  check(
      [](Net &n) {
        n.op(K::FloatConv, {n.input({1, 4}, {}), n.input({8, 4}, {})}, {1, 8},
             {1});
      },
      "input rank 2 (expected 3 to 5");
  // FloatPool.
  auto pool = [](std::vector<int64_t> params, std::vector<int64_t> yShape) {
    return [=](Net &n) {
      n.op(K::FloatPool, {n.input({1, 2, 5, 5}, {})}, yShape, params);
    };
  };
  check(pool({9}, {1, 2, 1, 1}), "unknown pool op 9");
  check(pool({0, 3, 2, 1, 1, 1}, {1, 2, 3, 3}), "6 params (expected 11)");
  check(pool({0, 0, 2, 1, 1, 1, 3, 2, 1, 1, 1}, {1, 2, 3, 3}),
        "kernel 0 (param 1) out of range");
  check(pool({0, 3, 2, 1, 1, 1, 3, 2, 1, 1, 1}, {1, 2, 4, 3}),
        "output extent 4 does not match the window (3)");
  check(pool({1, 3, 2, 1, 1, 2, 3, 2, 1, 1, 1}, {1, 2, 2, 3}),
        "an average pool has no dilation");
  check(pool({3}, {1, 2, 1, 2}), "output has shape [1, 2, 1, 2], expected "
                                 "[1, 2, 1, 1]");
  check(pool({0, 3, 2, 1, 1, 1, 3, 2, 1, 1, 1}, {1, 3, 3, 3}),
        "differs from input [1, 2, 5, 5] on axes 0, 1");
  // FloatMatMul.
  check(
      [](Net &n) {
        n.op(K::FloatMatMul, {n.input({1, 3, 4}, {}), n.input({5, 6}, {})},
             {1, 3, 6}, {});
      },
      "inner dimensions differ");
  check(
      [](Net &n) {
        n.op(K::FloatMatMul, {n.input({2, 3, 4}, {}), n.input({3, 4, 6}, {})},
             {2, 3, 6}, {});
      },
      "batch dimensions do not broadcast");
  check(
      [](Net &n) {
        n.op(K::FloatMatMul, {n.input({1, 3, 4}, {}), n.input({4, 6}, {})},
             {1, 3, 5}, {});
      },
      "output has shape [1, 3, 5], expected [1, 3, 6]");
  // FloatGemm.
  check(
      [](Net &n) {
        n.op(K::FloatGemm, {n.input({1, 4}, {}), n.input({5, 4}, {})}, {1, 5},
             {0, 2, 0, 0});
      },
      "trans_a / trans_b must be 0 or 1");
  check(
      [](Net &n) {
        n.op(K::FloatGemm, {n.input({1, 4}, {}), n.input({5, 4}, {})}, {1, 5},
             {0, 0, 0, 0});
      },
      "inner dimensions differ");
  check(
      [](Net &n) {
        n.op(K::FloatGemm,
             {n.input({1, 4}, {}), n.input({5, 4}, {}), n.input({3}, {})},
             {1, 5}, {0, 1, 0, 0});
      },
      "c [3] does not broadcast to [1, 5]");
  check(
      [](Net &n) {
        n.op(K::FloatGemm, {n.input({1, 4}, {}), n.input({5, 4}, {})}, {1, 5},
             {0, 1});
      },
      "2 params (expected 4)");
  // FloatFullyConnected.
  check(
      [](Net &n) {
        n.op(K::FloatFullyConnected,
             {n.input({1, 2, 3}, {}), n.input({4, 5}, {})}, {1, 4}, {});
      },
      "weight [4, 5] does not take 6 features");
  check(
      [](Net &n) {
        n.op(K::FloatFullyConnected,
             {n.input({1, 6}, {}), n.input({4, 6}, {}), n.input({5}, {})},
             {1, 4}, {});
      },
      "bias has shape [5], expected [4]");
  check(
      [](Net &n) {
        n.op(K::FloatFullyConnected, {n.input({1, 6}, {})}, {1, 4}, {});
      },
      "takes 2 or 3 input(s) and one output");
  // FloatLRN, FloatBatchNorm, FloatPad.
  check(
      [](Net &n) {
        n.op(K::FloatLRN, {n.input({1, 4, 2}, {})}, {1, 4, 2},
             {0, 0, 0, 0});
      },
      "size 0 (param 0) out of range");
  check(
      [](Net &n) {
        n.op(K::FloatLRN, {n.input({1, 4, 2}, {})}, {1, 4, 3},
             {3, 0, 0, 0});
      },
      "output has shape [1, 4, 3], expected [1, 4, 2]");
  check(
      [](Net &n) {
        uint32_t c = n.input({4}, {}), v = n.input({3}, {});
        n.op(K::FloatBatchNorm, {n.input({1, 4, 2}, {}), c, c, c, v},
             {1, 4, 2}, {0});
      },
      "var has shape [3], expected [4]");
  check(
      [](Net &n) {
        n.op(K::FloatPad, {n.input({1, 4}, {})}, {1, 6}, {3, 0, 0, 1, 0, 1});
      },
      "unknown pad mode 3");
  check(
      [](Net &n) {
        n.op(K::FloatPad, {n.input({1, 4}, {})}, {1, 7}, {0, 0, 0, 1, 0, 1});
      },
      "output has shape [1, 7], expected [1, 6]");
  check(
      [](Net &n) {
        n.op(K::FloatPad, {n.input({1, 4}, {})}, {1, 4}, {0, 0, 0, 1 << 20, 0,
                                                          -(1 << 20)});
      },
      "pad 1048576 (param 3) out of range");
  check(
      [](Net &n) {
        n.op(K::FloatPad, {n.input({1, 4}, {})}, {1, 4}, {0, 0, 0});
      },
      "3 params (expected 6)");
  // A constant range on an operator that takes none.
  check(
      [](Net &n) {
        n.op(K::FloatLRN, {n.input({1, 4, 2}, {})}, {1, 4, 2}, {3, 0, 0, 0});
        n.b.p.constData.resize(8);
        n.segs.back().constBytes = 8;
      },
      "takes no constants");
}

} // namespace

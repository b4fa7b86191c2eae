//===- PoolAddHostTest.cpp - POOL, ADD and host ops against references ----===//
//
// Expected values are computed here from docs/isa.md 3.4 / 3.5,
// docs/numerics.md 4 / 5 and the host-op layouts in dlprt/Program.h.
//
//===----------------------------------------------------------------------===//

#include "ProgramBuilder.h"

#include "dlprt/HostOps.h"
#include "dlprt/kernels/Requant.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <climits>
#include <limits>
#include <cmath>
#include <array>
#include <random>

using namespace dlprt;
using namespace dlprt::isa;
using namespace dlprt::test;

namespace {

/// Fills FBUF [0, n) from data and returns the int8 values (block-major).
std::vector<int> fillInput(Builder &b, std::vector<uint8_t> &data, int n,
                           unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int> v(n * 8);
  for (int i = 0; i < n * 8; ++i) {
    v[i] = std::uniform_int_distribution<int>(-128, 127)(rng);
    data[i] = uint8_t(v[i]);
  }
  b.emit(load(Buf::FBuf, Region::Data, 0, 0, n));
  b.emit(instr(Opcode::Sync, {}));
  return v;
}

struct PoolCase {
  int mode, inH, inW, kH, kW, sH, sW, pT, pL, pB, pR, dH, dW, outH, outW;
};

/// Pools 2 blocks of random input at FBUF 0 into `outAddr` (200: apart
/// from the input; 0 or a few vectors on: over it, in place).
void checkPool(const PoolCase &c, int outAddr = 200) {
  Builder b;
  b.p.dataBytes = 8192;
  std::vector<uint8_t> data(b.p.dataBytes);
  const int cb = 2, inStride = c.inH * c.inW + 3,
            outStride = c.outH * c.outW + 1;
  std::vector<int> in = fillInput(b, data, inStride * cb, 99);
  b.emit(instr(Opcode::Pool, {{"mode", c.mode},
                              {"in_addr", 0},
                              {"in_cstride", inStride},
                              {"in_h", c.inH},
                              {"in_w", c.inW},
                              {"cb", cb},
                              {"out_h", c.outH},
                              {"out_w", c.outW},
                              {"k_h", c.kH},
                              {"k_w", c.kW},
                              {"stride_h", c.sH},
                              {"stride_w", c.sW},
                              {"pad_t", c.pT},
                              {"pad_l", c.pL},
                              {"pad_b", c.pB},
                              {"pad_r", c.pR},
                              {"dil_h", c.dH},
                              {"dil_w", c.dW},
                              {"out_addr", outAddr},
                              {"out_cstride", outStride}}));
  b.emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  for (int blk = 0; blk < cb; ++blk)
    for (int y = 0; y < c.outH; ++y)
      for (int x = 0; x < c.outW; ++x)
        for (int l = 0; l < 8; ++l) {
          int y0 = y * c.sH - c.pT, x0 = x * c.sW - c.pL;
          int best = -128, n = 0;
          int64_t sum = 0;
          for (int ky = 0; ky < c.kH; ++ky)
            for (int kx = 0; kx < c.kW; ++kx) {
              int iy = y0 + ky * c.dH, ix = x0 + kx * c.dW;
              if (iy < 0 || iy >= c.inH || ix < 0 || ix >= c.inW)
                continue;
              int v = in[(blk * inStride + iy * c.inW + ix) * 8 + l];
              best = std::max(best, v);
              sum += v;
              ++n;
            }
          int64_t expect = best;
          if (c.mode != 0) {
            int64_t count = n;
            if (c.mode == 1)
              count = (std::min(y0 + c.kH, c.inH + c.pB) - y0) *
                      (std::min(x0 + c.kW, c.inW + c.pR) - x0);
            count = std::max<int64_t>(count, 1);
            // M_K = floor(2^16 / K + 1/2); q = sat8((sum M + 2^15) >> 16).
            int64_t M = int64_t(std::floor(65536.0 / double(count) + 0.5));
            expect = refRequant(sum * M, 16);
          }
          EXPECT_EQ(
              sim->state()
                  .fbuf[(outAddr + blk * outStride + y * c.outW + x) * 8 + l],
              expect)
              << "mode " << c.mode << " block " << blk << " (" << y << "," << x
              << ") lane " << l;
        }
}

TEST(Pool, MaxWithDilationAndAnEmptyWindow) {
  // Row 0's window (rows -3, -2) holds no valid element: -128.
  checkPool({0, 4, 5, 2, 3, 2, 2, 3, 1, 0, 0, 1, 2, 3, 3});
}

TEST(Pool, MaxPlain) {
  checkPool({0, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 3});
}

// An output over its own input reads the input as it was before the
// instruction (docs/isa.md): exactly over it, and shifted by a few vectors.
TEST(Pool, InPlace) {
  checkPool({0, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, 6}, 0);
  checkPool({0, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, 6}, 7);
  checkPool({1, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 3}, 30);
}

TEST(Pool, AverageCountingPadding) {
  checkPool({1, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 3});
  // pad_b = pad_r = 0: the bottom / right windows count only to the edge.
  checkPool({1, 5, 6, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 3, 3});
}

// Bands of output rows (the simulator's tasks): the later rows' windows lie
// in the bottom padding, 6 rows of it, counted.
TEST(Pool, AverageIntoDeepBottomPadding) {
  checkPool({1, 3, 4, 2, 2, 1, 1, 1, 0, 6, 1, 1, 1, 9, 4});
  checkPool({2, 3, 4, 2, 2, 1, 1, 1, 0, 6, 1, 1, 1, 9, 4});
}

TEST(Pool, AverageOverValidElements) {
  checkPool({2, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 3});
  checkPool({2, 7, 7, 7, 7, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1}); // global 7x7
}

void checkAdd(bool unary) {
  Builder b;
  b.p.dataBytes = 4096;
  std::vector<uint8_t> data(b.p.dataBytes);
  const int n = 10, cb = 2;
  std::vector<int> v = fillInput(b, data, 100, 5);
  std::vector<int8_t> aux0 = {0, 1, -1, 3, -3, 22, -22, 2};
  std::vector<int8_t> aux1 = {2, 0, 0, -2, 1, 1, -1, 0};
  if (unary)
    aux0 = aux1 = std::vector<int8_t>(8, 0);
  std::vector<int8_t> sh0 = {1, 0, 2, -1, 4, 23, 8, 3};
  std::vector<int8_t> sh1 = {0, 1, 1, 2, 2, 3, -2, 5};
  std::vector<int8_t> lo = {-128, 0, -10, -128, -128, -128, -50, -128};
  std::vector<int8_t> hi = {127, 127, 10, 127, 127, 127, 50, 127};
  uint64_t pa = b.params(std::vector<int32_t>(8), sh0, lo, hi, aux0);
  b.params(std::vector<int32_t>(8), sh1, lo, hi, aux1);
  b.emit(load(Buf::PBuf, Region::Const, 20, int64_t(pa), 2))
      .emit(instr(Opcode::Sync, {}))
      .emit(instr(Opcode::Add, {{"unary", unary},
                                {"a_addr", 0},
                                {"b_addr", 30},
                                {"out_addr", 60},
                                {"n", n},
                                {"cb", cb},
                                {"a_cstride", 12},
                                {"b_cstride", 11},
                                {"out_cstride", 15},
                                {"param_addr", 20}}))
      .emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  for (int blk = 0; blk < cb; ++blk)
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < 8; ++c) {
        int64_t a = v[(0 + blk * 12 + i) * 8 + c];
        int64_t bb = unary ? 0 : v[(30 + blk * 11 + i) * 8 + c];
        int d = (blk ? aux1 : aux0)[c];
        int64_t t =
            d >= 0 ? a + bb * (int64_t(1) << d) : a * (int64_t(1) << -d) + bb;
        int64_t q = refRequant(t, (blk ? sh1 : sh0)[c]);
        q = std::min<int64_t>(std::max<int64_t>(q, lo[c]), hi[c]);
        EXPECT_EQ(sim->state().fbuf[(60 + blk * 15 + i) * 8 + c], q)
            << "block " << blk << " i " << i << " lane " << c;
      }
}

TEST(Add, Binary) { checkAdd(false); }
TEST(Add, Unary) { checkAdd(true); }

/// A GEMM with the residual flag (docs/isa.md 3.3): a 3x3 pad-1 int8 conv
/// on a 4 x 5 map whose post-processed output (entry 20) is added to the
/// tile after the output tile (entry 21), in place; the expected values
/// from the formulas, and the same as the plain GEMM followed by an ADD.
TEST(Add, ResidualGemm) {
  const int H = 4, W = 5, M = H * W, K = 9 * 8;
  for (bool viaAdd : {false, true}) {
    Builder b;
    b.p.dataBytes = 4096;
    std::vector<uint8_t> data(b.p.dataBytes);
    std::vector<int> in = fillInput(b, data, 2 * M, 11); // input, then residual
    std::mt19937 rng(3);
    auto uni = [&](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    std::vector<std::vector<int8_t>> w(K, std::vector<int8_t>(8));
    for (auto &row : w)
      for (int8_t &v : row)
        v = int8_t(uni(-127, 127));
    std::vector<int32_t> bias(8);
    for (int32_t &v : bias)
      v = uni(-3000, 3000);
    std::vector<int8_t> sh0 = {6, 7, 8, 5, 9, 6, 7, 10};
    std::vector<int8_t> lo0 = {-128, 0, -60, -128, -128, -128, -20, -128};
    std::vector<int8_t> hi0 = {127, 127, 60, 127, 127, 127, 20, 127};
    std::vector<int8_t> aux = {0, 1, -1, 3, -3, 22, -22, 2};
    std::vector<int8_t> sh1 = {1, 0, 2, -1, 4, 23, 8, 3};
    std::vector<int8_t> lo1 = {-128, 0, -10, -128, -128, -128, -50, 0};
    std::vector<int8_t> hi1 = {127, 127, 10, 127, 127, 127, 50, 127};
    uint64_t wo = b.int8Rows(w, std::vector<uint8_t>(K));
    uint64_t pa = b.params(bias, sh0, lo0, hi0, std::vector<int8_t>(8));
    b.params(std::vector<int32_t>(8), sh1, lo1, hi1, aux);
    const int out = 100; // residual tile at out + M, loaded there
    b.emit(load(Buf::FBuf, Region::Data, out + M, M * 8, M))
        .emit(load(Buf::WBuf, Region::Const, 0, int64_t(wo), K, 1, 0, 1, 0, 1))
        .emit(load(Buf::PBuf, Region::Const, 20, int64_t(pa), 2))
        .emit(instr(Opcode::Sync, {}))
        .emit(instr(Opcode::Gemm, {{"wfmt", 1},
                                   {"epilogue", 1},
                                   {"residual", !viaAdd},
                                   {"in_addr", 0},
                                   {"in_cstride", M},
                                   {"in_h", H},
                                   {"in_w", W},
                                   {"in_cb", 1},
                                   {"out_h", H},
                                   {"out_w", W},
                                   {"k_h", 3},
                                   {"k_w", 3},
                                   {"stride_h", 1},
                                   {"stride_w", 1},
                                   {"dil_h", 1},
                                   {"dil_w", 1},
                                   {"pad_t", 1},
                                   {"pad_l", 1},
                                   {"param_addr", 20},
                                   {"out_addr", out}}));
    if (viaAdd)
      b.emit(instr(Opcode::Add, {{"a_addr", out},
                                 {"b_addr", out + M},
                                 {"out_addr", out},
                                 {"n", M},
                                 {"cb", 1},
                                 {"a_cstride", M},
                                 {"b_cstride", M},
                                 {"out_cstride", M},
                                 {"param_addr", 21}}));
    b.emit(instr(Opcode::End, {}));
    std::unique_ptr<Simulator> sim = runProgram(b.p, data);
    ASSERT_TRUE(sim);
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        for (int q = 0; q < 8; ++q) {
          int64_t acc = bias[q];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx)
              for (int l = 0; l < 8; ++l) {
                int iy = y + ky - 1, ix = x + kx - 1;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                  acc += int64_t(in[(iy * W + ix) * 8 + l]) *
                         w[(ky * 3 + kx) * 8 + l][q];
              }
          int64_t a = std::clamp<int64_t>(refRequant(acc, sh0[q]), lo0[q],
                                          hi0[q]);
          int64_t bb = in[(M + y * W + x) * 8 + q];
          int d = aux[q];
          int64_t t = d >= 0 ? a + bb * (int64_t(1) << d)
                             : a * (int64_t(1) << -d) + bb;
          int64_t r = std::clamp<int64_t>(refRequant(t, sh1[q]), lo1[q],
                                          hi1[q]);
          EXPECT_EQ(sim->state().fbuf[(out + y * W + x) * 8 + q], r)
              << (viaAdd ? "GEMM + ADD " : "residual GEMM ") << y << "," << x
              << "," << q;
        }
  }
}

TEST(HostOps, GroupedConvAndConcat) {
  const int C = 6, H = 4, W = 5, G = 3, O = 6, KH = 3, KW = 2;
  const int SH = 2, SW = 1, PT = 1, PL = 0, DH = 1, DW = 2, OH = 2, OW = 3;
  Builder b;
  b.p.dataBytes = 2048;
  uint32_t x = b.tensor("x", C, H, W, 0, {0});
  uint32_t h = b.tensor("h", O, OH, OW, 512, {0});
  uint32_t cat = b.tensor("cat", C + O, H, W, 1024, {0});
  b.p.tensors[h].H = OH;
  // The concat needs equal H, W: concat x with itself and h's... use x twice.
  std::vector<uint8_t> data(b.p.dataBytes, 0xAA); // garbage everywhere
  std::mt19937 rng(3);
  std::vector<int> in(C * H * W);
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int xx = 0; xx < W; ++xx) {
        int v = std::uniform_int_distribution<int>(-128, 127)(rng);
        in[(c * H + y) * W + xx] = v;
        data[blocked(H, W, c, y, xx)] = uint8_t(v);
      }
  const int CG = C / G, OG = O / G;
  std::vector<int32_t> mul(O * CG * KH * KW), bias(O);
  std::vector<int8_t> shift = {0, 1, 2, 3, -1, 5}, lo(O, -100), hi(O, 90);
  std::vector<uint8_t> cst;
  auto put32 = [&](int32_t v) {
    for (int k = 0; k < 4; ++k)
      cst.push_back(uint8_t(uint32_t(v) >> (8 * k)));
  };
  for (int32_t &m : mul) {
    m = std::uniform_int_distribution<int>(-64, 64)(rng);
    put32(m);
  }
  for (int32_t &v : bias) {
    v = std::uniform_int_distribution<int>(-500, 500)(rng);
    put32(v);
  }
  for (const auto *v : {&shift, &lo, &hi})
    for (int8_t s : *v)
      cst.push_back(uint8_t(s));
  HostSegment conv{
      HostOpKind::Conv, {x},       {h}, {G, KH, KW, SH, SW, PT, PL, DH, DW},
      b.addConst(cst),  cst.size()};
  HostSegment concat{HostOpKind::Concat, {x, x}, {cat}, {}, 0, 0};
  b.p.tensors[cat].C = 2 * C;
  b.p.tensors[cat].shape = {1, 2 * C, H, W};
  b.p.host = {conv, concat};
  b.emit(instr(Opcode::Host, {{"segment", 0}}))
      .emit(instr(Opcode::Host, {{"segment", 1}}))
      .emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  for (int o = 0; o < O; ++o)
    for (int y = 0; y < OH; ++y)
      for (int xx = 0; xx < OW; ++xx) {
        int64_t acc = bias[o];
        for (int ci = 0; ci < CG; ++ci)
          for (int ky = 0; ky < KH; ++ky)
            for (int kx = 0; kx < KW; ++kx) {
              int iy = y * SH - PT + ky * DH, ix = xx * SW - PL + kx * DW;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                continue;
              int c = (o / OG) * CG + ci;
              acc += int64_t(in[(c * H + iy) * W + ix]) *
                     mul[((o * CG + ci) * KH + ky) * KW + kx];
            }
        int64_t q = refRequant(acc, shift[o]);
        q = std::min<int64_t>(std::max<int64_t>(q, lo[o]), hi[o]);
        EXPECT_EQ(int8_t(data[512 + blocked(OH, OW, o, y, xx)]), q)
            << o << " " << y << " " << xx;
      }
  for (int c = O; c < 8; ++c) // pad lanes of the output block are zeroed
    EXPECT_EQ(data[512 + blocked(OH, OW, c, 0, 0)], 0);
  for (int c = 0; c < 2 * C; ++c)
    for (int y = 0; y < H; ++y)
      for (int xx = 0; xx < W; ++xx)
        EXPECT_EQ(int8_t(data[1024 + blocked(H, W, c, y, xx)]),
                  in[((c % C) * H + y) * W + xx]);
  for (int c = 2 * C; c < 16; ++c)
    EXPECT_EQ(data[1024 + blocked(H, W, c, 1, 1)], 0);
}

/// Runs PackTaps (params k, s, d, pad) on a random c x h x w input at data
/// offset 0 (fractional bits frac) into the output at 512 (ow columns) and
/// checks every lane of the output's blocks against the definition (pad
/// lanes zero). Returns the program.
Program checkPackTaps(int C, int H, int W, int K, int S, int D, int P, int OW,
                      const std::vector<int32_t> &frac, unsigned seed) {
  Builder b;
  b.p.dataBytes = 2048;
  uint32_t x = b.tensor("x", C, H, W, 0, frac);
  std::vector<int32_t> pfrac;
  for (int c = 0; c < K * C; ++c)
    pfrac.push_back(frac[c % C]);
  uint32_t y = b.tensor("y", K * C, H, OW, 512, pfrac);
  std::vector<uint8_t> data(b.p.dataBytes, 0xAA);
  std::mt19937 rng(seed);
  std::vector<int> in(C * H * W);
  for (int c = 0; c < C; ++c)
    for (int r = 0; r < H; ++r)
      for (int xx = 0; xx < W; ++xx) {
        int v = std::uniform_int_distribution<int>(-128, 127)(rng);
        in[(c * H + r) * W + xx] = v;
        data[blocked(H, W, c, r, xx)] = uint8_t(v);
      }
  b.p.host = {HostSegment{HostOpKind::PackTaps, {x}, {y}, {K, S, D, P}, 0, 0}};
  b.emit(instr(Opcode::Host, {{"segment", 0}})).emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  EXPECT_TRUE(sim);
  for (int c = 0; c < (K * C + 7) / 8 * 8; ++c)
    for (int r = 0; r < H; ++r)
      for (int xx = 0; xx < OW; ++xx) {
        int kx = c / C, ci = c % C, ix = xx * S + kx * D - P;
        int want = c < K * C && ix >= 0 && ix < W ? in[(ci * H + r) * W + ix]
                                                  : 0;
        EXPECT_EQ(int8_t(data[512 + blocked(H, OW, c, r, xx)]), want)
            << c << " " << r << " " << xx;
      }
  // From the input's values instead (one block in and out): every byte of
  // the output as runHostSegment wrote it, nothing else written.
  if (K * C <= 8) {
    std::vector<int8_t> q(in.begin(), in.end());
    std::vector<uint8_t> again(b.p.dataBytes, 0xAA);
    packTapsFromInt8(b.p, b.p.host[0], q.data(), again.data(), 2);
    uint64_t end = 512 + b.p.tensors[y].bytes(8);
    for (uint64_t i = 512; i < b.p.dataBytes; ++i)
      EXPECT_EQ(again[i], i < end ? data[i] : 0xAA) << "byte " << i;
  }
  return b.p;
}

// PackTaps (Program.h) against its definition: 3 channels, a 5-wide
// kernel, stride 2, dilation 1, pad 2 over a 4 x 9 input -> 15 channels of
// 5 columns (pad lanes of the second block zero); the loader's checks.
TEST(HostOps, PackTaps) {
  Program base = checkPackTaps(3, 4, 9, 5, 2, 1, 2, 5, {1, 2, 3}, 8);
  auto errorOf = [&](auto change) {
    Program p = base;
    change(p);
    return loadError(writeBinary(p));
  };
  EXPECT_NE(errorOf([](Program &p) { p.host[0].params[0] = 4; })
                .find("must have k x 3 channels and 4 rows, has 15 and 4"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) { p.host[0].params[1] = 0; })
                .find("outside k in [1, 15]"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) { p.tensors[1].frac[4] = 9; })
                .find("output channel 4 has other fractional bits than input "
                      "channel 1"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) { p.host[0].params.pop_back(); })
                .find("4 params"),
            std::string::npos);
}

// More input channels than a vector (10 on L = 8): the taps' channel runs
// cross input and output blocks; 3 taps, dilation 2, pad 1.
TEST(HostOps, PackTapsAcrossBlocks) {
  checkPackTaps(10, 2, 7, 3, 1, 2, 1, 5, std::vector<int32_t>(10, 4), 9);
}

// Few channels (the copy of a fixed W >= C bytes per tap, runHostSegment's
// fast path): 1 channel, 3 taps (W = 4: each copy's 3 bytes past the
// channel overwritten by the next taps' copies), stride 2, pad 1, both
// edges out of range; 2 channels, 2 taps filling the vector but the last
// W bytes, dilation 3, pad 2. The input's pad lanes are not zero (0xAA).
TEST(HostOps, PackTapsFewChannels) {
  checkPackTaps(1, 3, 9, 3, 2, 1, 1, 5, {2}, 10);
  checkPackTaps(2, 2, 7, 2, 1, 3, 2, 6, {1, 3}, 11);
  // packTapsFromInt8's runs: 8 bytes whole (2 x 4 taps), 6 and 2 bytes
  // masked from the next pixels' bytes, no padding, taps past the right
  // edge.
  checkPackTaps(2, 3, 9, 4, 1, 1, 1, 8, {1, 3}, 12);
  checkPackTaps(3, 2, 8, 2, 2, 1, 0, 4, {0, 1, 2}, 13);
  checkPackTaps(1, 2, 6, 2, 1, 1, 0, 7, {5}, 14);
}

/// Pixel (r, x) of each of C channels of a 16 x 16 map at data offset 0
/// holds code r * W + x - 128: every int8 code once per channel.
void fillAllCodes(std::vector<uint8_t> &data, int C, int H, int W) {
  for (int c = 0; c < C; ++c)
    for (int r = 0; r < H; ++r)
      for (int xx = 0; xx < W; ++xx)
        data[blocked(H, W, c, r, xx)] = uint8_t(r * W + xx - 128);
}

// Table (Program.h): every code of 3 channels (16 x 16 pixels each)
// through per-channel tables (channel c's entry for code q is a different
// byte for each c and q), in place and into another tensor; the loader's
// checks of the const size, the shapes and the scale entries.
TEST(HostOps, Table) {
  const int C = 3, H = 16, W = 16;
  Builder b;
  b.p.dataBytes = 8192;
  uint32_t x = b.tensor("x", C, H, W, 0, {1, 2, 3});
  uint32_t y = b.tensor("y", C, H, W, 4096, {7, 7, 7});
  std::vector<uint8_t> data(b.p.dataBytes, 0xAA);
  fillAllCodes(data, C, H, W);
  auto entry = [](int c, int q) { return int8_t((q * 37 + c * 11) & 0xFF); };
  b.p.constData.resize(C * 256);
  for (int c = 0; c < C; ++c)
    for (int q = -128; q < 128; ++q)
      b.p.constData[c * 256 + q + 128] = uint8_t(entry(c, q));
  b.p.host = {HostSegment{HostOpKind::Table, {x}, {y}, {}, 0, C * 256}};
  b.emit(instr(Opcode::Host, {{"segment", 0}})).emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  for (int c = 0; c < 8; ++c) // one channel block of the test target's L = 8
    for (int r = 0; r < H; ++r)
      for (int xx = 0; xx < W; ++xx)
        EXPECT_EQ(int8_t(data[4096 + blocked(H, W, c, r, xx)]),
                  c < C ? entry(c, r * W + xx - 128) : 0)
            << c << " " << r << " " << xx;
  auto errorOf = [&](auto change) {
    Program p = b.p;
    change(p);
    return loadError(writeBinary(p));
  };
  EXPECT_NE(errorOf([](Program &p) { p.host[0].constBytes = 512; })
                .find("(table): const size 512 bytes; expected 768 (256 per "
                      "fractional bits entry of the input)"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) { p.host[0].params = {1}; })
                .find("a table takes one input, one output, no params"),
            std::string::npos);
  EXPECT_NE(errorOf([&](Program &p) { p.host[0].inputs = {x, x}; })
                .find("a table takes one input"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) {
              p.tensors[1].W = 8;
              p.tensors[1].shape = {1, 3, 16, 8};
            }).find("must have the shape and storage of input 'x'"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) {
              p.tensors[1].fracBlock = 3;
              p.tensors[1].frac = {7};
            }).find("as many fractional bits entries with the same block"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) { p.host[0].kind = HostOpKind(30); })
                .find("kind"),
            std::string::npos);
}

/// The loader's error for `base` changed by `change` (empty: loaded).
template <class Change>
std::string errorAfter(const Program &base, Change change) {
  Program p = base;
  change(p);
  return loadError(writeBinary(p));
}

// Pool (Program.h): max 3x3 / 2 with padding 1 and dilation 1, and the
// average of 2x3 / (1, 2) windows counting the valid elements, of every
// code of 3 channels (16 x 16 pixels), against the windows written out;
// the loader's checks of the params.
TEST(HostOps, Pool) {
  const int C = 3, H = 16, W = 16;
  for (int mode : {0, 2}) {
    SCOPED_TRACE(mode);
    int kh = mode ? 2 : 3, kw = 3, sh = mode ? 1 : 2, sw = 2, pad = 1;
    int OH = (H + 2 * pad - kh) / sh + 1, OW = (W + 2 * pad - kw) / sw + 1;
    Builder b;
    b.p.dataBytes = 8192;
    uint32_t x = b.tensor("x", C, H, W, 0, {1, 2, 3});
    uint32_t y = b.tensor("y", C, OH, OW, 4096, {1, 2, 3});
    std::vector<uint8_t> data(b.p.dataBytes, 0xAA);
    fillAllCodes(data, C, H, W);
    b.p.host = {HostSegment{HostOpKind::Pool, {x}, {y},
                            {mode, kh, kw, sh, sw, pad, pad, pad, pad, 1, 1},
                            0, 0}};
    b.emit(instr(Opcode::Host, {{"segment", 0}})).emit(instr(Opcode::End, {}));
    std::unique_ptr<Simulator> sim = runProgram(b.p, data);
    ASSERT_TRUE(sim);
    for (int c = 0; c < 8; ++c) // one channel block of the test target's L = 8
      for (int r = 0; r < OH; ++r)
        for (int q = 0; q < OW; ++q) {
          int64_t want = 0;
          if (c < C) {
            int64_t mx = -128, sum = 0, count = 0;
            for (int i = 0; i < kh; ++i)
              for (int j = 0; j < kw; ++j) {
                int iy = r * sh - pad + i, ix = q * sw - pad + j;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                  continue;
                int64_t v = int64_t(iy * W + ix) - 128; // fillAllCodes
                mx = std::max(mx, v);
                sum += v;
                ++count;
              }
            want = mode ? num::avgDivide(sum, std::max<int64_t>(count, 1)) : mx;
          }
          EXPECT_EQ(int8_t(data[4096 + blocked(OH, OW, c, r, q)]), want)
              << c << " " << r << " " << q;
        }
    auto errorOf = [&](auto change) { return errorAfter(b.p, change); };
    EXPECT_NE(errorOf([](Program &p) { p.host[0].params.pop_back(); })
                  .find("(pool): 10 params; expected 11"),
              std::string::npos);
    EXPECT_NE(errorOf([](Program &p) { p.host[0].params[0] = 3; })
                  .find("mode 3 is outside [0, 2]"),
              std::string::npos);
    EXPECT_NE(errorOf([](Program &p) { p.host[0].params[1] = 0; })
                  .find("k_h 0 is outside [1, 65535]"),
              std::string::npos);
    EXPECT_NE(errorOf([](Program &p) { p.host[0].params[5] = -1; })
                  .find("pad_t -1 is outside [0, 65535]"),
              std::string::npos);
    EXPECT_NE(errorOf([](Program &p) {
                p.host[0].params[0] = 1;
                p.host[0].params[9] = 2;
              }).find("an average pool takes dilation 1"),
              std::string::npos);
    EXPECT_NE(errorOf([&](Program &p) { p.host[0].inputs = {x, x}; })
                  .find("a pool takes one input, one output, no const"),
              std::string::npos);
  }
}

// Add (Program.h): a + b of every code of 3 channels (16 x 16 pixels) with
// alignments 2 (b shifted), -3 (a shifted) and 0, shifts 3, -1 and 0 and
// clamps, and a unary requantize, against the contract written out; the
// loader's checks of the params and storage.
TEST(HostOps, Add) {
  const int C = 3, H = 16, W = 16;
  const int64_t align[C] = {2, -3, 0}, shift[C] = {3, -1, 0},
                lo[C] = {-100, -128, 0}, hi[C] = {100, 127, 50};
  for (bool unary : {false, true}) {
    SCOPED_TRACE(unary);
    Builder b;
    b.p.dataBytes = 8192;
    uint32_t x = b.tensor("a", C, H, W, 0, {1, 2, 3});
    uint32_t g = b.tensor("b", C, H, W, 2048, {1, 2, 3});
    uint32_t y = b.tensor("y", C, H, W, 4096, {1, 2, 3});
    std::vector<uint8_t> data(b.p.dataBytes, 0xAA);
    fillAllCodes(data, C, H, W);
    for (int c = 0; c < 8; ++c)
      for (int r = 0; r < H; ++r)
        for (int q = 0; q < W; ++q)
          data[2048 + blocked(H, W, c, r, q)] = uint8_t(int8_t((r * 7 + q * 13) % 256 - 128));
    std::vector<int64_t> params;
    for (int c = 0; c < C; ++c)
      params.insert(params.end(), {unary ? 0 : align[c], shift[c], lo[c], hi[c]});
    b.p.host = {HostSegment{HostOpKind::Add,
                            unary ? std::vector<uint32_t>{x}
                                  : std::vector<uint32_t>{x, g},
                            {y}, params, 0, 0}};
    b.emit(instr(Opcode::Host, {{"segment", 0}})).emit(instr(Opcode::End, {}));
    std::vector<uint8_t> in = data;
    std::unique_ptr<Simulator> sim = runProgram(b.p, data);
    ASSERT_TRUE(sim);
    for (int c = 0; c < 8; ++c)
      for (int r = 0; r < H; ++r)
        for (int q = 0; q < W; ++q) {
          int64_t want = 0;
          if (c < C) {
            int64_t va = int8_t(in[blocked(H, W, c, r, q)]),
                    vb = unary ? 0 : int8_t(in[2048 + blocked(H, W, c, r, q)]);
            int64_t d = unary ? 0 : align[c];
            int64_t t = (va << (d < 0 ? -d : 0)) + (vb << (d > 0 ? d : 0));
            want = std::clamp<int64_t>(refRequant(t, int(shift[c])), lo[c], hi[c]);
          }
          EXPECT_EQ(int8_t(data[4096 + blocked(H, W, c, r, q)]), want)
              << c << " " << r << " " << q;
        }
    auto errorOf = [&](auto change) { return errorAfter(b.p, change); };
    EXPECT_NE(errorOf([](Program &p) { p.host[0].params.pop_back(); })
                  .find("(add): 11 params; expected four per channel (12)"),
              std::string::npos);
    EXPECT_NE(errorOf([](Program &p) { p.host[0].params[5] = 64; })
                  .find("shift 64 of channel 1 is outside [-32, 63]"),
              std::string::npos);
    EXPECT_NE(errorOf([](Program &p) { p.host[0].params[10] = 128; })
                  .find("clamp bounds of channel 2 are not int8"),
              std::string::npos);
    EXPECT_NE(errorOf([&](Program &p) { p.host[0].params[0] = unary ? 1 : 23; })
                  .find("alignment"),
              std::string::npos);
    EXPECT_NE(errorOf([](Program &p) {
                p.tensors[2].W = 8;
                p.tensors[2].shape = {1, 3, 16, 8};
              }).find("must have the same storage"),
              std::string::npos);
  }
}

// ChannelMul (Program.h): every code of 3 channels (16 x 16 pixels each)
// times a gate per channel (-128, 127, -3) with shifts 7, -2 (a left shift
// that saturates) and 0, against the contract's requant written out
// (refRequant); the loader's checks of the params, shapes and types.
TEST(HostOps, ChannelMul) {
  const int C = 3, H = 16, W = 16;
  Builder b;
  b.p.dataBytes = 8192;
  uint32_t x = b.tensor("x", C, H, W, 0, {1, 2, 3});
  uint32_t g = b.tensor("g", C, 1, 1, 2048, {7, 7, 7});
  uint32_t y = b.tensor("y", C, H, W, 4096, {1, 11, 10});
  std::vector<uint8_t> data(b.p.dataBytes, 0xAA);
  fillAllCodes(data, C, H, W);
  const int8_t gate[C] = {-128, 127, -3};
  const int64_t shift[C] = {7, -2, 0};
  for (int c = 0; c < C; ++c)
    data[2048 + blocked(1, 1, c, 0, 0)] = uint8_t(gate[c]);
  b.p.host = {HostSegment{HostOpKind::ChannelMul, {x, g}, {y},
                          {shift[0], shift[1], shift[2]}, 0, 0}};
  b.emit(instr(Opcode::Host, {{"segment", 0}})).emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  int saturated = 0;
  for (int c = 0; c < 8; ++c) // one channel block of the test target's L = 8
    for (int r = 0; r < H; ++r)
      for (int xx = 0; xx < W; ++xx) {
        int64_t want = 0;
        if (c < C) {
          want = refRequant(int64_t(r * W + xx - 128) * gate[c], int(shift[c]));
          want = std::clamp<int64_t>(want, -128, 127);
          saturated += want == 127 || want == -128;
        }
        EXPECT_EQ(int8_t(data[4096 + blocked(H, W, c, r, xx)]), want)
            << c << " " << r << " " << xx;
      }
  EXPECT_GT(saturated, 200);
  auto errorOf = [&](auto change) {
    Program p = b.p;
    change(p);
    return loadError(writeBinary(p));
  };
  EXPECT_NE(errorOf([](Program &p) { p.host[0].params.pop_back(); })
                .find("(channel mul): 2 params; expected one shift per "
                      "channel (3)"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) { p.host[0].params[1] = 64; })
                .find("shift 64 of channel 1 is outside [-32, 63]"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) { p.host[0].params[2] = -33; })
                .find("shift -33 of channel 2 is outside [-32, 63]"),
            std::string::npos);
  EXPECT_NE(errorOf([&](Program &p) { p.host[0].inputs = {x}; })
                .find("a channel mul takes two inputs (x, gate), one output, "
                      "no const"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) {
              p.constData.resize(3);
              p.host[0].constBytes = 3;
            }).find("one output, no const"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) {
              p.tensors[1].W = 2;
              p.tensors[1].shape = {1, 3, 1, 2};
            }).find("gate 'g' [1, 3, 1, 2] must have one value per channel "
                    "of 'x' (3 x 1 x 1)"),
            std::string::npos);
  EXPECT_NE(errorOf([](Program &p) {
              p.tensors[2].W = 8;
              p.tensors[2].shape = {1, 3, 16, 8};
            }).find("must have the shape and storage of input 'x'"),
            std::string::npos);
  EXPECT_NE(errorOf([&](Program &p) {
              p.host[0].inputs[1] = floatTensor(b, "gf", {1, 3, 1, 1}, 6144);
              p.tensors = b.p.tensors;
            }).find("input 'gf' must be int8"),
            std::string::npos);
}

} // namespace

// The vectorized requantize kernels against the int64 rule (requantClamp,
// docs/numerics.md 3) lane by lane: every shift in the field's range and
// beyond its clamp, lanes of one pixel with different shifts (left and
// right in one vector, as padding lanes with shift 0 sit beside real
// ones), accumulators at the int32 ends and around the rounding points,
// clamps including an empty one (lo > hi), and dst aliasing an operand.
namespace {
/// A random requantization rule of one lane: any shift or one near the
/// usual range, a clamp mostly ordered (lo <= hi), sometimes inverted.
void randomRule(std::mt19937 &rng, int8_t &shift, int8_t &lo, int8_t &hi) {
  shift = int8_t(std::uniform_int_distribution<int>(-128, 127)(rng));
  if (rng() % 2)
    shift = int8_t(std::uniform_int_distribution<int>(-12, 34)(rng));
  int a = std::uniform_int_distribution<int>(-128, 127)(rng),
      c = std::uniform_int_distribution<int>(-128, 127)(rng);
  lo = int8_t(rng() % 8 ? std::min(a, c) : std::max(a, c));
  hi = int8_t(rng() % 8 ? std::max(a, c) : std::min(a, c));
}
} // namespace

TEST(RequantKernels, LanesMatchTheRule) {
  std::mt19937 rng(7);
  const int64_t lanes = 67, pixels = 40; // not a multiple of a vector
  std::vector<int32_t> acc(pixels * lanes);
  std::vector<int8_t> shift(lanes), lo(lanes), hi(lanes), out(pixels * lanes);
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX),
      small(-1200, 1200);
  for (int round = 0; round < 40; ++round) {
    for (int64_t l = 0; l < lanes; ++l) {
      randomRule(rng, shift[l], lo[l], hi[l]);
      // Every fourth round shifts every lane right (requantLanes' path
      // without the left shift and the blend).
      if (round % 4 == 1)
        shift[l] = int8_t(std::max<int>(shift[l], 1));
    }
    for (int32_t &v : acc) {
      int k = int(rng() % 6);
      v = k == 0 ? any(rng) : k == 1 ? (rng() % 2 ? INT32_MAX : INT32_MIN)
          : k == 2 ? int32_t((rng() % 64) * 1024 + (rng() % 3) - 1 + 512)
                   : small(rng);
    }
    kernels::requantLanes(acc.data(), lanes, pixels, lanes, shift.data(),
                          lo.data(), hi.data(), out.data());
    for (int64_t p = 0; p < pixels; ++p)
      for (int64_t l = 0; l < lanes; ++l)
        ASSERT_EQ(out[p * lanes + l],
                  kernels::requantClamp(acc[p * lanes + l], shift[l], lo[l],
                                        hi[l]))
            << "round " << round << " pixel " << p << " lane " << l
            << " acc " << acc[p * lanes + l] << " shift " << int(shift[l]);
    // A small array's lanes (8, 16: pixels back to back, the rule tiled;
    // 39 pixels leave a tail) and 8 lanes at a wider stride.
    for (auto [n, stride] : {std::pair<int64_t, int64_t>{8, 8}, {16, 16}, {8, 11}}) {
      std::vector<int8_t> o(size_t(39 * n));
      kernels::requantLanes(acc.data(), stride, 39, n, shift.data(), lo.data(),
                            hi.data(), o.data());
      for (int64_t p = 0; p < 39; ++p)
        for (int64_t l = 0; l < n; ++l)
          ASSERT_EQ(o[p * n + l], kernels::requantClamp(acc[p * stride + l],
                                                        shift[l], lo[l], hi[l]))
              << "round " << round << " lanes " << n << " stride " << stride
              << " pixel " << p << " lane " << l;
    }

    // ADD: both operands, one operand, one lane, in place.
    std::vector<int8_t> a(pixels * lanes), b(pixels * lanes), alA(lanes),
        alB(lanes);
    for (auto &v : a)
      v = int8_t(rng());
    for (auto &v : b)
      v = int8_t(rng());
    for (int64_t l = 0; l < lanes; ++l) {
      alA[l] = int8_t(std::uniform_int_distribution<int>(-3, 25)(rng));
      alB[l] = int8_t(std::uniform_int_distribution<int>(-3, 25)(rng));
    }
    auto term = [](int8_t v, int8_t al) {
      return int64_t(v) << std::clamp<int>(al, 0, kernels::kMaxAddAlign);
    };
    for (int64_t n : {lanes, int64_t(1)}) {
      for (bool two : {true, false}) {
        std::vector<int8_t> dst = a; // in place: dst aliases a
        kernels::addRequant(dst.data(), two ? b.data() : nullptr,
                            pixels * lanes / n, n, alA.data(), alB.data(),
                            shift.data(), lo.data(), hi.data(), dst.data());
        for (int64_t i = 0; i < pixels * lanes; ++i) {
          int64_t l = i % n;
          int64_t t = term(a[i], alA[l]) + (two ? term(b[i], alB[l]) : 0);
          ASSERT_EQ(dst[i], kernels::requantClamp(t, shift[l], lo[l], hi[l]))
              << "round " << round << " lanes " << n << " element " << i;
        }
      }
    }
  }
}

// A channel-major block requantized into pixel-major vectors: whole blocks
// of 8 x 8 (the vector path) and tails in both directions, a row stride
// past the columns and a destination stride past the rows (left alone).
TEST(RequantKernels, TransposedMatchesTheRule) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX),
      small(-1200, 1200);
  for (auto [rows, cols, ldc, stride] :
       {std::array<int64_t, 4>{64, 64, 64, 64}, {67, 43, 48, 70},
        {5, 13, 16, 8}, {8, 8, 8, 8}, {16, 7, 8, 16}}) {
    for (int round = 0; round < 20; ++round) {
      std::vector<int32_t> acc(size_t(rows * ldc));
      std::vector<int8_t> shift(rows), lo(rows), hi(rows);
      for (int64_t r = 0; r < rows; ++r)
        randomRule(rng, shift[r], lo[r], hi[r]);
      for (int32_t &v : acc) {
        int k = int(rng() % 5);
        v = k == 0 ? any(rng) : k == 1 ? (rng() % 2 ? INT32_MAX : INT32_MIN)
                                       : small(rng);
      }
      std::vector<int8_t> out(size_t(cols * stride), int8_t(0x5a));
      kernels::requantTransposed(acc.data(), ldc, rows, cols, shift.data(),
                                 lo.data(), hi.data(), out.data(), stride);
      for (int64_t j = 0; j < cols; ++j)
        for (int64_t r = 0; r < stride; ++r)
          ASSERT_EQ(out[j * stride + r],
                    r < rows ? kernels::requantClamp(acc[r * ldc + j],
                                                     shift[r], lo[r], hi[r])
                             : int8_t(0x5a))
              << rows << " x " << cols << " round " << round << " pixel " << j
              << " row " << r;
    }
  }
}

// The vectorized float -> int8 quantization against num::quantize: values
// at and one float step around every rounding point, the saturation ends,
// subnormals, infinities and NaN, for fractional bits across the range.
TEST(RequantKernels, QuantizeRowMatchesTheRule) {
  std::mt19937 rng(11);
  std::vector<float> x;
  for (int k = -140; k <= 140; ++k) {
    float h = std::ldexp(1.0f, k);
    for (float base : {0.5f * h, 1.5f * h, 127.5f * h, -128.5f * h, h})
      for (float v : {base, std::nextafter(base, 0.0f),
                      std::nextafter(base, 2 * base + 1)})
        x.push_back(v), x.push_back(-v);
  }
  for (float v : {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                  -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN(),
                  std::numeric_limits<float>::denorm_min(),
                  std::numeric_limits<float>::max(),
                  -std::numeric_limits<float>::max()})
    x.push_back(v);
  std::normal_distribution<float> nd(0.0f, 40.0f);
  for (int i = 0; i < 2000; ++i)
    x.push_back(nd(rng));
  std::vector<int8_t> got(x.size());
  for (int frac : {-140, -20, -7, -1, 0, 1, 3, 7, 12, 30, 140}) {
    kernels::quantizeRow(x.data(), int64_t(x.size()), frac, got.data());
    for (size_t i = 0; i < x.size(); ++i)
      ASSERT_EQ(got[i], num::quantize(x[i], frac))
          << "x = " << x[i] << " frac " << frac;
  }
  // docs/numerics.md section 1: infinities saturate, NaN is 0.
  for (int frac : {-140, 0, 7, 140}) {
    EXPECT_EQ(num::quantize(std::numeric_limits<double>::quiet_NaN(), frac), 0);
    EXPECT_EQ(num::quantize(std::numeric_limits<double>::infinity(), frac), 127);
    EXPECT_EQ(num::quantize(-std::numeric_limits<double>::infinity(), frac),
              -128);
  }
}

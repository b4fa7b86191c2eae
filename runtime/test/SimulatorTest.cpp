//===- SimulatorTest.cpp - GEMM, DMA and token order against references ---===//
//
// The expected values are computed here from docs/isa.md and
// docs/numerics.md, not with the simulator's code.
//
//===----------------------------------------------------------------------===//

#include "ProgramBuilder.h"

#include "dlprt/Schedule.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <random>

using namespace dlprt;
using namespace dlprt::isa;
using namespace dlprt::test;

namespace {

/// Value of a pow2 code (docs/numerics.md 2.1 with the window folded into
/// the row alignment): 0, or (-1)^s * 2^(k-1).
int64_t pow2CodeValue(int code) {
  int k = code & 7;
  if (k == 0)
    return 0;
  return (code & 8 ? -1 : 1) * (int64_t(1) << (k - 1));
}

/// The geometry of checkConvPadStrideDilationPow2Int8SplitAccumulate (3 x 3
/// kernel; H * W <= 40, OH * OW <= 60) and the largest pow2 row alignment.
struct ConvGeo {
  int H, W, OH, OW, SH, SW, DH, DW, PT, PL, maxAlignP;
  /// Lanes of each input block with weights (the rest: padding channels).
  int lanes = 8;
};
/// Padding, stride and dilation.
constexpr ConvGeo kStridedDilated = {5, 6, 3, 4, 2, 1, 1, 2, 1, 2, 3};

/// A pow2 and an int8 GEMM accumulating into one tile, with padding,
/// stride and dilation, against the definition. Returns the planned GEMMs
/// that take the Winograd path.
size_t checkConvPadStrideDilationPow2Int8SplitAccumulate(
    const ConvGeo &geo = kStridedDilated) {
  std::mt19937 rng(1234);
  auto uni = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const int C = 16, H = geo.H, W = geo.W, KH = 3, KW = 3, OH = geo.OH,
            OW = geo.OW;
  const int SH = geo.SH, SW = geo.SW, DH = geo.DH, DW = geo.DW, PT = geo.PT,
            PL = geo.PL;
  Builder b;
  b.p.dataBytes = 2048;
  std::vector<uint8_t> data(b.p.dataBytes);
  std::vector<int> in(C * H * W);
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        in[(c * H + y) * W + x] = uni(-128, 127);
        data[blocked(H, W, c, y, x)] = uint8_t(in[(c * H + y) * W + x]);
      }
  const int K = KH * KW * 8; // rows per GEMM (one channel block each)
  std::vector<std::vector<uint8_t>> codes(K, std::vector<uint8_t>(8));
  std::vector<std::vector<int8_t>> w8(K, std::vector<int8_t>(8));
  std::vector<uint8_t> alignP(K), alignI(K);
  for (int r = 0; r < K; ++r) {
    for (int q = 0; q < 8; ++q) {
      int c = uni(0, 14);
      codes[r][q] = uint8_t(c >= 8 ? c + 1 : c);
      w8[r][q] = int8_t(uni(-127, 127));
    }
    alignP[r] = uint8_t(uni(0, geo.maxAlignP));
    alignI[r] = uint8_t(uni(0, 2));
    if (r % 4 == 1) // all-zero pow2 rows: the simulator's compacted path
      codes[r].assign(8, 0);
    if (r % 8 >= geo.lanes) { // padding channels
      codes[r].assign(8, 0);
      w8[r].assign(8, 0);
    }
  }
  std::vector<int32_t> bias(8);
  for (int32_t &v : bias)
    v = uni(-100000, 100000);
  std::vector<int8_t> shift = {16, 12, 20, 0, -1, 63, 18, 14};
  std::vector<int8_t> amin = {-128, 0, -20, -128, -128, -5, 10, -128};
  std::vector<int8_t> amax = {127, 127, 30, 127, 127, 5, -10, 127};
  uint64_t pw = b.pow2Rows(codes, alignP), iw = b.int8Rows(w8, alignI);
  uint64_t pa = b.params(bias, shift, amin, amax, std::vector<int8_t>(8));
  // Block 0 at FBUF 0, block 1 at FBUF 40 (in_cstride 40 for both GEMMs).
  b.emit(load(Buf::FBuf, Region::Data, 0, 0, H * W))
      .emit(load(Buf::FBuf, Region::Data, 40, H * W * 8, H * W))
      .emit(load(Buf::WBuf, Region::Const, 0, int64_t(pw), K))
      .emit(load(Buf::WBuf, Region::Const, 100, int64_t(iw), K, 1, 0, 1, 0, 1))
      .emit(load(Buf::PBuf, Region::Const, 3, int64_t(pa), 1))
      .emit(instr(Opcode::Sync, {}));
  Fields fields = {
      {"in_h", H},      {"in_w", W},      {"in_cb", 1},    {"in_cstride", 40},
      {"out_h", OH},    {"out_w", OW},    {"k_h", KH},     {"k_w", KW},
      {"stride_h", SH}, {"stride_w", SW}, {"dil_h", DH},   {"dil_w", DW},
      {"pad_t", PT},    {"pad_l", PL},    {"acc_addr", 5}, {"param_addr", 3}};
  Instr g1 = instr(Opcode::Gemm, fields), g2 = instr(Opcode::Gemm, fields);
  for (auto [f, v] : {std::pair{Field::Gemm_wfmt, 1},
                      {Field::Gemm_in_addr, 40},
                      {Field::Gemm_w_addr, 100},
                      {Field::Gemm_accumulate, 1},
                      {Field::Gemm_epilogue, 1},
                      {Field::Gemm_out_addr, 200}})
    EXPECT_TRUE(g2.set(f, v));
  b.emit(g1).emit(g2).emit(instr(Opcode::Sync, {}));
  b.emit(store(200, 1000, OH * OW)).emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  EXPECT_TRUE(sim);
  if (!sim)
    return 0;
  size_t winograd = 0;
  if (auto order = tokenSchedule(b.p.code))
    winograd = planGemms(b.p, *order)->winogradPlans();
  else
    ADD_FAILURE() << llvm::toString(order.takeError());

  for (int y = 0; y < OH; ++y)
    for (int x = 0; x < OW; ++x)
      for (int q = 0; q < 8; ++q) {
        int64_t acc = bias[q];
        for (int ky = 0; ky < KH; ++ky)
          for (int kx = 0; kx < KW; ++kx)
            for (int l = 0; l < 8; ++l) {
              int iy = y * SH + ky * DH - PT, ix = x * SW + kx * DW - PL;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                continue;
              int r = (ky * KW + kx) * 8 + l;
              int64_t v0 = in[(l * H + iy) * W + ix];
              int64_t v1 = in[((8 + l) * H + iy) * W + ix];
              acc +=
                  v0 * (int64_t(1) << alignP[r]) * pow2CodeValue(codes[r][q]);
              acc += v1 * (int64_t(1) << alignI[r]) * w8[r][q];
            }
        EXPECT_LT(std::abs(acc), int64_t(1) << 31);
        size_t A = size_t(5 + y * OW + x);
        EXPECT_EQ(sim->state().abuf[A * 8 + q], acc)
            << y << "," << x << "," << q;
        int64_t r = refRequant(acc, shift[q]);
        r = std::min<int64_t>(std::max<int64_t>(r, amin[q]), amax[q]);
        EXPECT_EQ(int8_t(data[1000 + (y * OW + x) * 8 + q]), r)
            << y << "," << x << "," << q;
      }
  return winograd;
}

/// Every GEMM path this CPU has (SimGemm.cpp planGemms): the default, AMX
/// with byte planes and with exponent groups, AMX off (the group path on
/// AVX-512 VNNI), the group path off (gemm8), int8 off (the int16 path),
/// and no prepared plans.
TEST(Simulator, ConvPadStrideDilationPow2Int8SplitAccumulate) {
  const std::pair<const char *, const char *> settings[] = {
      {nullptr, nullptr},
      {"DLPRT_AMX_LAYOUT", "planes"},
      {"DLPRT_AMX_LAYOUT", "groups"},
      {"DLPRT_GEMM_AMX", "0"},
      {"DLPRT_GEMM_GROUPS", "0"},
      {"DLPRT_GEMM_INT8", "0"},
      {"DLPRT_PLAN_BUDGET", "0"}};
  for (auto [name, value] : settings) {
    SCOPED_TRACE(name ? std::string(name) + "=" + value : "default");
    if (name)
      setenv(name, value, 1);
    checkConvPadStrideDilationPow2Int8SplitAccumulate();
    if (name)
      unsetenv(name);
  }
}

/// The Winograd path (SimWinograd.h; forced on, as on CPUs whose GEMM
/// kernel is the int16 one) on 3 x 3 convolutions of stride 1: output
/// sizes odd and even in both directions (partial 2 x 2 tiles), padding on
/// every side, on none, and more than the kernel reaches; pow2 rows
/// aligned up to 2^6 (a column shift of the transformed weights) and int8
/// weights up to 127, accumulated over two GEMMs; input blocks whose last
/// channels are padding (5 of 8 taken); against the definition, and with
/// the path off.
TEST(Simulator, WinogradConvolutions) {
  const ConvGeo geos[] = {
      {5, 7, 5, 5, 1, 1, 1, 1, 1, 0, 3}, // odd outputs, pad top only
      {6, 6, 6, 6, 1, 1, 1, 1, 1, 1, 3}, // same padding, even
      {5, 8, 3, 6, 1, 1, 1, 1, 0, 0, 6}, // no padding, column shifts
      {4, 5, 6, 7, 1, 1, 1, 1, 2, 2, 2}, // padding beyond the kernel
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, // one pixel
      {5, 7, 5, 7, 1, 1, 1, 1, 1, 1, 3, 5}, // 5 of 8 channels (odd)
  };
  for (const char *on : {"1", "0"})
    for (const ConvGeo &geo : geos) {
      SCOPED_TRACE(std::string("DLPRT_GEMM_WINOGRAD=") + on + " " +
                   std::to_string(geo.H) + "x" + std::to_string(geo.W) +
                   " -> " + std::to_string(geo.OH) + "x" +
                   std::to_string(geo.OW));
      setenv("DLPRT_GEMM_WINOGRAD", on, 1);
      size_t n = checkConvPadStrideDilationPow2Int8SplitAccumulate(geo);
      EXPECT_EQ(n, on[0] == '1' ? 2u : 0u);
      unsetenv("DLPRT_GEMM_WINOGRAD");
    }
}

/// A layer of `rows` random int8 weight rows (8 outputs, alignment 0),
/// random biases and the given shifts (no clamp), added to b's CONST.
struct Int8Layer {
  std::vector<std::vector<int8_t>> w;
  std::vector<int32_t> bias;
  std::vector<int8_t> shift;
  uint64_t weights, params;
  Int8Layer(Builder &b, std::mt19937 &rng, int rows, std::vector<int8_t> s)
      : w(size_t(rows), std::vector<int8_t>(8)), bias(8), shift(std::move(s)) {
    auto uni = [&](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    for (auto &row : w)
      for (int8_t &v : row)
        v = int8_t(uni(-127, 127));
    for (int32_t &v : bias)
      v = uni(-5000, 5000);
    weights = b.int8Rows(w, std::vector<uint8_t>(size_t(rows), 0));
    params = b.params(bias, shift, std::vector<int8_t>(8, -128),
                      std::vector<int8_t>(8, 127), std::vector<int8_t>(8));
  }
};

/// ABUF writes of an epilogue GEMM are skipped only where dead (SimGemm.cpp
/// deadAccumulators): six 1 x 1 int8 GEMMs over 24 pixels, against the
/// definition, with the elision on and off. A: read by B's accumulate
/// (live). C: overwritten by D (dead). D: partly overwritten by E, its
/// first rows then read by F's accumulate (live). E, F: held at the end.
TEST(Simulator, DeadAccumulators) {
  std::mt19937 rng(99);
  auto uni = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const int M = 24;
  Builder b;
  b.p.dataBytes = 4096;
  std::vector<uint8_t> data(b.p.dataBytes);
  std::vector<int> x(M * 8);
  for (int i = 0; i < M * 8; ++i) {
    x[i] = uni(-128, 127);
    data[i] = uint8_t(x[i]);
  }
  Int8Layer l(b, rng, 8, {9, 8, 10, 0, -1, 12, 7, 9});
  const auto &w = l.w;
  const auto &bias = l.bias;
  const auto &shift = l.shift;
  uint64_t iw = l.weights, pa = l.params;
  b.emit(load(Buf::FBuf, Region::Data, 0, 0, M))
      .emit(load(Buf::WBuf, Region::Const, 0, int64_t(iw), 8, 1, 0, 1, 0, 1))
      .emit(load(Buf::PBuf, Region::Const, 0, int64_t(pa), 1))
      .emit(instr(Opcode::Sync, {}));
  struct G {
    int acc, pixels, accumulate, out;
  };
  const G gemms[] = {{0, M, 0, 100},  {0, M, 1, 130}, {0, M, 0, 160},
                     {0, M, 0, 190},  {4, M, 0, 220}, {0, 4, 1, 250}};
  for (const G &g : gemms)
    b.emit(instr(Opcode::Gemm, {{"wfmt", 1},
                                {"in_h", 1},
                                {"in_w", M},
                                {"in_cb", 1},
                                {"in_cstride", M},
                                {"out_h", 1},
                                {"out_w", g.pixels},
                                {"k_h", 1},
                                {"k_w", 1},
                                {"stride_h", 1},
                                {"stride_w", 1},
                                {"dil_h", 1},
                                {"dil_w", 1},
                                {"acc_addr", g.acc},
                                {"accumulate", g.accumulate},
                                {"epilogue", 1},
                                {"out_addr", g.out}}));
  b.emit(instr(Opcode::Sync, {}));
  for (const G &g : gemms)
    b.emit(store(g.out, 1000 + g.out * 8, g.pixels));
  b.emit(instr(Opcode::End, {}));

  // The sums each GEMM leaves in ABUF, modelled row by row.
  std::vector<int64_t> abuf(64 * 8, 0);
  std::vector<std::vector<int8_t>> expect;
  for (const G &g : gemms) {
    std::vector<int8_t> out;
    for (int m = 0; m < g.pixels; ++m)
      for (int q = 0; q < 8; ++q) {
        int64_t sum = 0;
        for (int k = 0; k < 8; ++k)
          sum += int64_t(x[m * 8 + k]) * w[k][q];
        int64_t &a = abuf[(g.acc + m) * 8 + q];
        a = (g.accumulate ? a : bias[q]) + sum;
        out.push_back(int8_t(refRequant(a, shift[q])));
      }
    expect.push_back(out);
  }
  // The int8 paths that take the elision (the default one on AMX and
  // VNNI CPUs, the exponent-group path, writes ABUF itself) and int16.
  for (const char *path : {"", "DLPRT_GEMM_GROUPS", "DLPRT_GEMM_INT8"})
  for (const char *on : {"1", "0"}) {
    SCOPED_TRACE(std::string(path) + " DLPRT_ABUF_ELISION=" + on);
    if (*path)
      setenv(path, "0", 1);
    setenv("DLPRT_ABUF_ELISION", on, 1);
    std::vector<uint8_t> d = data;
    std::unique_ptr<Simulator> sim = runProgram(b.p, d);
    ASSERT_TRUE(sim);
    auto order = tokenSchedule(b.p.code);
    ASSERT_TRUE(bool(order));
    EXPECT_EQ(planGemms(b.p, *order)->deadAccumulatorPlans(),
              on[0] == '1' ? 1u : 0u);
    for (size_t i = 0; i < std::size(gemms); ++i)
      for (size_t e = 0; e < expect[i].size(); ++e)
        ASSERT_EQ(int8_t(d[1000 + gemms[i].out * 8 + e]), expect[i][e])
            << "GEMM " << i << " element " << e;
    // What ABUF holds at the end is the machine's.
    for (int r = 0; r < 28; ++r)
      for (int q = 0; q < 8; ++q)
        ASSERT_EQ(sim->state().abuf[r * 8 + q], int32_t(abuf[r * 8 + q]))
            << "row " << r << " lane " << q;
    unsetenv("DLPRT_ABUF_ELISION");
    if (*path)
      unsetenv(path);
  }
}

/// The dead-accumulator path of Winograd GEMMs (forced on): a 3 x 3
/// convolution of a 4 x 6 map whose sums a second, identical one overwrites
/// (the first requantizes its 8-channel blocks straight into its output),
/// over two runs of one simulator with new inputs, against the definition.
TEST(Simulator, DeadAccumulatorsWinograd) {
  std::mt19937 rng(5);
  auto uni = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const int H = 4, W = 6, M = H * W, K = 72;
  Builder b;
  b.p.dataBytes = 4096;
  Int8Layer l(b, rng, K, {11, 10, 12, 0, -1, 14, 9, 11});
  const auto &w = l.w;
  const auto &bias = l.bias;
  const auto &shift = l.shift;
  uint64_t iw = l.weights, pa = l.params;
  b.emit(load(Buf::FBuf, Region::Data, 0, 0, M))
      .emit(load(Buf::WBuf, Region::Const, 0, int64_t(iw), K, 1, 0, 1, 0, 1))
      .emit(load(Buf::PBuf, Region::Const, 0, int64_t(pa), 1))
      .emit(instr(Opcode::Sync, {}));
  for (int out : {100, 130})
    b.emit(instr(Opcode::Gemm, {{"wfmt", 1},     {"in_h", H},
                                {"in_w", W},     {"in_cb", 1},
                                {"in_cstride", M}, {"out_h", H},
                                {"out_w", W},    {"k_h", 3},
                                {"k_w", 3},      {"stride_h", 1},
                                {"stride_w", 1}, {"dil_h", 1},
                                {"dil_w", 1},    {"pad_t", 1},
                                {"pad_l", 1},    {"epilogue", 1},
                                {"out_addr", out}}));
  b.emit(instr(Opcode::Sync, {}))
      .emit(store(100, 1000, M))
      .emit(store(130, 2000, M))
      .emit(instr(Opcode::End, {}));
  setenv("DLPRT_GEMM_WINOGRAD", "1", 1);
  auto order = tokenSchedule(b.p.code);
  ASSERT_TRUE(bool(order));
  auto plans = planGemms(b.p, *order);
  EXPECT_EQ(plans->winogradPlans(), 2u);
  EXPECT_EQ(plans->deadAccumulatorPlans(), 1u);
  auto sim = Simulator::create(b.p);
  ASSERT_TRUE(bool(sim)) << llvm::toString(sim.takeError());
  std::vector<uint8_t> data(b.p.dataBytes);
  for (int run = 0; run < 2; ++run) {
    std::vector<int> x(M * 8);
    for (int i = 0; i < M * 8; ++i) {
      x[i] = uni(-128, 127);
      data[i] = uint8_t(x[i]);
    }
    (*sim)->run(data.data());
    for (int y = 0; y < H; ++y)
      for (int xo = 0; xo < W; ++xo)
        for (int q = 0; q < 8; ++q) {
          int64_t acc = bias[q];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              int iy = y + ky - 1, ix = xo + kx - 1;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                continue;
              for (int c = 0; c < 8; ++c)
                acc += int64_t(x[(iy * W + ix) * 8 + c]) *
                       w[(ky * 3 + kx) * 8 + c][q];
            }
          int8_t r = int8_t(refRequant(acc, shift[q]));
          size_t e = size_t((y * W + xo) * 8 + q);
          ASSERT_EQ(int8_t(data[1000 + e]), r)
              << "run " << run << " dead GEMM (" << y << "," << xo << ") " << q;
          ASSERT_EQ(int8_t(data[2000 + e]), r)
              << "run " << run << " live GEMM (" << y << "," << xo << ") " << q;
          ASSERT_EQ((*sim)->state().abuf[e], int32_t(acc));
        }
  }
  unsetenv("DLPRT_GEMM_WINOGRAD");
}

TEST(Simulator, AccumulatorWrapsWithoutUB) {
  // 2^30 + 2^30 wraps to -2^31 (two's complement); shift 31 alignment.
  Builder b;
  b.p.dataBytes = 64;
  std::vector<uint8_t> data(64, 0);
  data[0] = 64; // v = 64; 64 << 24 = 2^30 per term; two terms.
  data[1] = 64;
  std::vector<std::vector<int8_t>> w(8, std::vector<int8_t>(8, 0));
  w[0][0] = 1;
  w[1][0] = 1;
  w[0][1] = 127; // huge products wrap too
  w[1][1] = -127;
  uint64_t iw = b.int8Rows(w, std::vector<uint8_t>(8, 24));
  b.emit(load(Buf::FBuf, Region::Data, 0, 0, 1))
      .emit(load(Buf::WBuf, Region::Const, 0, int64_t(iw), 8, 1, 0, 1, 0, 1))
      .emit(instr(Opcode::Sync, {}))
      .emit(instr(Opcode::Gemm, {{"wfmt", 1},
                                 {"in_h", 1},
                                 {"in_w", 1},
                                 {"in_cb", 1},
                                 {"out_h", 1},
                                 {"out_w", 1},
                                 {"k_h", 1},
                                 {"k_w", 1},
                                 {"stride_h", 1},
                                 {"stride_w", 1},
                                 {"dil_h", 1},
                                 {"dil_w", 1},
                                 {"epilogue", 1},
                                 {"out_addr", 1}}))
      .emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  EXPECT_EQ(sim->state().abuf[0], INT32_MIN);
  EXPECT_EQ(sim->state().abuf[1], 0); // 127*2^30 - 127*2^30
  // PBUF is zero: act_min = act_max = 0 clamps everything to 0.
  EXPECT_EQ(sim->state().fbuf[8], 0);
}

TEST(Simulator, DmaBoxesAndWeightUnpacking) {
  Builder b;
  b.p.dataBytes = 4096;
  std::vector<uint8_t> data(b.p.dataBytes);
  for (size_t i = 0; i < 1500; ++i)
    data[i] = uint8_t(i * 7 + 3);
  // LOAD 2 planes x 3 runs x 2 vectors from byte 16 (s1 40, s2 200) to 10.
  b.emit(load(Buf::FBuf, Region::Data, 10, 16, 2, 3, 40, 2, 200));
  std::vector<std::vector<uint8_t>> codes = {{1, 2, 3, 4, 5, 6, 7, 9},
                                             {15, 14, 13, 12, 11, 10, 0, 0}};
  uint64_t pw = b.pow2Rows(codes, {5, 31});
  std::vector<std::vector<int8_t>> w8 = {{-127, 1, 2, 3, 4, 5, 6, 127}};
  uint64_t iw = b.int8Rows(w8, {17});
  uint64_t pa =
      b.params({-1, 2, 70000, -70000, 0, 5, 6, INT32_MIN},
               {-32, 63, 0, 1, 2, 3, 4, 5}, {-1, -2, -3, -4, -5, -6, -7, -8},
               {1, 2, 3, 4, 5, 6, 7, 8}, {-22, 22, 0, 1, 2, 3, 4, 5});
  b.emit(load(Buf::WBuf, Region::Const, 7, int64_t(pw), 2))
      .emit(load(Buf::WBuf, Region::Const, 9, int64_t(iw), 1, 1, 0, 1, 0, 1))
      .emit(load(Buf::PBuf, Region::Const, 63, int64_t(pa), 1))
      .emit(instr(Opcode::Sync, {}));
  // STORE 2 planes x 2 runs x 3 vectors from FBUF 10 to byte 2000.
  b.emit(store(10, 2000, 3, 2, 48, 2, 160)).emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  const MachineState &s = sim->state();
  std::vector<uint8_t> orig(1500);
  for (size_t i = 0; i < orig.size(); ++i)
    orig[i] = uint8_t(i * 7 + 3);
  for (int i2 = 0; i2 < 2; ++i2)
    for (int i1 = 0; i1 < 3; ++i1)
      for (int i0 = 0; i0 < 2; ++i0)
        for (int l = 0; l < 8; ++l)
          EXPECT_EQ(uint8_t(s.fbuf[(10 + (i2 * 3 + i1) * 2 + i0) * 8 + l]),
                    orig[16 + i2 * 200 + i1 * 40 + i0 * 8 + l]);
  std::vector<uint8_t> fb(s.fbuf.begin(), s.fbuf.end());
  for (int i2 = 0; i2 < 2; ++i2)
    for (int i1 = 0; i1 < 2; ++i1)
      for (int i0 = 0; i0 < 3; ++i0)
        for (int l = 0; l < 8; ++l)
          EXPECT_EQ(data[2000 + i2 * 160 + i1 * 48 + i0 * 8 + l],
                    fb[(10 + (i2 * 2 + i1) * 3 + i0) * 8 + l]);
  EXPECT_EQ(data[2000 - 1], 0); // nothing else written
  for (int r = 0; r < 2; ++r) {
    for (int q = 0; q < 8; ++q)
      EXPECT_EQ(s.wcode[(7 + r) * 8 + q], codes[r][q]);
  }
  EXPECT_EQ(s.walign[7], 5);
  EXPECT_EQ(s.walign[8], 31);
  for (int q = 0; q < 8; ++q)
    EXPECT_EQ(int8_t(s.wcode[9 * 8 + q]), w8[0][q]);
  EXPECT_EQ(s.walign[9], 17);
  EXPECT_EQ(s.bias[63 * 8 + 2], 70000);
  EXPECT_EQ(s.bias[63 * 8 + 7], INT32_MIN);
  EXPECT_EQ(s.outShift[63 * 8 + 0], -32);
  EXPECT_EQ(s.actMin[63 * 8 + 3], -4);
  EXPECT_EQ(s.actMax[63 * 8 + 7], 8);
  EXPECT_EQ(s.aux[63 * 8 + 1], 22);
}

/// WAR through tokens: the second LOAD into FBUF 0 must wait until the
/// first GEMM has read it (it pops compute->load).
/// Every image starts from zero buffers (docs/isa.md): a GEMM that reads
/// FBUF and ABUF units before the program writes them sees zeros on the
/// second image too, though the first image's LOAD and second GEMM wrote
/// them (the simulator re-zeroes exactly such units between images).
TEST(Simulator, EachImageStartsFromZeroBuffers) {
  Builder b;
  b.p.dataBytes = 64;
  std::vector<std::vector<int8_t>> ident(8, std::vector<int8_t>(8, 0));
  for (int r = 0; r < 8; ++r)
    ident[r][r] = 1;
  uint64_t iw = b.int8Rows(ident, std::vector<uint8_t>(8, 0));
  uint64_t pa = b.params(std::vector<int32_t>(8, 3), std::vector<int8_t>(8, 0),
                         std::vector<int8_t>(8, -128),
                         std::vector<int8_t>(8, 127), std::vector<int8_t>(8));
  Fields g = {{"wfmt", 1},     {"in_h", 1},     {"in_w", 1},  {"in_cb", 1},
              {"out_h", 1},    {"out_w", 1},    {"k_h", 1},   {"k_w", 1},
              {"stride_h", 1}, {"stride_w", 1}, {"dil_h", 1}, {"dil_w", 1},
              {"acc_addr", 5}};
  // GEMM 1 reads FBUF 0 and accumulates onto ABUF 5 before anything wrote
  // them; then FBUF 0 is loaded and GEMM 2 (bias 3) writes ABUF 5.
  Instr g1 = instr(Opcode::Gemm, g), g2 = instr(Opcode::Gemm, g);
  ASSERT_TRUE(g1.set(Field::Gemm_accumulate, 1));
  ASSERT_TRUE(g1.set(Field::Gemm_epilogue, 1));
  ASSERT_TRUE(g1.set(Field::Gemm_out_addr, 10));
  b.emit(load(Buf::WBuf, Region::Const, 0, int64_t(iw), 8, 1, 0, 1, 0, 1))
      .emit(load(Buf::PBuf, Region::Const, 0, int64_t(pa), 1))
      .emit(instr(Opcode::Sync, {}))
      .emit(g1)
      .emit(instr(Opcode::Sync, {}))
      .emit(load(Buf::FBuf, Region::Data, 0, 0, 1))
      .emit(instr(Opcode::Sync, {}))
      .emit(g2)
      .emit(instr(Opcode::Sync, {}))
      .emit(store(10, 16, 1))
      .emit(instr(Opcode::End, {}));
  std::vector<uint8_t> data(64, 0x55);
  for (int l = 0; l < 8; ++l)
    data[l] = uint8_t(20 + l);
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  for (int image = 0; image < 3; ++image) {
    // GEMM 1: zero sums onto a zero accumulator (no bias: it accumulates).
    for (int l = 0; l < 8; ++l)
      EXPECT_EQ(data[16 + l], 0) << "image " << image << ", lane " << l;
    for (int l = 0; l < 8; ++l)
      EXPECT_EQ(sim->state().abuf[5 * 8 + l], 3 + 20 + l) << "GEMM 2's sums";
    std::fill(data.begin() + 16, data.begin() + 24, 0x55);
    sim->run(data.data());
  }
}

TEST(Simulator, TokensOrderLoadAfterCompute) {
  Builder b;
  b.p.dataBytes = 64;
  std::vector<uint8_t> data(64);
  for (int l = 0; l < 8; ++l) {
    data[l] = uint8_t(10 + l);      // A
    data[8 + l] = uint8_t(100 + l); // B
  }
  std::vector<std::vector<int8_t>> ident(8, std::vector<int8_t>(8, 0));
  for (int r = 0; r < 8; ++r)
    ident[r][r] = 1;
  uint64_t iw = b.int8Rows(ident, std::vector<uint8_t>(8, 0));
  uint64_t pa = b.params(std::vector<int32_t>(8, 0), std::vector<int8_t>(8, 0),
                         std::vector<int8_t>(8, -128),
                         std::vector<int8_t>(8, 127), std::vector<int8_t>(8));
  Fields g = {{"wfmt", 1},     {"in_h", 1},     {"in_w", 1},  {"in_cb", 1},
              {"out_h", 1},    {"out_w", 1},    {"k_h", 1},   {"k_w", 1},
              {"stride_h", 1}, {"stride_w", 1}, {"dil_h", 1}, {"dil_w", 1},
              {"epilogue", 1}};
  Instr g1 = instr(Opcode::Gemm, g, PopPrev | PushPrev);
  Instr g2 = instr(Opcode::Gemm, g, PopPrev);
  g1.set(Field::Gemm_out_addr, 10);
  g2.set(Field::Gemm_out_addr, 11);
  b.emit(load(Buf::WBuf, Region::Const, 0, int64_t(iw), 8, 1, 0, 1, 0, 1))
      .emit(load(Buf::PBuf, Region::Const, 0, int64_t(pa), 1))
      .emit(load(Buf::FBuf, Region::Data, 0, 0, 1, 1, 0, 1, 0, 0, PushNext))
      .emit(load(Buf::FBuf, Region::Data, 0, 8, 1, 1, 0, 1, 0, 0,
                 PopNext | PushNext))
      .emit(g1)
      .emit(g2)
      .emit(instr(Opcode::Sync, {}))
      .emit(store(10, 16, 2))
      .emit(instr(Opcode::End, {}));
  llvm::Expected<std::vector<uint32_t>> order = tokenSchedule(b.p.code);
  ASSERT_TRUE(bool(order)) << llvm::toString(order.takeError());
  EXPECT_EQ(*order, (std::vector<uint32_t>{0, 1, 2, 4, 3, 5, 6, 7, 8}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  for (int l = 0; l < 8; ++l) {
    EXPECT_EQ(data[16 + l], 10 + l) << "GEMM 1 must see A";
    EXPECT_EQ(data[24 + l], 100 + l) << "GEMM 2 must see B";
  }
}

} // namespace

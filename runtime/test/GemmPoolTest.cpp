//===- GemmPoolTest.cpp - The GEMMs' fused max pool (ISA v5) --------------===//
//
// docs/isa.md 3.3: a GEMM with pool_k > 0 writes, instead of its epilogue's
// out_h x out_w tile, that tile max-pooled (k x k window, stride s, pads
// t / l / b / r, only elements inside the tile valid, -128 for none). The
// expected values pool, here, the tile the same GEMM without the pool
// writes (GEMM itself is checked against its definition in
// SimulatorTest.cpp).
//
//===----------------------------------------------------------------------===//

#include "ProgramBuilder.h"

#include "dlprt/Program.h"
#include "dlprt/CycleModel.h"

#include "gtest/gtest.h"

#include <random>

using namespace dlprt;
using namespace dlprt::isa;
using namespace dlprt::test;

namespace {

/// tinyTarget() with the pool (512 FBUF vectors, 128 ABUF); `big`: 4096
/// FBUF vectors and 1024 ABUF, for large tiles.
TargetConfig poolTarget(bool big = false) {
  TargetConfig t = tinyTarget();
  t.gemmPool = true;
  if (big) {
    t.featureBytes = 4096 * 8;
    t.accBytes = 1024 * 4 * 8;
  }
  return t;
}

struct PoolGeo {
  int64_t H, W; ///< input = output tile (3x3 conv, stride 1, pad 1)
  int64_t k, s, pt, pl, pb, pr;
};

/// Runs a 3x3 conv of two input blocks over an H x W map, plain and with
/// the pool, and checks the pooled tile against the plain tile pooled by
/// the definition; also that nothing past the pooled tile was written.
void checkPooled(const PoolGeo &g, unsigned seed) {
  std::mt19937 rng(seed);
  auto uni = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const int64_t H = g.H, W = g.W, M = H * W, K = 9 * 2 * 8;
  const int64_t PH = (H + g.pt + g.pb - g.k) / g.s + 1,
                PW = (W + g.pl + g.pr - g.k) / g.s + 1;
  // DDR: the input, then FBUF [plain, pooled + N) stored (N >= M vectors
  // from `pooled`: a pooled tile may be larger than the tile).
  const int64_t N = std::max(M, PH * PW);
  Builder b(poolTarget(true));
  b.p.dataBytes = uint64_t(2 * M * 8 + (M + N) * 8);
  std::vector<uint8_t> data(b.p.dataBytes);
  for (int64_t i = 0; i < 2 * M * 8; ++i)
    data[size_t(i)] = uint8_t(uni(-128, 127));
  std::vector<std::vector<uint8_t>> codes(size_t(K), std::vector<uint8_t>(8));
  std::vector<uint8_t> align(static_cast<size_t>(K));
  for (int64_t r = 0; r < K; ++r) {
    for (uint8_t &c : codes[size_t(r)]) {
      int v = uni(0, 14);
      c = uint8_t(v >= 8 ? v + 1 : v);
    }
    align[size_t(r)] = uint8_t(uni(0, 2));
  }
  std::vector<int32_t> bias(8);
  for (int32_t &v : bias)
    v = uni(-3000, 3000);
  // Clamps of every kind: a ReLU, a narrow window, and an empty one
  // (act_min > act_max: every value the clamp's max).
  std::vector<int8_t> shift = {6, 5, 7, 4, 6, 8, 5, 6},
                      amin = {0, -128, -20, -128, 0, -5, 10, -128},
                      amax = {127, 127, 30, 127, 127, 5, -10, 127};
  uint64_t pw = b.pow2Rows(codes, align),
           pa = b.params(bias, shift, amin, amax, std::vector<int8_t>(8));
  const int64_t in = 0, plain = 2 * M, pooled = 3 * M;
  Fields f = {{"in_addr", in},   {"in_cstride", M}, {"in_h", H},
              {"in_w", W},       {"in_cb", 2},      {"out_h", H},
              {"out_w", W},      {"k_h", 3},        {"k_w", 3},
              {"stride_h", 1},   {"stride_w", 1},   {"dil_h", 1},
              {"dil_w", 1},      {"pad_t", 1},      {"pad_l", 1},
              {"epilogue", 1},   {"param_addr", 2}, {"acc_addr", 0}};
  Instr g0 = instr(Opcode::Gemm, f), g1 = g0;
  ASSERT_TRUE(g0.set(Field::Gemm_out_addr, plain));
  for (auto [fld, v] : {std::pair{Field::Gemm_out_addr, pooled},
                        {Field::Gemm_pool_k, g.k},
                        {Field::Gemm_pool_s, g.s},
                        {Field::Gemm_pool_pad_t, g.pt},
                        {Field::Gemm_pool_pad_l, g.pl},
                        {Field::Gemm_pool_pad_b, g.pb},
                        {Field::Gemm_pool_pad_r, g.pr}})
    ASSERT_TRUE(g1.set(fld, v));
  // The pooled tile's place and what follows it, N vectors, hold the
  // input's bytes first (a sentinel: the pool writes PH * PW).
  b.emit(load(Buf::FBuf, Region::Data, in, 0, 2 * M))
      .emit(load(Buf::FBuf, Region::Data, pooled, 0, N))
      .emit(load(Buf::WBuf, Region::Const, 0, int64_t(pw), K))
      .emit(load(Buf::PBuf, Region::Const, 2, int64_t(pa), 1))
      .emit(instr(Opcode::Sync, {}))
      .emit(g0)
      .emit(g1)
      .emit(instr(Opcode::Sync, {}))
      .emit(store(plain, 2 * M * 8, M + N))
      .emit(instr(Opcode::End, {}));
  const std::vector<uint8_t> before = data;
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim);
  auto tile = [&](int64_t y, int64_t x, int64_t q) {
    return int8_t(data[size_t(2 * M * 8 + (y * W + x) * 8 + q)]);
  };
  auto after = [&](int64_t v, int64_t q) { // FBUF from `pooled`
    return int8_t(data[size_t(2 * M * 8 + (M + v) * 8 + q)]);
  };
  int64_t minusOnes = 0;
  for (int64_t py = 0; py < PH; ++py)
    for (int64_t px = 0; px < PW; ++px)
      for (int64_t q = 0; q < 8; ++q) {
        int want = -128;
        for (int64_t ky = 0; ky < g.k; ++ky)
          for (int64_t kx = 0; kx < g.k; ++kx) {
            int64_t y = py * g.s - g.pt + ky, x = px * g.s - g.pl + kx;
            if (y >= 0 && y < H && x >= 0 && x < W)
              want = std::max<int>(want, tile(y, x, q));
          }
        minusOnes += want == -128;
        ASSERT_EQ(int(after(py * PW + px, q)), want)
            << "pooled (" << py << ", " << px << ") lane " << q;
      }
  for (int64_t v = PH * PW; v < N; ++v)
    for (int64_t q = 0; q < 8; ++q)
      ASSERT_EQ(uint8_t(after(v, q)), before[size_t(v * 8 + q)])
          << "vector " << v << " past the pooled tile was written";
  // (Sanity of the reference: the clamps make some lanes constant, not
  // the whole tile.)
  EXPECT_LT(minusOnes, PH * PW * 8);
}

TEST(GemmPool, PoolsTheEpilogueTileAsDefined) {
  // ResNet's stem pool (3x3 / 2, pad 1), its last band (pad below too),
  // 2x2 / 2, overlapping stride 1, a window larger than its stride with
  // only right padding, and 2x2 / 2 padded on every side.
  checkPooled({12, 10, 3, 2, 1, 1, 0, 0}, 1);
  checkPooled({9, 9, 3, 2, 0, 1, 1, 1}, 2);
  checkPooled({8, 6, 2, 2, 0, 0, 0, 0}, 3);
  checkPooled({7, 11, 3, 1, 1, 1, 0, 0}, 4);
  checkPooled({6, 7, 3, 3, 0, 0, 0, 1}, 5);
  checkPooled({5, 5, 2, 2, 1, 1, 1, 1}, 6);
  // A tile large enough for the simulator's threaded paths.
  checkPooled({40, 20, 3, 2, 1, 1, 0, 1}, 7);
}

// A second image on the same machine reads what a fresh machine reads:
// the simulator zeroes, between images, the units an image reads before
// writing them, which for a pooling GEMM are counted from its pooled tile
// (here its last 11 vectors, read by a STORE before the GEMM writes them).
TEST(GemmPool, SecondImageSeesAFreshMachine) {
  Builder b(poolTarget());
  const int64_t M = 25, P = 25, E = 11, out = 100;
  b.p.dataBytes = uint64_t((2 * M + E + P) * 8);
  std::vector<std::vector<uint8_t>> codes(8, std::vector<uint8_t>(8, 0));
  uint64_t pw = b.pow2Rows(codes, std::vector<uint8_t>(8));
  std::vector<int8_t> zero(8), top(8, 127);
  uint64_t pa = b.params(std::vector<int32_t>(8, 1000), zero,
                         std::vector<int8_t>(8, -128), top, zero);
  // The pooled tile's last E vectors, stored before the GEMM writes them;
  // then the pooled tile (2x2 / 1, pad 1 above and left: 5x5, every
  // pooled pixel the clamp's 127).
  b.emit(store(out + P - E, 2 * M * 8, E))
      .emit(instr(Opcode::Sync, {}))
      .emit(load(Buf::FBuf, Region::Data, 0, 0, M))
      .emit(load(Buf::WBuf, Region::Const, 0, int64_t(pw), 8))
      .emit(load(Buf::PBuf, Region::Const, 0, int64_t(pa), 1))
      .emit(instr(Opcode::Sync, {}))
      .emit(instr(Opcode::Gemm,
                  {{"in_h", 5}, {"in_w", 5}, {"in_cb", 1}, {"in_cstride", 25},
                   {"out_h", 5}, {"out_w", 5}, {"k_h", 1}, {"k_w", 1},
                   {"stride_h", 1}, {"stride_w", 1}, {"dil_h", 1},
                   {"dil_w", 1}, {"epilogue", 1}, {"out_addr", out},
                   {"pool_k", 2}, {"pool_s", 1}, {"pool_pad_t", 1},
                   {"pool_pad_l", 1}}))
      .emit(instr(Opcode::Sync, {}))
      .emit(store(out, (2 * M + E) * 8, P))
      .emit(instr(Opcode::End, {}));
  std::vector<uint8_t> first(b.p.dataBytes, 3), fresh = first;
  std::unique_ptr<Simulator> sim = runProgram(b.p, first);
  ASSERT_TRUE(sim);
  std::vector<uint8_t> second(b.p.dataBytes, 3);
  sim->run(second.data());
  std::unique_ptr<Simulator> once = runProgram(b.p, fresh);
  ASSERT_TRUE(once);
  EXPECT_EQ(second, fresh);
  // (The early STORE read zeros; what the first image left there is not
  // zero: the pooled tile's 127.)
  EXPECT_EQ(int8_t(first[size_t(2 * M * 8)]), 0);
  EXPECT_EQ(int8_t(first[size_t((2 * M + E + P - E) * 8)]), 127);
}

/// The validator's text for one GEMM with `extra` fields on target t.
std::string errorOf(TargetConfig t, Fields extra) {
  Fields fields = {{"in_h", 4},     {"in_w", 4},       {"in_cb", 1},
                   {"in_cstride", 16}, {"out_h", 4},   {"out_w", 4},
                   {"k_h", 1},      {"k_w", 1},        {"stride_h", 1},
                   {"stride_w", 1}, {"dil_h", 1},      {"dil_w", 1},
                   {"epilogue", 1}, {"out_addr", 100}, {"pool_k", 2},
                   {"pool_s", 2}};
  fields.insert(fields.end(), extra.begin(), extra.end());
  return oneInstructionError(t, Opcode::Gemm, std::move(fields));
}

void expectError(const std::string &got, const std::string &want) {
  EXPECT_NE(got.find(want), std::string::npos) << got;
}

// The loader names the instruction and field of every rule of the pool.
TEST(GemmPool, LoaderRefusesWhatTheTargetCannotRun) {
  EXPECT_EQ(errorOf(poolTarget(), {}), "");
  expectError(errorOf(tinyTarget(), {}),
              "instruction #0 (gemm): field 'pool_k' = 2: target 'tiny' has "
              "no pool in its post-processing (units.gemm_pool)");
  expectError(errorOf(poolTarget(), {{"epilogue", 0}}),
              "field 'pool_k' = 2: the pool needs the epilogue");
  expectError(errorOf(poolTarget(), {{"residual", 1}}),
              "field 'pool_k' = 2: a GEMM has a residual add or a pool, not "
              "both");
  expectError(errorOf(poolTarget(), {{"pool_s", 0}}),
              "field 'pool_s' = 0: must be >= 1");
  expectError(errorOf(poolTarget(),
                      {{"pool_k", 0}, {"pool_s", 0}, {"pool_pad_b", 1}}),
              "field 'pool_pad_b' = 1: must be 0 without a pool (pool_k = 0)");
  expectError(errorOf(poolTarget(), {{"pool_k", 3}, {"out_h", 1}}),
              "field 'pool_k' = 3: the 3x3 window is larger than the padded "
              "1x4 tile");
  EXPECT_EQ(errorOf(poolTarget(), {{"pool_k", 3}, {"out_h", 1},
                                   {"pool_pad_t", 1}, {"pool_pad_b", 1}}),
            "");
  // Bottom / right padding at least the stride would finish two pooled
  // rows / columns at one pixel.
  expectError(errorOf(poolTarget(), {{"pool_k", 3}, {"pool_s", 1},
                                     {"pool_pad_b", 1}}),
              "field 'pool_pad_b' = 1: must be below pool_s (1): two pooled "
              "rows would finish at one pixel");
  expectError(errorOf(poolTarget(), {{"pool_k", 3}, {"pool_s", 1},
                                     {"pool_pad_r", 1}}),
              "field 'pool_pad_r' = 1: must be below pool_s (1): two pooled "
              "columns would finish at one pixel");
  // A padding of at least the window leaves an edge window without a
  // pixel (the unit writes a pooled pixel when its window's last pixel
  // arrives).
  expectError(errorOf(poolTarget(), {{"pool_k", 1}, {"pool_s", 1},
                                     {"pool_pad_t", 1}}),
              "field 'pool_pad_t' = 1: must be below pool_k (1): an edge "
              "window would hold no pixel");
  expectError(errorOf(poolTarget(), {{"pool_k", 1}, {"pool_s", 2},
                                     {"pool_pad_r", 1}}),
              "field 'pool_pad_r' = 1: must be below pool_k (1): an edge "
              "window would hold no pixel");
  EXPECT_EQ(errorOf(poolTarget(), {{"pool_k", 2}, {"pool_s", 2},
                                   {"pool_pad_l", 1}, {"pool_pad_r", 1}}),
            "");
  // The pooled 2x2 tile from out_addr: inside FBUF (512 vectors) and off
  // the input (vectors 0..15), whatever the unpooled tile would touch.
  EXPECT_EQ(errorOf(poolTarget(), {{"out_addr", 508}}), "");
  expectError(errorOf(poolTarget(), {{"out_addr", 509}}),
              "field 'out_addr' = 509: touches FBUF units [509, 513)");
  EXPECT_EQ(errorOf(poolTarget(), {{"out_addr", 16}}), "");
  expectError(errorOf(poolTarget(), {{"out_addr", 13}}),
              "field 'out_addr' = 13: a pooling GEMM's output overlaps its "
              "input");
  // The pooled rows fit the unit's line buffer: on 512 FBUF vectors
  // (9 address bits) it holds 2^5 = 32 vectors per row.
  uint64_t maxW = CycleParams::fromTarget(poolTarget()).poolMaxOutW;
  ASSERT_EQ(maxW, 32u);
  EXPECT_EQ(errorOf(poolTarget(), {{"in_w", 64}, {"in_h", 1},
                                   {"in_cstride", 64}, {"out_w", 64},
                                   {"out_h", 1}, {"pool_pad_b", 1},
                                   {"out_addr", 200}}),
            "");
  expectError(errorOf(poolTarget(), {{"in_w", 66}, {"in_h", 1},
                                     {"in_cstride", 66}, {"out_w", 66},
                                     {"out_h", 1}, {"pool_pad_b", 1},
                                     {"out_addr", 200}}),
              "field 'out_w' = 66: the pooled rows' 33 vectors exceed the "
              "unit's 32");
}

// A binary whose header says ISA version 4 cannot hold the pool fields.
TEST(GemmPool, BinaryOfAnEarlierIsaRefusesThePool) {
  Builder b(poolTarget());
  b.p.dataBytes = 64;
  b.emit(instr(Opcode::Gemm,
               {{"in_h", 4}, {"in_w", 4}, {"in_cb", 1}, {"in_cstride", 16},
                {"out_h", 4}, {"out_w", 4}, {"k_h", 1}, {"k_w", 1},
                {"stride_h", 1}, {"stride_w", 1}, {"dil_h", 1}, {"dil_w", 1},
                {"epilogue", 1}, {"out_addr", 100}, {"pool_k", 2},
                {"pool_s", 2}}))
      .emit(instr(Opcode::End, {}));
  std::vector<uint8_t> bytes = writeBinary(b.p);
  EXPECT_EQ(loadError(bytes), "");
  bytes[6] = 4; // the header's ISA version
  EXPECT_NE(loadError(bytes).find("instruction #0: field 'pool_k' is ISA "
                                  "version 5 (the header says 4): reserved "
                                  "bits set in w1"),
            std::string::npos)
      << loadError(bytes);
}

// units.gemm_pool: optional, false by default and then absent from the
// canonical form (configs without it keep their fingerprints).
TEST(GemmPool, TargetField) {
  std::string base = R"({"name": "t", "array": {"L": 8, "Q": 8},
  "sram": {"feature_bytes": 4096, "weight_bank_bytes": 2048,
           "acc_bytes": 4096, "param_entries": 64},
  "clock_mhz": 100, "ddr": {"bytes_per_cycle": 8, "latency_cycles": 10},
  "weight_formats": ["pow2", "int8"], "csr": false,
  "units": {"pool": true, "eltwise": true UNITS},
  "devices": {"count": 1, "link_bytes_per_cycle": 0}})";
  auto with = [&](const std::string &units) {
    std::string s = base;
    return s.replace(s.find(" UNITS"), 6, units);
  };
  auto off = parseTargetConfig(with(""), "a.json");
  auto on = parseTargetConfig(with(R"(, "gemm_pool": true)"), "b.json");
  auto no = parseTargetConfig(with(R"(, "gemm_pool": false)"), "c.json");
  ASSERT_TRUE(off && on && no);
  EXPECT_FALSE(off->gemmPool);
  EXPECT_TRUE(on->gemmPool);
  EXPECT_EQ(off->toJSON(), no->toJSON());
  EXPECT_EQ(off->toJSON().find("gemm_pool"), std::string::npos);
  EXPECT_NE(on->toJSON().find(R"("gemm_pool":true)"), std::string::npos);
  EXPECT_NE(off->fingerprint(), on->fingerprint());
  auto bad = parseTargetConfig(with(R"(, "gemm_pool": 1)"), "d.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(llvm::toString(bad.takeError()).find("$.units.gemm_pool"),
            std::string::npos);

  // units.pool_streaming: optional, true by default and then absent.
  auto st = parseTargetConfig(with(R"(, "pool_streaming": true)"), "e.json");
  auto ns = parseTargetConfig(with(R"(, "pool_streaming": false)"), "f.json");
  ASSERT_TRUE(st && ns);
  EXPECT_TRUE(off->poolStreaming);
  EXPECT_FALSE(ns->poolStreaming);
  EXPECT_EQ(off->toJSON(), st->toJSON());
  EXPECT_EQ(off->toJSON().find("pool_streaming"), std::string::npos);
  EXPECT_NE(ns->toJSON().find(R"("pool_streaming":false)"),
            std::string::npos);
  EXPECT_NE(off->fingerprint(), ns->fingerprint());
  auto back = parseTargetConfig(ns->toJSON(), "g.json");
  ASSERT_TRUE(bool(back));
  EXPECT_FALSE(back->poolStreaming);
  // Both: in the order of docs/target-config.md's table.
  auto both = parseTargetConfig(
      with(R"(, "pool_streaming": false, "gemm_pool": true)"), "i.json");
  ASSERT_TRUE(bool(both));
  EXPECT_NE(both->toJSON().find(R"("gemm_pool":true,"pool_streaming":false)"),
            std::string::npos);
  bad = parseTargetConfig(with(R"(, "pool_streaming": "no")"), "h.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(llvm::toString(bad.takeError()).find("$.units.pool_streaming"),
            std::string::npos);
}

} // namespace

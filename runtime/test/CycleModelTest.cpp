//===- CycleModelTest.cpp - Cycle model, profile and trace ----------------===//
//
// Hand-built streams on tinyTarget(): L = Q = 8, 8 DDR bytes per cycle,
// DDR latency 10, 100 MHz. So (docs/cycle-model.md section 2):
//   GEMM  = out_h*out_w*k_h*k_w*in_cb + 7 (4 + log2 8) [+ 3 with the
//           epilogue, + 3 more with its residual add, + 2 with a pool]
//   POOL  = cb*out_h*out_w*k_h*k_w + 3,  ADD = cb*n + 4
//   LOAD / STORE = 10 + sum over bursts of ceil(burst bytes / 8)
// An FBUF unit is 8 bytes, a pow2 weight row 8/2 + 1 = 5, an entry 64.
//
//===----------------------------------------------------------------------===//

#include "ProgramBuilder.h"

#include "dlprt/CycleModel.h"
#include "dlprt/Profile.h"

#include "llvm/Support/JSON.h"
#include "gtest/gtest.h"

#include <map>

using namespace dlprt;
using namespace dlprt::isa;
using namespace dlprt::test;

namespace {

/// A GEMM of out x out pixels, a k x k kernel and `cb` input blocks.
Instr gemm(int64_t out, int64_t k, int64_t cb, bool epilogue,
           uint8_t tokens = 0) {
  return instr(Opcode::Gemm,
               {{"in_cstride", 1},
                {"in_h", out},
                {"in_w", out},
                {"in_cb", cb},
                {"out_h", out},
                {"out_w", out},
                {"k_h", k},
                {"k_w", k},
                {"stride_h", 1},
                {"stride_w", 1},
                {"dil_h", 1},
                {"dil_w", 1},
                {"epilogue", epilogue}},
               tokens);
}

/// A contiguous FBUF load of `units` vectors: 10 + units cycles.
Instr fload(int64_t units, uint8_t tokens = 0) {
  return load(Buf::FBuf, Region::Data, 0, 0, units, 1, 0, 1, 0, 0, tokens);
}

Timeline timed(std::vector<Instr> code) {
  code.push_back(Instr::make(Opcode::End));
  llvm::Expected<Timeline> tl = cycleModel(code, tinyTarget());
  if (!tl) {
    ADD_FAILURE() << llvm::toString(tl.takeError());
    return Timeline();
  }
  return std::move(*tl);
}

/// [start, end) of instructions 0, 1, ... (those listed).
void expectTimes(const Timeline &tl,
                 std::vector<std::pair<uint64_t, uint64_t>> want) {
  ASSERT_LE(want.size(), tl.time.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(std::make_pair(tl.time[i].start, tl.time[i].end), want[i])
        << "instruction " << i;
}

TEST(CycleModel, ComputeBoundGemmsRunBackToBack) {
  // 4x4 out, 3x3 kernel, 2 blocks: 288 steps + 7 fill/drain (address
  // register, read, 2 + log2 8 array stages) + 3 epilogue (shift, round +
  // saturate, clamp). Then 4x4 out, 1x1, 1 block, no epilogue: 16 + 7 =
  // 23, from 298.
  Timeline tl = timed({gemm(4, 3, 2, true), gemm(4, 1, 1, false)});
  expectTimes(tl, {{0, 298}, {298, 321}, {321, 321}}); // END at 321
  EXPECT_EQ(tl.totalCycles, 321u);
  EXPECT_EQ(tl.cost[0].macSlots, 288u * 64);
  EXPECT_EQ(tl.cost[1].macSlots, 16u * 64);
  // With the residual add: the post-processing stages twice, 288 + 7 + 6.
  Instr res = gemm(4, 3, 2, true);
  ASSERT_TRUE(res.set(Field::Gemm_residual, 1));
  Timeline rt = timed({res});
  expectTimes(rt, {{0, 301}});
  EXPECT_EQ(rt.cost[0].macSlots, 288u * 64);
  // With a fused 3x3 / 2 max pool (ISA v5): the row maximum, then the
  // combine and write, after the epilogue: 288 + 7 + 3 + 2 (the pooled
  // tile's size does not matter: one pixel per cycle at most leaves it).
  Instr pooled = gemm(4, 3, 2, true);
  ASSERT_TRUE(pooled.set(Field::Gemm_pool_k, 3));
  ASSERT_TRUE(pooled.set(Field::Gemm_pool_s, 2));
  ASSERT_TRUE(pooled.set(Field::Gemm_pool_pad_t, 1));
  Timeline pt = timed({pooled});
  expectTimes(pt, {{0, 300}});
  EXPECT_EQ(pt.cost[0].macSlots, 288u * 64);
}

// array.pixels = P: the tile's output pixels go through the array P at a
// time in raster order, so a GEMM takes ceil(out_h * out_w / P) groups of
// its pixel steps; fill, drain and post-processing are as before, and the
// MAC slots count all L * Q * P PEs of every step.
TEST(CycleModel, PixelsPerStep) {
  TargetConfig t = tinyTarget();
  t.pixels = 4;
  auto cost = [&](const Instr &in) {
    llvm::Expected<Timeline> tl = cycleModel({in, Instr::make(Opcode::End)}, t);
    EXPECT_TRUE(bool(tl)) << llvm::toString(tl.takeError());
    return tl ? tl->cost[0] : InstrCost();
  };
  // 4x4 pixels, 3x3 kernel, 2 blocks: 4 groups x 18 steps + 7 + 3.
  InstrCost a = cost(gemm(4, 3, 2, true));
  EXPECT_EQ(a.cycles, 4u * 18 + 7 + 3);
  EXPECT_EQ(a.macSlots, 4u * 18 * 64 * 4);
  // 5x5 pixels: 25 make 7 groups in raster order (groups cross rows: 10
  // row by row; the last of one pixel), 7 x 18 + 7 + 3; 1 x 1: one group.
  InstrCost b = cost(gemm(5, 3, 2, true));
  EXPECT_EQ(b.cycles, 7u * 18 + 7 + 3);
  EXPECT_EQ(b.macSlots, 7u * 18 * 64 * 4);
  EXPECT_EQ(cost(gemm(1, 1, 1, false)).cycles, 1u + 7);
  // POOL and ADD units are unchanged (one vector per cycle).
  Instr add = instr(Opcode::Add, {{"cb", 2}, {"n", 5}});
  EXPECT_EQ(cost(add).cycles, 2u * 5 + 4);
  // The profile's compute bound divides by all L * Q * P PEs: the GEMM's
  // groups of steps.
  Program p;
  p.target = t;
  p.code = {gemm(5, 3, 2, true), Instr::make(Opcode::End)};
  llvm::Expected<Timeline> tl = cycleModel(p.code, t);
  ASSERT_TRUE(bool(tl));
  Profile prof = buildProfile(p, *tl);
  EXPECT_EQ(prof.pixels, 4u);
  EXPECT_DOUBLE_EQ(prof.computeBound(prof.total()), 7.0 * 18);
}

TEST(CycleModel, DmaBurstsAndLatency) {
  std::vector<Instr> code = {
      // Every DMA: latency 10 + beats + 5 fixed (3 setup cycles, the
      // request register, the last write).
      // 16 FBUF units, one 128-byte burst: 10 + 16 + 5 = 31.
      fload(16),
      // Pow2 rows (5 bytes), 4 runs of 1 row, s1 = 5 (contiguous): one
      // 20-byte burst, ceil(2.5) = 3: 18.
      load(Buf::WBuf, Region::Const, 0, 0, 1, 4, 5),
      // The same with s1 = 6: 4 bursts of ceil(5/8) = 1: 19.
      load(Buf::WBuf, Region::Const, 0, 0, 1, 4, 6),
      // 3 planes of 2 contiguous rows, s2 = 10 (contiguous): one 30-byte
      // burst, 4 cycles: 19; with s2 = 16: 3 bursts of 10 bytes (2): 21.
      load(Buf::WBuf, Region::Const, 0, 0, 1, 2, 5, 3, 10),
      load(Buf::WBuf, Region::Const, 0, 0, 1, 2, 5, 3, 16),
      // 2 parameter entries: 128 bytes: 10 + 16 + 5 = 31.
      load(Buf::PBuf, Region::Const, 0, 0, 2),
      // STORE of 4 runs of 2 vectors, strided: 4 x 2 + 10 + 5 = 23.
      store(0, 0, 2, 4, 64),
  };
  Timeline tl = timed(code);
  // One DDR channel: every DMA waits for the previous one. The STORE was
  // ready at 0 (no tokens), so it takes the channel when the first LOAD
  // leaves it, before the loads that were ready later (request order).
  expectTimes(
      tl,
      {{0, 31}, {54, 72}, {72, 91}, {91, 110}, {110, 131}, {131, 162}, {31, 54}});
  EXPECT_EQ(tl.totalCycles, 162u);
  EXPECT_EQ(tl.cost[0].ddrBytes, 128u);
  EXPECT_EQ(tl.cost[1].ddrBytes, 20u);
  EXPECT_EQ(tl.cost[4].ddrBytes, 30u);
  EXPECT_EQ(tl.cost[6].ddrBytes, 64u);
}

TEST(CycleModel, MemoryBoundLoadThenGemm) {
  // LOAD 64 units (512 bytes): 10 + 64 + 5 = 79, [0, 79); the GEMM pops
  // its token: 2x2 out, 4 steps + 7: [79, 90).
  Timeline tl = timed({fload(64, PushNext), gemm(2, 1, 1, false, PopPrev)});
  expectTimes(tl, {{0, 79}, {79, 90}});
  EXPECT_EQ(tl.totalCycles, 90u);
}

TEST(CycleModel, OverlappedLoadAndCompute) {
  // Double buffering: L1 runs while G0 computes.
  //   L0 [0, 79)   L1 [79, 158)            (load queue, in order)
  //   G0 [79, 186) (pops L0's token at 79; 100 steps + 7)
  //   G1 [186, 293) (queue free at 186, L1's token at 158)
  // Serialized this would be 2 * 79 + 2 * 107 = 372.
  Timeline tl =
      timed({fload(64, PushNext), fload(64, PushNext),
             gemm(10, 1, 1, false, PopPrev), gemm(10, 1, 1, false, PopPrev)});
  expectTimes(tl, {{0, 79}, {79, 158}, {79, 186}, {186, 293}});
  EXPECT_EQ(tl.totalCycles, 293u);
}

TEST(CycleModel, SerializedByTokens) {
  // G0 [0, 107) pushes compute->load; L0 pops it: [107, 186); G1 pops
  // L0's token: [186, 293), pushes compute->store; S0 (16 units, 10 + 16 +
  // 5) pops it: [293, 324), pushes store->compute; G2 (2x2, 4 + 7) pops
  // it: [324, 335).
  Timeline tl =
      timed({gemm(10, 1, 1, false, PushPrev), fload(64, PopNext | PushNext),
             gemm(10, 1, 1, false, PopPrev | PushNext),
             store(0, 0, 16, 1, 0, 1, 0, PopPrev | PushPrev),
             gemm(2, 1, 1, false, PopNext)});
  expectTimes(tl, {{0, 107}, {107, 186}, {186, 293}, {293, 324}, {324, 335}});
  EXPECT_EQ(tl.totalCycles, 335u);
}

TEST(CycleModel, LoadAndStoreShareTheDdrChannel) {
  // Both could start at 0; the load goes first, the store waits for the
  // channel: L0 [0, 31), S0 [31, 62). The GEMM is independent: [0, 23).
  Timeline tl = timed({store(0, 0, 16), fload(16), gemm(4, 1, 1, false)});
  expectTimes(tl, {{31, 62}, {0, 31}, {0, 23}});
  EXPECT_EQ(tl.totalCycles, 62u);
}

TEST(CycleModel, BarriersWaitForEverythingEarlier) {
  // L0 [0, 31) and G0 [0, 23) in parallel; SYNC at 31; then G1 starts at
  // 31, not at 23: [31, 54); L1 [31, 62); HOST at 62 (zero device
  // cycles); G2 [62, 85); END at 85.
  Instr host = instr(Opcode::Host, {{"segment", 0}});
  Timeline tl =
      timed({fload(16), gemm(4, 1, 1, false), Instr::make(Opcode::Sync),
             gemm(4, 1, 1, false), fload(16), host, gemm(4, 1, 1, false)});
  expectTimes(
      tl, {{0, 31}, {0, 23}, {31, 31}, {31, 54}, {31, 62}, {62, 62}, {62, 85}});
  EXPECT_EQ(tl.totalCycles, 85u);
  EXPECT_EQ(tl.hostSegments, 1u);
}

TEST(CycleModel, PoolAndAddUnits) {
  // POOL: each input vector once: 2 blocks x 6x6 = 72, + P_pool = 3 + 18
  // setup (12-bit in_h: 13 quotient bits + 5) + 19 reciprocal stages
  // (kAvgShift 16: rows and columns, count, 17 quotient bits) = 112; ADD:
  // 2 blocks x 16 + 1 read + 3 post-processing stages = 36.
  Instr pool = instr(Opcode::Pool, {{"cb", 2}, {"out_cstride", 16}});
  for (auto [name, v] : Fields{{"in_h", 6},
                               {"in_w", 6},
                               {"out_h", 4},
                               {"out_w", 4},
                               {"k_h", 3},
                               {"k_w", 3}})
    pool.set(*findField(Opcode::Pool, name), v);
  for (const char *one : {"stride_h", "stride_w", "dil_h", "dil_w"})
    pool.set(*findField(Opcode::Pool, one), 1);
  Instr add = instr(Opcode::Add, {{"n", 16},
                                  {"cb", 2},
                                  {"a_cstride", 16},
                                  {"b_cstride", 16},
                                  {"out_cstride", 16}});
  Timeline tl = timed({pool, add});
  expectTimes(tl, {{0, 112}, {112, 148}});
  EXPECT_EQ(tl.cost[0].macSlots, 0u);
}

/// A POOL of one block with the given fields (strides and dilations 1
/// unless set).
Instr poolOf(Fields fields) {
  Instr pool = instr(Opcode::Pool, {{"cb", 1}});
  for (const char *one : {"stride_h", "stride_w", "dil_h", "dil_w"})
    pool.set(*findField(Opcode::Pool, one), 1);
  for (auto [name, v] : fields)
    pool.set(*findField(Opcode::Pool, name), v);
  return pool;
}

/// 3x3 / 1, padding 1, 3x3 -> 3x3.
Instr pool3x3Pad1() {
  return poolOf({{"in_h", 3},
                 {"in_w", 3},
                 {"out_h", 3},
                 {"out_w", 3},
                 {"k_h", 3},
                 {"k_w", 3},
                 {"pad_t", 1},
                 {"pad_l", 1},
                 {"pad_b", 1},
                 {"pad_r", 1}});
}

TEST(CycleModel, PoolStreamingSchedule) {
  // 3x3 / 1, padding 1, 3x3 -> 3x3 (section 2.3, the unit's schedule).
  // Input vector k is read in cycle k (0..8; no row stalls: the walker is
  // never 4 rows behind). Each output's last element: rows 0: inputs 4,
  // 5, 5; rows 1 and 2: 7, 8, 8. The real walker issues output 0 in cycle
  // 5 (input 4 read in cycle 4), then one per cycle: outputs 1-3 in 6-8,
  // and the last five, all completed by the last input (read in cycle 8),
  // in 9-13. Cycles = setup 18 + max(8 + 1, 13 + 19 reciprocal stages) +
  // 3 = 53: four more than one cycle per input vector (49), one write per
  // cycle being the limit.
  Timeline tl = timed({pool3x3Pad1()});
  EXPECT_EQ(tl.totalCycles, 53u);
  // 5x1 / 1 on 9x2 -> 5x2: five output rows share an input row, more than
  // the unit's four row slots: one window element per cycle, 5 * 2 * 5 +
  // P_pool 40 = 90.
  tl = timed({poolOf({{"in_h", 9},
                      {"in_w", 2},
                      {"out_h", 5},
                      {"out_w", 2},
                      {"k_h", 5},
                      {"k_w", 1}})});
  EXPECT_EQ(tl.totalCycles, 90u);
  // Dilation 2 (3x3 on 5x5 -> 1x1): 9 + 40 = 49.
  tl = timed({poolOf({{"in_h", 5},
                      {"in_w", 5},
                      {"out_h", 1},
                      {"out_w", 1},
                      {"k_h", 3},
                      {"k_w", 3},
                      {"dil_h", 2},
                      {"dil_w", 2}})});
  EXPECT_EQ(tl.totalCycles, 49u);
}

TEST(CycleModel, PoolWithoutStreaming) {
  // units.pool_streaming false: the 3x3 / 1 pad 1 pool above, which
  // streams in 53 cycles, takes one window element per cycle: 9 outputs x
  // 9 elements (padding ones included) + P_pool 40 = 121; a global 6x6
  // average of 2 blocks 2 x 36 + 40 = 112, as the streaming path's one
  // vector per cycle.
  TargetConfig t = tinyTarget();
  t.poolStreaming = false;
  Instr p3 = pool3x3Pad1();
  Instr global = poolOf({{"in_h", 6},
                         {"in_w", 6},
                         {"out_h", 1},
                         {"out_w", 1},
                         {"k_h", 6},
                         {"k_w", 6},
                         {"mode", 2}});
  global.set(*findField(Opcode::Pool, "cb"), 2);
  global.set(*findField(Opcode::Pool, "out_cstride"), 1);
  global.set(*findField(Opcode::Pool, "in_cstride"), 36);
  llvm::Expected<Timeline> tl =
      cycleModel({p3, Instr::make(Opcode::End)}, t);
  ASSERT_TRUE(bool(tl)) << llvm::toString(tl.takeError());
  EXPECT_EQ(tl->totalCycles, 121u);
  tl = cycleModel({global, Instr::make(Opcode::End)}, t);
  ASSERT_TRUE(bool(tl)) << llvm::toString(tl.takeError());
  EXPECT_EQ(tl->totalCycles, 112u);
  // With streaming, the global pool is the same: one vector per cycle.
  EXPECT_EQ(timed({global}).totalCycles, 112u);
}

TEST(CycleModel, UntimedInstructionsAreNamed) {
  Instr unknown;
  unknown.w[0] = 10;
  llvm::Expected<Timeline> tl = cycleModel(
      {fload(1), unknown, Instr::make(Opcode::End)}, tinyTarget());
  ASSERT_FALSE(bool(tl));
  EXPECT_EQ(llvm::toString(tl.takeError()),
            "instruction #1: opcode 10 has no timing rule");
  // GEMM_CSR's cost depends on its weights: the stream-only model refuses.
  tl = cycleModel({fload(1), Instr::make(Opcode::GemmCsr),
                   Instr::make(Opcode::End)},
                  tinyTarget());
  ASSERT_FALSE(bool(tl));
  EXPECT_EQ(llvm::toString(tl.takeError()),
            "instruction #1: GEMM_CSR is timed from its weights: time the "
            "whole program");
}

/// The overlapped stream of OverlappedLoadAndCompute with layers "a"
/// (L0, G0) and "b" (L1, G1); END is unmapped.
Program twoLayerProgram() {
  Builder b;
  b.emit(fload(64, PushNext))
      .emit(gemm(10, 1, 1, false, PopPrev))
      .emit(fload(64, PushNext))
      .emit(gemm(10, 1, 1, false, PopPrev))
      .emit(Instr::make(Opcode::End));
  b.p.debug = {{0, 2, "a"}, {2, 4, "b"}};
  return b.p;
}

TEST(Profile, EveryCycleChargedToOneLayer) {
  Program p = twoLayerProgram();
  llvm::Expected<Timeline> tl = cycleModel(p.code, p.target);
  ASSERT_TRUE(bool(tl)) << llvm::toString(tl.takeError());
  // L0 [0,79) G0 [79,186) | L1 [79,158) G1 [186,293): b's load hides under
  // a's compute, so a = 79 (its load) + 107, b = 107.
  Profile prof = buildProfile(p, *tl);
  ASSERT_EQ(prof.layers.size(), 3u);
  EXPECT_EQ(prof.layers[0].name, "a");
  EXPECT_EQ(prof.layers[0].cycles, 186u);
  EXPECT_EQ(prof.layers[1].cycles, 107u);
  EXPECT_EQ(prof.layers[2].name, kUnmappedLayer);
  EXPECT_EQ(prof.layers[2].cycles, 0u);
  LayerProfile total = prof.total();
  EXPECT_EQ(total.cycles, 293u);
  EXPECT_EQ(total.cycles, prof.totalCycles);
  // Roofline of a: 6400 MAC slots / 64 = 100, 512 bytes / 8 = 64.
  EXPECT_EQ(prof.layers[0].macSlots, 6400u);
  EXPECT_EQ(prof.layers[0].ddrBytes, 512u);
  EXPECT_DOUBLE_EQ(prof.bound(prof.layers[0]), 100.0);
  EXPECT_STREQ(prof.boundBy(prof.layers[0]), "compute");
  EXPECT_DOUBLE_EQ(prof.latencyMicros(), 2.93);

  std::string text;
  llvm::raw_string_ostream os(text);
  printProfile(os, prof);
  EXPECT_NE(text.find("latency 2.93 us (293 cycles at 100 MHz)"),
            std::string::npos)
      << text;
  llvm::json::Value j = profileToJSON(prof);
  EXPECT_EQ(*j.getAsObject()->getInteger("total_cycles"), 293);
}

TEST(Profile, EveryOpcodeProgramSumsToTotal) {
  Program p = everyOpcodeProgram();
  // Debug entries with a gap and an overlap: the first entry wins.
  p.debug = {{0, 3, "x"}, {2, 6, "y"}};
  llvm::Expected<Timeline> tl = cycleModel(p.code, p.target);
  ASSERT_TRUE(bool(tl)) << llvm::toString(tl.takeError());
  Profile prof = buildProfile(p, *tl);
  EXPECT_GT(prof.totalCycles, 0u);
  EXPECT_EQ(prof.total().cycles, prof.totalCycles);
  EXPECT_EQ(prof.total().instructions, p.code.size());
  EXPECT_EQ(prof.hostSegments, 2u);
}

TEST(Profile, ChromeTraceTracksDoNotOverlap) {
  Program p = twoLayerProgram();
  llvm::Expected<Timeline> tl = cycleModel(p.code, p.target);
  ASSERT_TRUE(bool(tl));
  Profile prof = buildProfile(p, *tl);
  std::string text;
  llvm::raw_string_ostream os(text);
  writeChromeTrace(os, p, *tl, prof);
  llvm::Expected<llvm::json::Value> j = llvm::json::parse(text);
  ASSERT_TRUE(bool(j)) << llvm::toString(j.takeError());
  std::map<int64_t, std::string> tracks;
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> slices;
  for (const llvm::json::Value &e :
       *j->getAsObject()->getArray("traceEvents")) {
    const llvm::json::Object &o = *e.getAsObject();
    if (*o.getString("ph") == "M" && *o.getString("name") == "thread_name")
      tracks[*o.getInteger("tid")] =
          o.getObject("args")->getString("name")->str();
    if (*o.getString("ph") == "X")
      slices[*o.getInteger("tid")].push_back(
          {*o.getObject("args")->getInteger("start_cycle"),
           *o.getObject("args")->getInteger("end_cycle")});
  }
  EXPECT_EQ(tracks, (std::map<int64_t, std::string>{
                        {1, "load"}, {2, "compute"}, {3, "store"}}));
  EXPECT_EQ(slices[1],
            (std::vector<std::pair<int64_t, int64_t>>{{0, 79}, {79, 158}}));
  EXPECT_EQ(slices[2],
            (std::vector<std::pair<int64_t, int64_t>>{{79, 186}, {186, 293}}));
  EXPECT_NE(text.find("\"name\":\"gemm b\""), std::string::npos);
}

} // namespace

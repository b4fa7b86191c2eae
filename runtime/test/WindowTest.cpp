//===- WindowTest.cpp - GEMM_WIN: rows, simulator, cycle model, loader ----===//
//
// Expected values come from docs/isa.md 3.8 written out here (the rows
// decoded byte by byte, the conv summed directly), not from the runtime's
// decoder.
//
//===----------------------------------------------------------------------===//

#include "ProgramBuilder.h"

#include "dlprt/CycleModel.h"
#include "dlprt/Program.h"
#include "dlprt/Window.h"

#include "gtest/gtest.h"

#include <random>

using namespace dlprt;
using namespace dlprt::isa;
using namespace dlprt::test;

namespace {

constexpr int kH = 4, kW = 5, kCb = 2, kSteps = 9 * kCb, kK = kSteps * 8;

TargetConfig windowTarget(uint32_t window = 4) {
  TargetConfig t = tinyTarget();
  t.window = window;
  return t;
}

int64_t codeValue(int code) {
  int k = code & 7;
  return k == 0 ? 0 : (code & 8 ? -1 : 1) * (int64_t(1) << (k - 1));
}

/// docs/isa.md 3.8 for `rows` (Q + 1 = 9 bytes each, zeros past them):
/// the multiplier of (k, q), modulo 2^32.
std::vector<uint32_t> referenceWeights(const std::vector<uint8_t> &rows,
                                       unsigned W, unsigned slots) {
  auto byte = [&](uint64_t r, unsigned b) -> uint8_t {
    return r * 9 + b < rows.size() ? rows[r * 9 + b] : 0;
  };
  std::vector<uint32_t> w(kK * 8, 0);
  for (unsigned win = 0; win < (kSteps + W - 1) / W; ++win)
    for (unsigned j = 0; j < slots; ++j)
      for (unsigned l = 0; l < 8; ++l)
        for (unsigned q = 0; q < 8; ++q) {
          uint8_t e = byte(kCb + (win * slots + j) * 8 + l, q);
          unsigned o = e >> 4, s = win * W + o;
          if (o >= W || s >= unsigned(kSteps))
            continue;
          unsigned align = byte(s % kCb, l) & 31;
          w[(s * 8 + l) * 8 + q] += uint32_t(codeValue(e & 15)) << align;
        }
  return w;
}

/// Runs a GEMM_WIN (3x3 conv, pad 1, two blocks of a 4 x 5 input, bias 7)
/// of `rows` with `slots` on a window-W target and checks every
/// accumulator against the conv of the reference multipliers.
void checkConv(const std::vector<uint8_t> &rows, unsigned W, unsigned slots,
               unsigned seed, const std::string &what) {
  TargetConfig t = windowTarget(W);
  Builder b(t);
  b.p.dataBytes = 1024;
  std::vector<uint8_t> data(b.p.dataBytes, 0);
  std::mt19937 drng(seed);
  for (int i = 0; i < kCb * kH * kW * 8; ++i)
    data[i] = uint8_t(drng());
  std::vector<uint8_t> padded = rows;
  padded.resize((rows.size() + 8) / 9 * 9, 0);
  uint64_t ro = b.addConst(padded);
  uint64_t pa = b.params(std::vector<int32_t>(8, 7), std::vector<int8_t>(8, 1),
                         std::vector<int8_t>(8, -128),
                         std::vector<int8_t>(8, 127), std::vector<int8_t>(8));
  b.emit(load(Buf::FBuf, Region::Data, 0, 0, kH * kW, kCb, kH * kW * 8))
      .emit(load(Buf::WBuf, Region::Const, 0, int64_t(ro),
                 int64_t(padded.size() / 9), 1, 0, 1, 0, 2))
      .emit(load(Buf::PBuf, Region::Const, 0, int64_t(pa), 1))
      .emit(instr(Opcode::Sync, {}))
      .emit(instr(Opcode::GemmWin,
                  {{"in_h", kH}, {"in_w", kW}, {"in_cb", kCb},
                   {"in_cstride", kH * kW}, {"out_h", kH}, {"out_w", kW},
                   {"k_h", 3}, {"k_w", 3}, {"stride_h", 1}, {"stride_w", 1},
                   {"dil_h", 1}, {"dil_w", 1}, {"pad_t", 1}, {"pad_l", 1},
                   {"slots", int64_t(slots)}}))
      .emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  ASSERT_TRUE(sim) << what;
  std::vector<uint32_t> w = referenceWeights(padded, W, slots);
  bool nonZero = false;
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      for (int q = 0; q < 8; ++q) {
        uint32_t acc = 7;
        for (int k = 0; k < kK; ++k) {
          int l = k % 8, cb = (k / 8) % kCb, tap = k / (8 * kCb);
          int iy = y + tap / 3 - 1, ix = x + tap % 3 - 1;
          if (iy < 0 || iy >= kH || ix < 0 || ix >= kW)
            continue;
          acc += uint32_t(int8_t(data[((cb * kH + iy) * kW + ix) * 8 + l])) *
                 w[k * 8 + q];
        }
        nonZero |= acc != 7;
        EXPECT_EQ(uint32_t(sim->state().abuf[(y * kW + x) * 8 + q]), acc)
            << what << " at " << y << "," << x << "," << q;
      }
  EXPECT_TRUE(nonZero) << what;
}

/// Random pow2 codes (K x Q) at `percent` density, channel 5 all zero.
std::vector<int8_t> randomCodes(std::mt19937 &rng, int percent) {
  std::vector<int8_t> codes(kK * 8, 0);
  for (int k = 0; k < kK; ++k)
    for (int q = 0; q < 8; ++q)
      if (q != 5 && int(rng() % 100) < percent) {
        int v = int(rng() % 15) + 1;
        codes[k * 8 + q] = int8_t(v == 8 ? 7 : v);
      }
  return codes;
}

} // namespace

TEST(Window, EncodeMatchesTheLayout) {
  // Steps 3, L = 2, Q = 2, W = 2: windows {0, 1} and {2}; inCb 1.
  // codes by (k = s * 2 + l, q).
  std::vector<int8_t> codes = {1, 0,  // s0 l0
                               0, 0,  // s0 l1
                               2, 9,  // s1 l0
                               0, 0,  // s1 l1
                               0, 0,  // s2 l0
                               0, 15}; // s2 l1
  std::vector<int32_t> align = {3, 33};
  // (window 0, lane 0, q 0) holds two entries.
  EXPECT_EQ(windowSlots(codes.data(), 3, 2, 2, 2), 2u);
  std::vector<uint8_t> r =
      encodeWindowRows(codes.data(), align.data(), 3, 1, 2, 2, 2, 2);
  ASSERT_EQ(r.size(), windowRows(1, 3, 2, 2, 2) * 3);
  ASSERT_EQ(r.size(), (1u + 2 * 2 * 2) * 3);
  std::vector<uint8_t> want = {
      3, 1, 0,               // alignments (33 mod 32), then the row's byte
      0x01, 0x19, 0,         // w0 j0 l0: q0 (s0, 1), q1 (s1, 9)
      0, 0, 0,               // w0 j0 l1
      0x12, 0, 0,            // w0 j1 l0: q0 (s1, 2)
      0, 0, 0,               // w0 j1 l1
      0, 0, 0,               // w1 j0 l0
      0, 0x0f, 0,            // w1 j0 l1: q1 (s2, 15)
      0, 0, 0, 0, 0, 0};     // w1 j1
  EXPECT_EQ(r, want);
}

// GEMM_WIN computes the definition's accumulators at several densities
// and windows (a last window shorter than W included), with alignments
// per channel block and lane.
TEST(Window, SimulatorMatchesTheDefinition) {
  std::mt19937 rng(3);
  for (unsigned W : {2u, 4u, 16u})
    for (int percent : {10, 50, 100}) {
      std::vector<int8_t> codes = randomCodes(rng, percent);
      std::vector<int32_t> align(kCb * 8);
      for (int32_t &a : align)
        a = int32_t(rng() % 4);
      unsigned slots = windowSlots(codes.data(), kSteps, 8, 8, W);
      std::vector<uint8_t> rows = encodeWindowRows(
          codes.data(), align.data(), kSteps, kCb, 8, 8, W, slots);
      // The encoding holds the codes: the reference multipliers are the
      // codes' at their rows' alignments.
      std::vector<uint32_t> w = referenceWeights(rows, W, slots);
      for (int k = 0; k < kK; ++k)
        for (int q = 0; q < 8; ++q)
          ASSERT_EQ(w[k * 8 + q], uint32_t(codeValue(codes[k * 8 + q]))
                                      << align[((k / 8) % kCb) * 8 + k % 8])
              << "W " << W << " " << percent << "% k " << k << " q " << q;
      checkConv(rows, W, slots, unsigned(percent),
                "W " + std::to_string(W) + " " + std::to_string(percent) + "%");
    }
}

// Any bytes have a defined result: an offset past W, a step past the last
// in a short last window, code 8, two entries of one (k, q), alignments
// above 31, slots beyond what the codes need.
TEST(Window, HostileRowsFollowTheDefinition) {
  std::mt19937 rng(7);
  std::vector<int8_t> codes = randomCodes(rng, 30);
  std::vector<int32_t> align(kCb * 8, 1);
  const unsigned W = 4;
  unsigned slots = windowSlots(codes.data(), kSteps, 8, 8, W) + 1;
  std::vector<uint8_t> base = encodeWindowRows(codes.data(), align.data(),
                                               kSteps, kCb, 8, 8, W, slots);
  auto slotByte = [&](unsigned win, unsigned j, unsigned l, unsigned q) {
    return size_t((kCb + (win * slots + j) * 8 + l) * 9 + q);
  };
  std::vector<std::vector<uint8_t>> cases;
  cases.push_back(base);
  cases.back()[slotByte(0, 0, 1, 2)] = 0x53; // offset 5 >= W: nothing
  cases.push_back(base);
  cases.back()[slotByte(4, 0, 3, 1)] = 0x33; // window 4's step 19 >= 18
  cases.push_back(base);
  cases.back()[slotByte(1, 0, 0, 0)] = 0x28; // code 8 adds nothing
  cases.push_back(base);
  cases.back()[slotByte(2, slots - 1, 6, 7)] = 0x25; // a second entry
  cases.back()[slotByte(2, 0, 6, 7)] = 0x21;         // of one (k, q)
  cases.push_back(base);
  cases.back()[1 * 9 + 4] = 215; // alignment 215 reads as 23
  for (size_t c = 0; c < cases.size(); ++c)
    checkConv(cases[c], W, slots, unsigned(c), "case " + std::to_string(c));
}

// docs/cycle-model.md 2.6 worked by hand for the tiny target (L = Q = 8)
// with W = 4: the 3x3 conv over two blocks has 18 steps, so 5 windows; 20
// output pixels x 5 windows x slots array steps, one WBUF read for the 2
// alignment rows, P_gemm = 4 + log2 8 + the select stage = 8, the
// epilogue's 3 stages.
TEST(Window, CycleModelTimesSlotsPerWindow) {
  for (unsigned slots : {1u, 2u, 3u}) {
    Instr in = instr(Opcode::GemmWin,
                     {{"in_h", kH}, {"in_w", kW}, {"in_cb", kCb},
                      {"in_cstride", kH * kW}, {"out_h", kH}, {"out_w", kW},
                      {"k_h", 3}, {"k_w", 3}, {"stride_h", 1},
                      {"stride_w", 1}, {"dil_h", 1}, {"dil_w", 1},
                      {"epilogue", 1}, {"slots", int64_t(slots)}});
    llvm::Expected<Timeline> tl =
        cycleModel({in, Instr::make(Opcode::End)}, windowTarget(4));
    ASSERT_TRUE(bool(tl)) << llvm::toString(tl.takeError());
    EXPECT_EQ(tl->cost[0].cycles, 20u * 5 * slots + 1 + 7 + 1 + 3) << slots;
    EXPECT_EQ(tl->cost[0].macSlots, 20u * 5 * slots * 64) << slots;
    // With 3 pixels per step: 20 pixels in 7 groups.
    TargetConfig px = windowTarget(4);
    px.pixels = 3;
    llvm::Expected<Timeline> tp =
        cycleModel({in, Instr::make(Opcode::End)}, px);
    ASSERT_TRUE(bool(tp)) << llvm::toString(tp.takeError());
    EXPECT_EQ(tp->cost[0].cycles, 7u * 5 * slots + 1 + 7 + 1 + 3) << slots;
    EXPECT_EQ(tp->cost[0].macSlots, 7u * 5 * slots * 64 * 3) << slots;
    // The 3 pixels' window origins at stride 1 in rows of 5 vectors lie
    // 1 apart in a row and 5 - 4 = 1 across a row end: distinct in the
    // default 8 banks, and in 2 banks whenever a group's first and last
    // are both even or both odd, i.e. every group of 3 (the last, of
    // pixels 18 and 19, is one of each): its windows take 2 cycles.
    px.featureBankCount = 2;
    llvm::Expected<Timeline> tb =
        cycleModel({in, Instr::make(Opcode::End)}, px);
    ASSERT_TRUE(bool(tb)) << llvm::toString(tb.takeError());
    uint64_t steps = 6 * 5 * std::max(2u, slots) + 5 * slots;
    EXPECT_EQ(tb->cost[0].cycles, steps + 1 + 7 + 1 + 3) << slots;
    // The waits issue nothing: the MAC slots stay 7 groups' windows'.
    EXPECT_EQ(tb->cost[0].macSlots, 7u * 5 * slots * 64 * 3) << slots;
  }
  // A dense GEMM at stride 2 over rows of 11 vectors (5 x 5 outputs of a
  // 3 x 3 kernel): pixel (y, x)'s window starts at 22 y + 2 x. Groups of
  // 3 in raster order: 0 2 4 | 6 8 22 | 24 26 28 | 30 44 46 | 48 50 52 |
  // 66 68 70 | 72 74 88 | 90 92 94 | 96. In 4 banks each group of 3 has
  // two in one bank (even origins: banks 0 and 2 only): 8 x 2 + 1 = 17
  // cycles per step. In 8 banks only the groups across a row end meet
  // (22, 46, 88 fall on 6, 6, 0 beside 6, 30, 72): 3 x 2 + 6 = 12. 18
  // steps (3 x 3 taps, 2 blocks), P_gemm 8.
  Instr dense = instr(Opcode::Gemm,
                      {{"in_h", 11}, {"in_w", 11}, {"in_cb", kCb},
                       {"in_cstride", 121}, {"out_h", 5}, {"out_w", 5},
                       {"k_h", 3}, {"k_w", 3}, {"stride_h", 2},
                       {"stride_w", 2}, {"dil_h", 1}, {"dil_w", 1}});
  TargetConfig px = windowTarget(4);
  px.pixels = 3;
  for (auto [banks, perStep] : {std::pair<uint32_t, uint64_t>{4, 17}, {8, 12}}) {
    px.featureBankCount = banks;
    llvm::Expected<Timeline> td =
        cycleModel({dense, Instr::make(Opcode::End)}, px);
    ASSERT_TRUE(bool(td)) << llvm::toString(td.takeError());
    EXPECT_EQ(td->cost[0].cycles, 18 * perStep + 8) << banks;
  }
}

// The loader names the instruction and field of every GEMM_WIN rule.
TEST(Window, LoaderRefusesWhatTheTargetCannotRun) {
  auto errorOf = [](TargetConfig t, Fields extra) {
    Fields fields = {{"in_h", 1},     {"in_w", 1},     {"in_cb", 1},
                     {"in_cstride", 1}, {"out_h", 1},  {"out_w", 1},
                     {"k_h", 1},      {"k_w", 1},      {"stride_h", 1},
                     {"stride_w", 1}, {"dil_h", 1},    {"dil_w", 1},
                     {"slots", 1}};
    fields.insert(fields.end(), extra.begin(), extra.end());
    return oneInstructionError(t, Opcode::GemmWin, std::move(fields));
  };
  EXPECT_EQ(errorOf(windowTarget(), {}), "");
  EXPECT_NE(errorOf(tinyTarget(), {}).find(
                "instruction #0 (gemm_win): target 'tiny' has no "
                "window-sparse array (GEMM_WIN needs array.window > 1)"),
            std::string::npos);
  EXPECT_NE(errorOf(windowTarget(), {{"wfmt", 1}})
                .find("field 'wfmt' = 1: GEMM_WIN's entries hold pow2-4 "
                      "codes: must be 0"),
            std::string::npos);
  EXPECT_NE(errorOf(windowTarget(), {{"slots", 0}})
                .find("field 'slots' = 0: must be at least 1"),
            std::string::npos);
  EXPECT_NE(errorOf(windowTarget(), {{"in_cb", 65}, {"in_cstride", 1}})
                .find("field 'in_cb' = 65: GEMM_WIN keeps the alignments of "
                      "at most 64 input channel blocks"),
            std::string::npos);
  // 1 alignment row + 1 window x 1 slot x 8 rows = 9 rows from w_addr;
  // the tiny target has 512 WBUF rows.
  EXPECT_EQ(errorOf(windowTarget(), {{"w_addr", 503}}), "");
  EXPECT_NE(errorOf(windowTarget(), {{"w_addr", 504}})
                .find("field 'w_addr' = 504: touches WBUF units [504, 513)"),
            std::string::npos);
}

// A binary whose header says ISA version 3 cannot hold GEMM_WIN (version 4).
TEST(Window, BinaryOfAnEarlierIsaRefusesGemmWin) {
  Builder b(windowTarget());
  b.p.dataBytes = 64;
  b.emit(instr(Opcode::GemmWin,
               {{"in_h", 1}, {"in_w", 1}, {"in_cb", 1}, {"in_cstride", 1},
                {"out_h", 1}, {"out_w", 1}, {"k_h", 1}, {"k_w", 1},
                {"stride_h", 1}, {"stride_w", 1}, {"dil_h", 1}, {"dil_w", 1},
                {"slots", 1}}))
      .emit(instr(Opcode::End, {}));
  std::vector<uint8_t> bytes = writeBinary(b.p);
  EXPECT_EQ(loadError(bytes), "");
  bytes[6] = 3; // the header's ISA version
  EXPECT_NE(loadError(bytes).find("instruction #0: GEMM_WIN is ISA version 4 "
                                  "(the header says 3): invalid opcode"),
            std::string::npos)
      << loadError(bytes);
}

//===- CsrTest.cpp - GEMM_CSR: stream format, simulator, cycle model ------===//
//
// Expected values come from docs/isa.md 3.7 written out here (the stream
// layout decoded byte by byte), not from the runtime's decoder.
//
//===----------------------------------------------------------------------===//

#include "ProgramBuilder.h"

#include "dlprt/CycleModel.h"
#include "dlprt/Csr.h"
#include "dlprt/Program.h"

#include "gtest/gtest.h"

#include <random>

using namespace dlprt;
using namespace dlprt::isa;
using namespace dlprt::test;

namespace {

int64_t codeValue(int code, WFmt fmt) {
  if (fmt == WFmt::Int8)
    return int8_t(code);
  int k = code & 7;
  return k == 0 ? 0 : (code & 8 ? -1 : 1) * (int64_t(1) << (k - 1));
}

uint64_t le(const std::vector<uint8_t> &s, uint64_t at, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i)
    v |= uint64_t(at + i < s.size() ? s[at + i] : 0) << (8 * i);
  return v;
}

/// docs/isa.md 3.7 for a stream `s` (bytes past it are zero): the
/// multiplier of (k, q), modulo 2^32.
std::vector<uint32_t> referenceWeights(const std::vector<uint8_t> &s,
                                       uint64_t K, unsigned Q, WFmt fmt) {
  uint64_t nnz = le(s, 0, 4);
  uint64_t ptrAt = 4 + K, colAt = ptrAt + 4 * (Q + 1), codeAt = colAt + 2 * nnz;
  std::vector<uint32_t> w(K * Q, 0);
  for (unsigned q = 0; q < Q; ++q) {
    uint64_t b = std::min(le(s, ptrAt + 4 * q, 4), nnz);
    uint64_t e = std::min(le(s, ptrAt + 4 * (q + 1), 4), nnz);
    for (uint64_t i = b; i < e; ++i) {
      uint64_t k = le(s, colAt + 2 * i, 2);
      if (k >= K)
        continue;
      int code = fmt == WFmt::Pow2 ? (le(s, codeAt + i / 2, 1) >> (4 * (i % 2))) & 15
                                   : int(le(s, codeAt + i, 1));
      unsigned align = le(s, 4 + k, 1) & 31;
      w[k * Q + q] += uint32_t(codeValue(code, fmt)) << align;
    }
  }
  return w;
}

/// A 3x3 conv over two channel blocks (K = 144) as GEMM_CSR and, on the
/// same input, a dense GEMM of the same weights; returns both ABUF tiles
/// and the stream's expected multipliers.
struct BothRuns {
  std::vector<uint32_t> csrAcc, denseAcc;
};

BothRuns runBoth(WFmt fmt, const std::vector<uint8_t> &stream,
            const std::vector<int8_t> &denseCodes,
            const std::vector<uint8_t> &align, std::vector<uint8_t> &data) {
  const int H = 4, W = 5, OH = 4, OW = 5, K = 144;
  TargetConfig t = tinyTarget();
  t.csrDenseRows = 256;
  Builder b(t);
  b.p.dataBytes = 1024;
  data.assign(b.p.dataBytes, 0);
  std::mt19937 drng(11); // the input: two blocks of 4 x 5 vectors
  for (int i = 0; i < 2 * H * W * 8; ++i)
    data[i] = uint8_t(drng());
  // The stream as rows of Q + 1 raw bytes (at most 357: int8 at 100 %),
  // then the dense rows from WBUF row 360.
  std::vector<uint8_t> padded = stream;
  padded.resize((stream.size() + 8) / 9 * 9, 0);
  uint64_t so = b.addConst(padded);
  std::vector<std::vector<int8_t>> rows(K, std::vector<int8_t>(8));
  for (int k = 0; k < K; ++k)
    for (int q = 0; q < 8; ++q)
      rows[k][q] = denseCodes[k * 8 + q];
  uint64_t dense;
  if (fmt == WFmt::Int8) {
    dense = b.int8Rows(rows, align);
  } else {
    std::vector<std::vector<uint8_t>> c(K, std::vector<uint8_t>(8));
    for (int k = 0; k < K; ++k)
      for (int q = 0; q < 8; ++q)
        c[k][q] = uint8_t(rows[k][q]);
    dense = b.pow2Rows(c, align);
  }
  uint64_t pa = b.params(std::vector<int32_t>(8, 0), std::vector<int8_t>(8, 1),
                         std::vector<int8_t>(8, -128),
                         std::vector<int8_t>(8, 127), std::vector<int8_t>(8));
  b.emit(load(Buf::FBuf, Region::Data, 0, 0, H * W, 2, H * W * 8))
      .emit(load(Buf::WBuf, Region::Const, 0, int64_t(so),
                 int64_t(padded.size() / 9), 1, 0, 1, 0, 2))
      .emit(load(Buf::WBuf, Region::Const, 360, int64_t(dense), K, 1, 0, 1, 0,
                 int64_t(fmt)))
      .emit(load(Buf::PBuf, Region::Const, 0, int64_t(pa), 1))
      .emit(instr(Opcode::Sync, {}));
  Fields geo = {{"in_h", H},      {"in_w", W},    {"in_cb", 2},
                {"in_cstride", H * W},            {"out_h", OH},
                {"out_w", OW},    {"k_h", 3},     {"k_w", 3},
                {"stride_h", 1},  {"stride_w", 1}, {"dil_h", 1},
                {"dil_w", 1},     {"pad_t", 1},   {"pad_l", 1},
                {"wfmt", int64_t(fmt)}};
  Instr c = instr(Opcode::GemmCsr, geo), d = instr(Opcode::Gemm, geo);
  EXPECT_TRUE(c.set(Field::GemmCsr_acc_addr, 0));
  EXPECT_TRUE(d.set(Field::Gemm_acc_addr, 40));
  EXPECT_TRUE(d.set(Field::Gemm_w_addr, 360));
  b.emit(c).emit(d).emit(instr(Opcode::End, {}));
  std::unique_ptr<Simulator> sim = runProgram(b.p, data);
  BothRuns r;
  if (!sim)
    return r;
  const auto &ab = sim->state().abuf;
  for (int i = 0; i < OH * OW * 8; ++i) {
    r.csrAcc.push_back(uint32_t(ab[i]));
    r.denseAcc.push_back(uint32_t(ab[40 * 8 + i]));
  }
  // Timing the whole program reads the stream too.
  EXPECT_TRUE(bool(cycleModel(b.p)));
  return r;
}

/// GEMM_CSR of a 3x3 conv, padding 1, over two blocks of a 4 x 5 input at
/// FBUF 0 (block stride 20), stream at WBUF 0, ABUF 0, PBUF 0.
Instr csrConv() {
  return instr(Opcode::GemmCsr,
               {{"in_h", 4}, {"in_w", 5}, {"in_cb", 2}, {"in_cstride", 20},
                {"out_h", 4}, {"out_w", 5}, {"k_h", 3}, {"k_w", 3},
                {"stride_h", 1}, {"stride_w", 1}, {"dil_h", 1}, {"dil_w", 1},
                {"pad_t", 1}, {"pad_l", 1}});
}

/// Adds `stream` to const as whole WBUF rows (Q + 1 = 9 bytes) and emits
/// its LOAD (wfmt 2) to WBUF 0; returns the padded rows.
std::vector<uint8_t> loadStream(Builder &b, const std::vector<uint8_t> &stream) {
  std::vector<uint8_t> padded = stream;
  padded.resize((stream.size() + 8) / 9 * 9, 0);
  uint64_t so = b.addConst(padded);
  b.emit(load(Buf::WBuf, Region::Const, 0, int64_t(so),
              int64_t(padded.size() / 9), 1, 0, 1, 0, 2));
  return padded;
}

TEST(Csr, EncodeMatchesTheLayoutAndDecodes) {
  // K = 5, Q = 3 (the layout, not the machine): codes by (k, q).
  std::vector<int8_t> codes = {0, 3, 0,  //
                               9, 0, 0,  //
                               0, 0, 0,  //
                               2, 0, 15, //
                               0, 0, 1};
  std::vector<int32_t> align = {0, 1, 2, 3, 31};
  std::vector<uint8_t> s = encodeCsr(codes.data(), align.data(), 5, 3,
                                     WFmt::Pow2);
  ASSERT_EQ(s.size(), csrStreamBytes(5, 5, 3, WFmt::Pow2));
  EXPECT_EQ(le(s, 0, 4), 5u);                       // nnz
  for (int k = 0; k < 5; ++k)
    EXPECT_EQ(s[4 + k], align[k]);
  // q0: k 1, 3; q1: k 0; q2: k 3, 4.
  std::vector<uint64_t> ptr = {0, 2, 3, 5};
  for (int q = 0; q <= 3; ++q)
    EXPECT_EQ(le(s, 9 + 4 * q, 4), ptr[q]);
  std::vector<uint64_t> col = {1, 3, 0, 3, 4};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(le(s, 25 + 2 * i, 2), col[i]);
  EXPECT_EQ(s[35], 9 | (2 << 4));
  EXPECT_EQ(s[36], 3 | (15 << 4));
  EXPECT_EQ(s[37], 1);
  CsrWeights w = readCsr(
      [&](uint64_t i) -> uint8_t { return i < s.size() ? s[i] : 0; }, 5, 3,
      WFmt::Pow2, 100);
  EXPECT_EQ(w.nnz, 5u);
  EXPECT_EQ(w.maxPerChannel(), 2u);
  EXPECT_EQ(w.k, std::vector<uint32_t>({1, 3, 0, 3, 4}));
  EXPECT_EQ(w.code, std::vector<uint8_t>({9, 2, 3, 15, 1}));
}

// GEMM_CSR gives the dense GEMM's accumulators and the definition's, for
// pow2 and int8 weights at several densities (all-zero output channels
// included).
TEST(Csr, SimulatorMatchesDenseAndDefinition) {
  std::mt19937 rng(5);
  const int K = 144;
  for (WFmt fmt : {WFmt::Pow2, WFmt::Int8})
    for (int percent : {0, 10, 50, 100}) {
      std::vector<int8_t> codes(K * 8, 0);
      std::vector<uint8_t> align(K);
      std::vector<int32_t> align32(K);
      for (int k = 0; k < K; ++k) {
        align[k] = uint8_t(rng() % 4);
        align32[k] = align[k];
        for (int q = 0; q < 8; ++q) {
          if (q == 5 || int(rng() % 100) >= percent)
            continue; // channel 5 stays all zero
          int v = fmt == WFmt::Pow2 ? int(rng() % 15) + 1
                                    : int(rng() % 255) - 127;
          if (fmt == WFmt::Pow2 && v == 8)
            v = 7;
          codes[k * 8 + q] = int8_t(v);
        }
      }
      std::vector<uint8_t> s =
          encodeCsr(codes.data(), align32.data(), K, 8, fmt);
      std::vector<uint8_t> data;
      BothRuns r = runBoth(fmt, s, codes, align, data);
      ASSERT_EQ(r.csrAcc.size(), 4u * 5 * 8) << percent;
      EXPECT_EQ(r.csrAcc, r.denseAcc) << "fmt " << int(fmt) << " " << percent;
      if (percent > 0) // a non-zero input and weights: not all zero
        EXPECT_TRUE(std::any_of(r.csrAcc.begin(), r.csrAcc.end(),
                                [](uint32_t v) { return v != 0; }));
    }
}

// Hostile streams have defined results: an index past K, pointers that go
// backwards or past nnz, an nnz larger than the buffer, an alignment above
// 31, two entries of one (k, q). The accumulators follow the definition.
TEST(Csr, HostileStreamsFollowTheDefinition) {
  std::mt19937 rng(9);
  const int K = 144;
  std::vector<int8_t> codes(K * 8, 0);
  std::vector<int32_t> align32(K, 1);
  for (int i = 0; i < 300; ++i)
    codes[rng() % (K * 8)] = int8_t(rng() % 7 + 1);
  std::vector<uint8_t> base = encodeCsr(codes.data(), align32.data(), K, 8,
                                        WFmt::Pow2);
  uint64_t nnz = le(base, 0, 4), ptrAt = 4 + K, colAt = ptrAt + 36;
  auto put = [](std::vector<uint8_t> &s, uint64_t at, uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; ++i)
      s[at + i] = uint8_t(v >> (8 * i));
  };
  std::vector<std::vector<uint8_t>> cases;
  cases.push_back(base);
  put(cases.back(), colAt + 2 * 3, 60000, 2); // index past K
  cases.push_back(base);
  put(cases.back(), ptrAt + 4 * 2, 1, 4); // q1's range ends before it starts
  cases.push_back(base);
  put(cases.back(), ptrAt + 4 * 8, 1u << 30, 4); // past nnz
  cases.push_back(base);
  put(cases.back(), 0, 0xffffffffu, 4); // nnz beyond the buffer
  cases.push_back(base);
  cases.back()[4 + 7] = 215; // alignment 215 reads as 215 % 32 = 23
  cases.push_back(base);
  put(cases.back(), colAt + 2 * 1, le(base, colAt, 2), 2); // duplicate k
  cases.push_back(base);
  put(cases.back(), ptrAt, 5, 4); // overlapping channel ranges
  (void)nnz;
  for (size_t c = 0; c < cases.size(); ++c) {
    std::vector<uint8_t> data;
    TargetConfig t = tinyTarget();
    t.csrDenseRows = 256;
    Builder b(t);
    b.p.dataBytes = 1024;
    data.assign(b.p.dataBytes, 0);
    std::mt19937 drng{unsigned(c)};
    for (int i = 0; i < 2 * 20 * 8; ++i)
      data[i] = uint8_t(drng());
    uint64_t pa = b.params(std::vector<int32_t>(8, 7), std::vector<int8_t>(8, 1),
                           std::vector<int8_t>(8, -128),
                           std::vector<int8_t>(8, 127), std::vector<int8_t>(8));
    b.emit(load(Buf::FBuf, Region::Data, 0, 0, 20, 2, 160));
    std::vector<uint8_t> padded = loadStream(b, cases[c]);
    b.emit(load(Buf::PBuf, Region::Const, 0, int64_t(pa), 1))
        .emit(instr(Opcode::Sync, {}))
        .emit(csrConv())
        .emit(instr(Opcode::End, {}));
    std::unique_ptr<Simulator> sim = runProgram(b.p, data);
    ASSERT_TRUE(sim) << "case " << c;
    // The stream as WBUF holds it: the padded rows, zeros after.
    std::vector<uint32_t> w = referenceWeights(padded, K, 8, WFmt::Pow2);
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 5; ++x)
        for (int q = 0; q < 8; ++q) {
          uint32_t acc = 7;
          for (int k = 0; k < K; ++k) {
            int l = k % 8, cb = (k / 8) % 2, tap = k / 16;
            int iy = y + tap / 3 - 1, ix = x + tap % 3 - 1;
            if (iy < 0 || iy >= 4 || ix < 0 || ix >= 5)
              continue;
            acc += uint32_t(int8_t(data[((cb * 4 + iy) * 5 + ix) * 8 + l])) *
                   w[k * 8 + q];
          }
          EXPECT_EQ(uint32_t(sim->state().abuf[(y * 5 + x) * 8 + q]), acc)
              << "case " << c << " at " << y << "," << x << "," << q;
        }
  }
}

// The loader refuses a GEMM_CSR whose K rows do not fit the decoder's
// dense buffer (csr.dense_rows), by instruction and field.
TEST(Csr, LoaderRefusesKPastTheDenseRows) {
  for (uint32_t rows : {144u, 136u}) {
    TargetConfig t = tinyTarget();
    t.csrDenseRows = rows;
    Builder b(t);
    b.p.dataBytes = 64;
    std::vector<int8_t> codes(144 * 8, 1);
    std::vector<int32_t> align(144, 0);
    loadStream(b, encodeCsr(codes.data(), align.data(), 144, 8, WFmt::Pow2));
    b.emit(instr(Opcode::Sync, {}))
        .emit(csrConv())
        .emit(instr(Opcode::End, {}));
    std::string text = validationError(b.p);
    if (rows == 144)
      EXPECT_EQ(text, "");
    else
      EXPECT_NE(text.find("instruction #2 (gemm_csr): field 'in_cb' = 2: "
                          "GEMM_CSR of 144 weight rows (k_h * k_w * in_cb * "
                          "L): target 'tiny' decodes at most 136 "
                          "(csr.dense_rows)"),
                std::string::npos)
          << text;
  }
}

// docs/cycle-model.md 2.5: the decoder's schedule, worked by
// hand for the tiny target (L = Q = 8, 512 WBUF rows, the stream from row
// 0), K = 144 rows (ceil(K / L) = 18), then the dense GEMM: 20 pixels x 9
// taps x 2 blocks = 360 steps.
TEST(Csr, CycleModelTimesTheDecoderThenTheDenseArray) {
  const int K = 144;
  TargetConfig t = tinyTarget();
  t.csrDenseRows = 256;
  CycleParams cp = CycleParams::fromTarget(t);
  auto timed = [&](const std::vector<uint8_t> &s) -> uint64_t {
    Builder b(t);
    b.p.dataBytes = 64;
    loadStream(b, s);
    b.emit(instr(Opcode::Sync, {}))
        .emit(csrConv())
        .emit(instr(Opcode::End, {}));
    llvm::Expected<Timeline> tl = cycleModel(b.p);
    EXPECT_TRUE(bool(tl)) << llvm::toString(tl.takeError());
    if (!tl)
      return 0;
    EXPECT_EQ(tl->cost[2].macSlots, 360u * 64u);
    return tl->cost[2].cycles - 360 - cp.gemmPipeline;
  };
  std::vector<int32_t> align(K, 0);
  auto encode = [&](const std::vector<int8_t> &codes) {
    return encodeCsr(codes.data(), align.data(), K, 8, WFmt::Pow2);
  };
  // Every stream: the header read, K / L = 18 alignment reads, column 0's
  // pointer pair and the last writes (21 cycles), then two cycles per
  // column for its pair's data and their use (16): 37; then per window of L = 8 entries its row indices' and
  // codes' data and as many scatter cycles as the fullest bank (row mod 8)
  // needs. Channel 2 with perChannel entries on consecutive rows (one per
  // bank: 2 + 1 per window), channels 3 and 4 one entry each (3 cycles
  // each).
  for (int perChannel : {0, 1, 8, 9, 17, 144}) {
    std::vector<int8_t> codes(K * 8, 0);
    for (int k = 0; k < perChannel; ++k)
      codes[k * 8 + 2] = 1;
    codes[3] = codes[8 + 4] = 1;
    EXPECT_EQ(timed(encode(codes)),
              37u + 2u * 3u + 3u * uint64_t((perChannel + 7) / 8))
        << perChannel;
  }
  // Dense (every code 1): 18 windows of one entry per bank, 8 channels:
  // 37 + 8 * 18 * 3.
  EXPECT_EQ(timed(encode(std::vector<int8_t>(K * 8, 1))), 37u + 432u);
  // Bank conflicts: channel 0 on rows 0, 8, .., 56 (all bank 0: 2 + 8),
  // channel 1 on rows 0-3 and 8-11 (banks 0-3 twice: 2 + 2).
  std::vector<int8_t> clash(K * 8, 0);
  for (int i = 0; i < 8; ++i)
    clash[i * 8 * 8] = 1;
  for (int k : {0, 1, 2, 3, 8, 9, 10, 11})
    clash[k * 8 + 1] = 1;
  EXPECT_EQ(timed(encode(clash)), 37u + 10u + 4u);
  // A hostile header: nnz = 2000 with channel 0's range [0, 2000) (its code
  // section starts at 184 + 4000 < 512 * 9 bytes, so the range stands):
  // 250 windows whose row indices read 0 (all bank 0): 250 * (2 + 8).
  std::vector<uint8_t> h(184, 0);
  h[0] = 2000 & 255;
  h[1] = 2000 >> 8;
  for (int q = 1; q <= 8; ++q) { // ptr[1..8] = 2000
    h[148 + 4 * q] = 2000 & 255;
    h[148 + 4 * q + 1] = 2000 >> 8;
  }
  h.resize(4096, 0); // 456 rows' worth; the rest of WBUF reads zero
  EXPECT_EQ(timed(h), 37u + 250u * 10u);
  // nnz = 3000: the code section would start at 6184, past WBUF: the
  // entries add nothing and the ranges are empty (n = 0).
  h[0] = 3000 & 255;
  h[1] = 3000 >> 8;
  EXPECT_EQ(timed(h), 37u);
}

} // namespace

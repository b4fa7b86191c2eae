//===- CsrTb.cpp - dlp_csr_dec + dlp_gemm against the simulator -----------===//
//
//   rtl-csr-tb <config.json> [seed] [instructions]
//
// Runs `instructions` GEMM_CSR instructions (directed ones first, then
// random) through CsrTop (hw/test/CsrTop.sv): dlp_csr_dec expanding the
// CSR stream into its dense buffer, then dlp_gemm started the cycle after
// `decoded` with the instruction as a GEMM (w_addr 0) reading that buffer,
// as dlp_core connects them. The testbench models FBUF, WBUF (rows of Q + 1
// bytes as their LOAD left them, zeros above, and the LOAD's wfmt tag),
// PBUF and ABUF and serves the read ports one cycle after the address
// (random bits on a port not read); the same contents live in a
// dlprt::MachineState (WBUF rows as tags into a Program's const region).
//
// Streams are written by the runtime's own writer (dlprt::encodeCsr) from
// random K x Q weights (pow2 codes incl. the zero code 8, int8 weights incl.
// -128; densities 0 to 1, all-zero columns and rows, K up to KMAX =
// csr.dense_rows), loaded as CSR stream rows (wfmt 2) at a random w_addr
// (now and then ending exactly at the WBUF end, or cut by it); some stream
// rows are replaced by pow2 / int8 rows or never loaded, and hostile
// streams are made from them: nnz huge / off by a few / random, pointers
// random or non-monotonic, row indices >= K, duplicate (row, column)
// entries with a zero value, random bytes. Every instruction passes
// validateProgram.
//
// Expected: `error` in the cycle of `decoded` iff the stream (as the
// simulator reads it, dlprt::readCsrFromWbuf) has two non-zero entries of
// one (row, column) or K > KMAX; then dlp_gemm must not start and nothing
// is written. Otherwise, after dlp_gemm's done, FBUF and ABUF equal
// dlprt::executeGemm of the GEMM_CSR word for word. Timing, checked exactly
// for every instruction: decode (start to decoded inclusive) = the
// decoder's schedule (dlp_csr_dec.sv's header; 2 for K > KMAX), walked here from
// the stream bytes the WBUF holds; dlp_gemm (its start to done) = the cycle
// model's cost of the dense GEMM (dlprt::instrCost). The summary compares
// the total with the cycle model's GEMM_CSR rule (docs/cycle-model.md 2.5).
//
//===----------------------------------------------------------------------===//

#include "GemmTbUtil.h"
#include "TbUtil.h"

#include "VCsrTop.h"

#include "dlprt/CycleModel.h"
#include "dlprt/Csr.h"
#include "dlprt/Isa.h"
#include "dlprt/Program.h"
#include "dlprt/Simulator.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <vector>

using namespace dlprt;
using isa::Field;

using namespace gemmtb;

namespace {


/// Random FBUF / ABUF / PBUF addresses (the epilogue's output disjoint from
/// the input rectangle, else no epilogue); w_addr is placed with the stream.
void place(Gemm &g, const Machine &m, tb::Rng &r) {
  int64_t F = int64_t(m.fbufN), A = int64_t(m.abufN);
  int64_t tile = g.tile(), out = g.outH * g.outW;
  auto at = [&](int64_t lo, int64_t hi) {
    return r.chance(15) ? r.pick<int64_t>({lo, hi}) : r.range(lo, hi);
  };
  g.inAddr = at(0, F - tile);
  g.accAddr = at(0, A - out);
  g.param = at(0, int64_t(m.pbufN) - 1);
  g.outAddr = 0;
  if (g.epi) {
    int64_t inLo = g.inAddr, inHi = g.inAddr + tile;
    bool below = inLo >= out, above = F - inHi >= out;
    if (below && (!above || r.chance(50)))
      g.outAddr = at(0, inLo - out);
    else if (above)
      g.outAddr = at(inHi, F - out);
    else
      g.epi = 0;
  }
}

bool fits(const Gemm &g, const Machine &m, int64_t kmax) {
  return g.tile() <= int64_t(m.fbufN) && g.rows(int64_t(m.L)) <= kmax &&
         g.outH * g.outW <= int64_t(m.abufN) &&
         g.outH * g.outW <= int64_t(m.fbufN) / 2;
}

/// A random geometry of at most maxSteps array steps and K <= kmax rows.
Gemm randomGemm(const Machine &m, tb::Rng &r, int64_t maxSteps, int64_t kmax) {
  Gemm g;
  for (;;) {
    g = Gemm();
    g.wfmt = r.range(0, 1);
    g.acc = r.range(0, 1);
    g.epi = r.chance(60);
    auto small = [&](int64_t lo, int64_t hi, int64_t max) {
      return r.chance(10) ? r.range(lo, max) : r.range(lo, hi);
    };
    if (r.chance(25)) { // fully connected: 1 x 1, many blocks
      g.inCb = r.chance(30) ? r.range(1, kmax / int64_t(m.L))
                            : r.range(1, 64);
      g.cstride = r.pick<int64_t>({0, 1, 1, 2});
    } else {
      g.kH = small(1, 3, 7);
      g.kW = r.chance(60) ? g.kH : small(1, 3, 7);
      g.sH = small(1, 2, 4);
      g.sW = r.chance(60) ? g.sH : small(1, 2, 4);
      g.dH = small(1, 2, 3);
      g.dW = r.chance(60) ? g.dH : small(1, 2, 3);
      g.pT = r.chance(10) ? r.range(0, 15) : r.range(0, g.kH - 1);
      g.pL = r.chance(10) ? r.range(0, 15) : r.range(0, g.kW - 1);
      g.inCb = r.chance(10) ? r.range(1, 16) : r.range(1, 4);
      g.inH = r.chance(10) ? r.range(1, 24) : r.range(1, 8);
      g.inW = r.chance(10) ? r.range(1, 24) : r.range(1, 8);
      auto natural = [](int64_t in, int64_t p0, int64_t p1, int64_t k,
                        int64_t s, int64_t d) {
        int64_t span = in + p0 + p1 - d * (k - 1);
        return span <= 0 ? int64_t(1) : (span - 1) / s + 1;
      };
      if (r.chance(75)) {
        g.outH = natural(g.inH, g.pT, r.range(0, g.pT), g.kH, g.sH, g.dH);
        g.outW = natural(g.inW, g.pL, r.range(0, g.pL), g.kW, g.sW, g.dW);
      } else {
        g.outH = r.range(1, 6);
        g.outW = r.range(1, 6);
      }
      int64_t plane = g.plane();
      switch (r.next() % 5) {
      case 0: g.cstride = 0; break;
      case 1: g.cstride = r.range(1, plane); break;
      case 2: g.cstride = plane + r.range(1, 40); break;
      default: g.cstride = plane;
      }
    }
    if (g.steps() <= maxSteps && fits(g, m, kmax))
      break;
  }
  place(g, m, r);
  return g;
}

/// How a stream is made hostile.
enum Hostile {
  HNone,
  HNnzHuge,    // nnz random 32-bit or ~0
  HNnzOff,     // nnz a few more or fewer than the entries
  HPtrs,       // pointers random / non-monotonic
  HRowsBig,    // row indices >= K
  HDupZero,    // a duplicate (row, column) whose one value is zero
  HDupNonZero, // a duplicate of two non-zero values (error)
  HBytes,      // random bytes anywhere
  HCount
};
const char *hostileName[HCount] = {"none",     "nnz-huge", "nnz-off",
                                   "ptrs",     "rows>=K",  "dup-zero",
                                   "dup-nonzero", "bytes"};

/// A stream's layout, for mutations.
struct Layout {
  uint64_t K, Q, nnz, pow2;
  uint64_t ptrAt() const { return 4 + K; }
  uint64_t colAt() const { return ptrAt() + 4 * (Q + 1); }
  uint64_t codeAt() const { return colAt() + 2 * nnz; }
};
uint32_t getLE(const std::vector<uint8_t> &s, uint64_t at, unsigned n) {
  uint32_t v = 0;
  for (unsigned i = 0; i < n; ++i)
    v |= uint32_t(at + i < s.size() ? s[at + i] : 0) << (8 * i);
  return v;
}
void putLE(std::vector<uint8_t> &s, uint64_t at, unsigned n, uint32_t v) {
  for (unsigned i = 0; i < n; ++i)
    if (at + i < s.size())
      s[at + i] = uint8_t(v >> (8 * i));
}
uint8_t getCode(const std::vector<uint8_t> &s, const Layout &y, uint64_t i) {
  if (y.pow2)
    return (s[y.codeAt() + i / 2] >> (4 * (i % 2))) & 15;
  return s[y.codeAt() + i];
}
void putCode(std::vector<uint8_t> &s, const Layout &y, uint64_t i, uint8_t c) {
  if (y.pow2) {
    uint8_t &b = s[y.codeAt() + i / 2];
    b = (i % 2) ? uint8_t((b & 0x0f) | (c << 4)) : uint8_t((b & 0xf0) | (c & 15));
  } else {
    s[y.codeAt() + i] = c;
  }
}
bool nonZero(uint8_t c, bool pow2) { return pow2 ? (c & 7) != 0 : c != 0; }

/// Random sparse weights of a GEMM_CSR, encoded by dlprt::encodeCsr;
/// `maxBytes` bounds the stream (sparser weights until it fits).
std::vector<uint8_t> randomStream(tb::Rng &r, uint64_t K, uint32_t Q,
                                  bool pow2, uint64_t maxBytes,
                                  const char **densityName) {
  static const struct { const char *name; unsigned permille; } dens[] = {
      {"0", 0}, {"0.5%", 5}, {"5%", 50}, {"20%", 200}, {"50%", 500},
      {"90%", 900}, {"100%", 1000}};
  size_t di = size_t(r.next() % 7);
  for (;;) {
    unsigned pm = dens[di].permille;
    std::vector<int8_t> codes(K * Q, 0);
    std::vector<int32_t> align(K);
    std::vector<bool> zc(Q), zr(K);
    bool zeroCols = r.chance(25), zeroRows = r.chance(25);
    bool skew = r.chance(15); // one column much denser than the others
    uint32_t heavy = uint32_t(r.range(0, Q - 1));
    for (uint32_t q = 0; q < Q; ++q)
      zc[q] = zeroCols && r.chance(40);
    for (uint64_t k = 0; k < K; ++k) {
      zr[k] = zeroRows && r.chance(40);
      align[k] = int32_t(r.chance(20) ? r.pick<int>({0, 31, 32, 255, 63})
                         : r.chance(50) ? r.range(0, 31)
                                        : r.range(0, 255));
    }
    for (uint64_t k = 0; k < K; ++k)
      for (uint32_t q = 0; q < Q; ++q) {
        if (zc[q] || zr[k])
          continue;
        unsigned p = skew ? (q == heavy ? 1000 : pm / 8) : pm;
        if (uint64_t(r.next() % 1000) >= p)
          continue;
        int8_t c;
        if (pow2)
          c = r.chance(5) ? 8 : int8_t(r.pick<int>({1, 2, 3, 4, 5, 6, 7, 9,
                                                    10, 11, 12, 13, 14, 15}));
        else
          c = r.chance(10) ? r.pick<int8_t>({-128, 127, -127, 1, -1})
                           : int8_t(r.range(-128, 127));
        if (c == 0)
          c = 1;
        codes[k * Q + q] = c;
      }
    std::vector<uint8_t> s =
        encodeCsr(codes.data(), align.data(), K, Q,
                  pow2 ? isa::WFmt::Pow2 : isa::WFmt::Int8);
    if (s.size() <= maxBytes || di == 0) {
      *densityName = dens[di].name;
      return s;
    }
    --di;
  }
}

/// Makes `s` hostile as `h` says; returns whether it could.
bool mutate(std::vector<uint8_t> &s, Hostile h, const Layout &y, tb::Rng &r) {
  switch (h) {
  case HNone:
    return true;
  case HNnzHuge:
    putLE(s, 0, 4,
          r.chance(30) ? 0xffffffffu
          : r.chance(50) ? uint32_t(r.next()) | 0x80000000u
                         : uint32_t(y.nnz + r.range(1000, 1 << 20)));
    return true;
  case HNnzOff: {
    int64_t d = r.range(-8, 8);
    if (int64_t(y.nnz) + d < 0)
      d = -int64_t(y.nnz);
    putLE(s, 0, 4, uint32_t(int64_t(y.nnz) + d));
    return true;
  }
  case HPtrs:
    for (uint64_t q = 0; q <= y.Q; ++q)
      if (r.chance(50))
        putLE(s, y.ptrAt() + 4 * q, 4,
              r.chance(20) ? uint32_t(r.next())
                           : uint32_t(r.range(0, int64_t(y.nnz) + 20)));
    return true;
  case HRowsBig:
    if (!y.nnz)
      return false;
    for (int n = int(r.range(1, 8)); n > 0; --n)
      putLE(s, y.colAt() + 2 * uint64_t(r.range(0, int64_t(y.nnz) - 1)), 2,
            uint32_t(r.chance(50) ? r.range(int64_t(y.K), 65535)
                                  : int64_t(y.K)));
    return true;
  case HDupZero:
  case HDupNonZero: {
    // Two entries of one column (their ranges as the pointers say).
    std::vector<std::pair<uint64_t, uint64_t>> cols;
    for (uint64_t q = 0; q < y.Q; ++q) {
      uint64_t b = getLE(s, y.ptrAt() + 4 * q, 4),
               e = getLE(s, y.ptrAt() + 4 * (q + 1), 4);
      if (e >= b + 2)
        cols.push_back({b, e});
    }
    if (cols.empty())
      return false;
    int n = h == HDupZero ? int(r.range(1, 4)) : 1;
    for (int t = 0; t < n; ++t) {
      auto [b, e] = cols[r.next() % cols.size()];
      uint64_t i1 = uint64_t(r.range(int64_t(b), int64_t(e) - 2));
      uint64_t i2 = r.chance(50)
                        ? i1 + uint64_t(r.range(
                                   1, std::min<int64_t>(3, int64_t(e - 1 - i1))))
                        : uint64_t(r.range(int64_t(i1) + 1, int64_t(e) - 1));
      putLE(s, y.colAt() + 2 * i2, 2, getLE(s, y.colAt() + 2 * i1, 2));
      if (h == HDupZero) {
        uint8_t z = y.pow2 ? r.pick<uint8_t>({0, 8}) : 0;
        putCode(s, y, r.chance(50) ? i1 : i2, z);
      } else {
        for (uint64_t i : {i1, i2})
          if (!nonZero(getCode(s, y, i), y.pow2))
            putCode(s, y, i, y.pow2 ? 3 : 5);
      }
    }
    return true;
  }
  case HBytes:
    for (int n = int(r.range(1, 6)); n > 0; --n)
      s[size_t(r.next() % s.size())] = uint8_t(r.next());
    return true;
  default:
    return false;
  }
}

/// What the testbench expects of one GEMM_CSR.
struct Expect {
  bool error = false;
  uint64_t N1 = 0, N2 = 0, decode = 0, maxLen = 0;
  CsrStats stats;
};

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/// The decode time of dlp_csr_dec.sv's header from the stream bytes the
/// modeled WBUF holds, and the error from the simulator's reading.
Expect expect(const Machine &mc, uint64_t wAddr, uint64_t K, bool pow2,
              uint64_t kmax) {
  const uint64_t L = mc.L, Q = mc.Q, RB = Q + 1, W = mc.wbufN;
  Expect x;
  if (K > kmax) {
    x.error = true;
    x.decode = 2;
    return x;
  }
  auto byteAt = [&](uint64_t j) -> uint64_t {
    uint64_t row = wAddr + j / RB;
    return row < W ? mc.wrow[row * RB + j % RB] : 0;
  };
  auto le32 = [&](uint64_t at) {
    uint64_t v = 0;
    for (unsigned i = 0; i < 4; ++i)
      v |= byteAt(at + i) << (8 * i);
    return v;
  };
  // The decoder's schedule (dlp_csr_dec.sv's header), walked here from the
  // stream bytes: the header and alignment reads, column 0's pair, the last
  // writes, then per
  // column its pair's data and per window of L entries the row indices'
  // and the codes' data and as many scatter cycles as the fullest bank
  // (row mod L) needs.
  uint64_t nnz = le32(0);
  uint64_t colAt = 4 + K + 4 * RB, codeAt = colAt + 2 * nnz;
  uint64_t n = codeAt < (W - wAddr) * RB ? nnz : 0;
  x.N1 = ceilDiv(K, L) + 3;
  for (uint64_t q = 0; q < Q; ++q) {
    uint64_t b = std::min(le32(4 + K + 4 * q), n),
             e = std::min(le32(4 + K + 4 * (q + 1)), n);
    x.N2 += 2;
    x.maxLen = std::max(x.maxLen, e > b ? e - b : 0);
    for (uint64_t w = b; w < e; w += L) {
      std::map<uint64_t, uint64_t> bank;
      uint64_t c = 1;
      for (uint64_t i = w; i < e && i < w + L; ++i) {
        uint64_t k = byteAt(colAt + 2 * i) | byteAt(colAt + 2 * i + 1) << 8;
        if (k < K)
          c = std::max(c, ++bank[k % L]);
      }
      x.N2 += 2 + c;
    }
  }
  x.decode = x.N1 + x.N2;
  // The simulator's reading of the same stream: two non-zero entries of
  // one (row, column) are an error.
  CsrWeights cw = readCsrFromWbuf(mc.prog, mc.st.wtag.data() + wAddr,
                                  W - wAddr, K,
                                  pow2 ? isa::WFmt::Pow2 : isa::WFmt::Int8);
  // The cycle model's decode (docs/cycle-model.md 2.5) is this header's.
  x.stats = {csrDecodeCycles([&](uint64_t j) { return uint8_t(byteAt(j)); },
                             K, uint32_t(L), uint32_t(Q),
                             pow2 ? isa::WFmt::Pow2 : isa::WFmt::Int8,
                             W - wAddr)};
  std::vector<uint8_t> seen(K);
  for (uint64_t q = 0; q < Q && !x.error; ++q) {
    std::fill(seen.begin(), seen.end(), 0);
    for (uint32_t i = cw.ptr[q]; i < cw.ptr[q + 1]; ++i)
      if (nonZero(cw.code[i], pow2) && seen[cw.k[i]]++) {
        x.error = true;
        break;
      }
  }
  return x;
}

/// Writes stream `s` as CSR stream rows (LOAD wfmt 2) from WBUF row wAddr
/// (rows past WBUF dropped); with `otherPct`, a row is instead loaded as
/// pow2 / int8 or never loaded. The last row's bytes past the stream are
/// junk (a LOAD brings whole rows).
void writeStream(Machine &mc, const std::vector<uint8_t> &s, uint64_t wAddr,
                 unsigned otherPct, tb::Rng &r) {
  const size_t RB = mc.Q + 1;
  uint64_t rows = ceilDiv(s.size(), RB);
  for (uint64_t rr = 0; rr < rows && wAddr + rr < mc.wbufN; ++rr) {
    uint64_t a = wAddr + rr, off = a * RB;
    for (size_t i = 0; i < RB; ++i) {
      uint64_t j = rr * RB + i;
      mc.prog.constData[off + i] = j < s.size() ? s[j] : uint8_t(r.next());
    }
    int fmt = 2;
    if (r.chance(otherPct))
      fmt = r.pick<int>({-1, 0, 1});
    std::fill(&mc.wrow[off], &mc.wrow[off] + RB, 0);
    if (fmt < 0) {
      mc.wtag[a] = 0;
      mc.st.wtag[a] = 0;
      continue;
    }
    size_t bytes = mc.t.rowBytes(isa::WFmt(fmt));
    std::memcpy(&mc.wrow[off], &mc.prog.constData[off], bytes);
    mc.wtag[a] = uint8_t(fmt);
    mc.st.wtag[a] = 1 + 4 * uint64_t(off) + uint64_t(fmt);
  }
  mc.st.wcodeStale = true;
}

struct Tb {
  tb::Args &args;
  Machine &mc;
  VCsrTop m;
  tb::Rng rng;
  uint64_t cycle = 0;
  GemmPorts pend; ///< last cycle's reads
  // Outputs sampled in the last step.
  bool decoded = false, error = false, decBusy = false, gemmStart = false,
       done = false, gemmBusy = false, wbActive = false, gemmActive = false;

  Tb(tb::Args &a, Machine &mc) : args(a), mc(mc), rng(a.seed ^ 0xc5e) {}

  [[noreturn]] void fail(const std::string &what) {
    tb::fail(args, "cycle " + std::to_string(cycle) + ": " + what);
  }

  void memories() {
    gemmActive = pend.sample(
        m, mc, [this](const std::string &w) { fail(w); }, wbActive);
  }

  /// One clock cycle with `start` / `insn` driven (random bits without).
  void step(bool start, const isa::Instr *in) {
    m.start = start;
    if (in)
      tb::putInsn(m.insn, *in);
    else
      for (unsigned k = 0; k < 2 * isa::kInstrWords; ++k)
        m.insn[k] = uint32_t(rng.next());
    pend.serve(m, mc, rng);
    m.clk = 0;
    m.eval();
    decoded = m.decoded;
    error = m.error;
    decBusy = m.dec_busy;
    gemmStart = m.gemm_start;
    done = m.done;
    gemmBusy = m.gemm_busy;
    memories();
    m.clk = 1;
    m.eval();
    ++cycle;
  }

  void reset() {
    m.rst_n = 0;
    step(false, nullptr);
    step(false, nullptr);
    m.rst_n = 1;
  }

  /// Idle cycles: nothing may happen (`error` may stay high).
  void idle(unsigned n, bool errorHigh) {
    for (unsigned i = 0; i < n; ++i) {
      step(false, nullptr);
      if (decoded || done || decBusy || gemmBusy || gemmStart || wbActive ||
          gemmActive)
        fail("idle units: decoded / done / busy / start / a port active");
      if (error != errorHigh)
        fail(errorHigh ? "error not sticky" : "error high while idle");
    }
  }

  struct Result {
    uint64_t decode = 0, gemm = 0;
    bool error = false;
  };

  /// Runs one GEMM_CSR from its start to the decoder's decoded (error) or
  /// dlp_gemm's done.
  Result run(const isa::Instr &in, uint64_t limit) {
    Result res;
    step(true, &in);
    if (decBusy || decoded)
      fail("busy / decoded in the start cycle");
    uint64_t c = 1;
    while (!decoded) {
      step(false, nullptr);
      ++c;
      if (!decBusy)
        fail("decoder busy low before decoded");
      if (gemmActive || gemmStart)
        fail("dlp_gemm active while decoding");
      if (c > limit)
        fail("no decoded after " + std::to_string(limit) + " cycles");
    }
    res.decode = c;
    res.error = error;
    if (res.error)
      return res;
    // dlp_gemm starts the next cycle, on the dense buffer.
    step(false, nullptr);
    if (!gemmStart)
      fail("dlp_gemm not started the cycle after decoded");
    if (decBusy || wbActive)
      fail("decoder busy / reading WBUF after decoded");
    uint64_t g = 1;
    while (!done) {
      step(false, nullptr);
      ++g;
      if (wbActive || decBusy || decoded)
        fail("decoder active while dlp_gemm runs");
      if (!gemmBusy)
        fail("dlp_gemm busy low before done");
      if (g > limit)
        fail("no done after " + std::to_string(limit) + " cycles");
    }
    res.gemm = g;
    return res;
  }
};

template <typename A, typename B>
int64_t firstDiff(const A &a, const B &b, size_t n, size_t unit) {
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i])
      return int64_t(i / unit);
  return -1;
}

std::string describe(const Gemm &g, uint64_t K, const char *dens,
                     Hostile h, uint64_t streamBytes) {
  char b[640];
  std::snprintf(b, sizeof b,
                "wfmt %lld acc %lld epi %lld in %lldx%lld cb %lld cstride %lld "
                "out %lldx%lld k %lldx%lld s %lldx%lld d %lldx%lld pad "
                "%lld,%lld in_addr %lld w_addr %lld acc_addr %lld param %lld "
                "out_addr %lld; K %llu, density %s, hostile %s, stream %llu "
                "bytes",
                (long long)g.wfmt, (long long)g.acc, (long long)g.epi,
                (long long)g.inH, (long long)g.inW, (long long)g.inCb,
                (long long)g.cstride, (long long)g.outH, (long long)g.outW,
                (long long)g.kH, (long long)g.kW, (long long)g.sH,
                (long long)g.sW, (long long)g.dH, (long long)g.dW,
                (long long)g.pT, (long long)g.pL, (long long)g.inAddr,
                (long long)g.wAddr, (long long)g.accAddr, (long long)g.param,
                (long long)g.outAddr, (unsigned long long)K, dens,
                hostileName[h], (unsigned long long)streamBytes);
  return b;
}

/// One planned instruction: its geometry and how its stream is made.
struct Plan {
  Gemm g;
  Hostile h = HNone;
  int placeKind = -1;   // -1 random; 0 anywhere, 1 ending at the WBUF end, 2 cut
  int density = -1;     // -1 random; else forces weights all zero (0)
  bool bigK = false;    // K > KMAX
};

/// Directed cases (edges), placed at random addresses.
std::vector<Plan> directed(const Machine &m, tb::Rng &r, int64_t kmax) {
  std::vector<Plan> v;
  int64_t L = int64_t(m.L);
  for (int64_t f = 0; f < 2; ++f) {
    Plan p; // one step, all-zero weights (nnz 0)
    p.g.wfmt = f, p.g.epi = 1, p.density = 0;
    place(p.g, m, r);
    v.push_back(p);
    Plan fc; // fully connected, K = KMAX
    fc.g.wfmt = f, fc.g.inCb = kmax / L, fc.g.cstride = 1, fc.g.epi = 1;
    if (fits(fc.g, m, kmax)) {
      place(fc.g, m, r);
      v.push_back(fc);
    }
    Plan big = fc; // K > KMAX: error
    big.g.inCb = kmax / L + 1, big.bigK = true;
    if (fits(big.g, m, kmax + L)) {
      place(big.g, m, r);
      v.push_back(big);
    }
    Plan c3; // 3 x 3 pad 1 on 6 x 6, 2 blocks: each hostile kind
    c3.g.wfmt = f, c3.g.inH = c3.g.inW = c3.g.outH = c3.g.outW = 6;
    c3.g.kH = c3.g.kW = 3, c3.g.pT = c3.g.pL = 1, c3.g.inCb = 2;
    c3.g.cstride = 36, c3.g.acc = f;
    for (int h = 0; h < HCount; ++h) {
      Plan x = c3;
      x.h = Hostile(h);
      place(x.g, m, r);
      v.push_back(x);
    }
    for (int pk = 1; pk <= 2; ++pk) { // at the WBUF end / cut by it
      Plan x = c3;
      x.placeKind = pk;
      place(x.g, m, r);
      v.push_back(x);
    }
  }
  return v;
}

} // namespace

int main(int argc, char **argv) {
  tb::Args args = tb::parseArgs(argc, argv, 400);
  const TargetConfig &t = args.cfg;
  Machine mc(t);
  Tb tbm(args, mc);
  VCsrTop &m = tbm.m;
  if (tb::portWords<decltype(m.ab_rd_data)>() != t.Q ||
      tb::portWords<decltype(m.wb_rd_data)>() !=
          (t.L * (t.Q + 1) * 8 + 31) / 32)
    tb::fail(args, "the model was not built for this config's L and Q");
  const uint64_t L = t.L, Q = t.Q, RB = Q + 1, W = mc.wbufN;
  const int64_t kmax = int64_t(t.csrDenseRows); // dlp_csr_dec's KMAX

  tb::Rng rng(args.seed);
  mc.fill(rng);
  tbm.reset();
  tbm.idle(3, false);

  const int64_t maxSteps = t.L > 16 ? 300 : 2000;
  std::vector<Plan> dir = directed(mc, rng, kmax);
  uint64_t n = args.vectors, errors = 0, decodeCycles = 0, gemmCycles = 0,
           modelCycles = 0, rtlCsrCycles = 0, maxDecode = 0, cut = 0,
           atEnd = 0, otherRows = 0, modelled = 0;
  uint64_t byHostile[HCount] = {}, errByHostile[HCount] = {}, byFmt[2] = {};
  std::map<std::string, uint64_t> byDensity;
  bool errorHigh = false;
  for (uint64_t i = 0; i < n; ++i) {
    if (i > 0 && i % 10 == 0)
      mc.fill(rng);
    Plan p;
    if (i < dir.size()) {
      p = dir[i];
    } else {
      p.g = randomGemm(mc, rng, maxSteps, kmax);
      p.h = rng.chance(55) ? HNone : Hostile(rng.range(1, HCount - 1));
    }
    Gemm &g = p.g;
    bool pow2 = g.wfmt == 0;
    uint64_t K = uint64_t(g.rows(int64_t(L)));
    // The stream: random weights of at most maxBytes (sparser until then).
    uint64_t maxBytes = rng.chance(70) ? (W / 2) * RB : W * RB;
    const char *dens = "0";
    std::vector<uint8_t> s;
    if (p.density == 0 || p.bigK) {
      std::vector<int8_t> codes(std::min<uint64_t>(K, uint64_t(kmax)) * Q, 0);
      std::vector<int32_t> align(codes.size() / Q, 7);
      s = encodeCsr(codes.data(), align.data(), codes.size() / Q, uint32_t(Q),
                    pow2 ? isa::WFmt::Pow2 : isa::WFmt::Int8);
    } else {
      s = randomStream(rng, K, uint32_t(Q), pow2, maxBytes, &dens);
    }
    Layout y{K, Q, getLE(s, 0, 4), pow2};
    if (!p.bigK && !mutate(s, p.h, y, rng))
      p.h = HNone;
    uint64_t rows = ceilDiv(s.size(), RB);
    int pk = p.placeKind >= 0 ? p.placeKind
             : rng.chance(70) ? 0
             : rng.chance(50) ? 1
                              : 2;
    if (rows > W)
      pk = 2;
    if (pk == 0)
      g.wAddr = rng.range(0, int64_t(W - rows));
    else if (pk == 1)
      g.wAddr = int64_t(W - rows);
    else
      g.wAddr = rng.range(std::max<int64_t>(0, int64_t(W) - int64_t(rows) + 1),
                          int64_t(W) - 1);
    cut += pk == 2;
    atEnd += pk == 1;
    unsigned other = rng.chance(15) ? unsigned(rng.pick<int>({5, 20, 100})) : 0;
    otherRows += other != 0;
    writeStream(mc, s, uint64_t(g.wAddr), other, rng);

    isa::Instr in = encode(g, isa::Opcode::GemmCsr);
    mc.prog.code = {in, isa::Instr::make(isa::Opcode::End)};
    std::string what = "instruction " + std::to_string(i) + " (" +
                       describe(g, K, dens, p.h, s.size()) + ")";
    // K > KMAX: the loader refuses it (csr.dense_rows); the bare unit
    // raises `error`.
    if (llvm::Error e = validateProgram(mc.prog)) {
      std::string msg = llvm::toString(std::move(e));
      if (!p.bigK || msg.find("csr.dense_rows") == std::string::npos)
        tb::fail(args, "generated an invalid GEMM_CSR, " + what + ": " + msg);
    } else if (p.bigK) {
      tb::fail(args, "the loader took K > csr.dense_rows, " + what);
    }
    Expect x = expect(mc, uint64_t(g.wAddr), K, pow2, uint64_t(kmax));
    isa::Instr dense = encode(g, isa::Opcode::Gemm);
    dense.set(Field::Gemm_w_addr, 0);
    llvm::Expected<InstrCost> cost = instrCost(dense, args.cycles);
    if (!cost)
      tb::fail(args, llvm::toString(cost.takeError()));

    Tb::Result res = tbm.run(in, x.decode + cost->cycles + 1000);
    if (res.error != x.error)
      tb::fail(args, what + ": error " + std::to_string(res.error) +
                         " in the decoded cycle, expected " +
                         std::to_string(x.error));
    if (x.N1 && x.stats.decodeCycles != x.decode)
      tb::fail(args, what + ": dlprt::csrDecodeCycles gives " +
                         std::to_string(x.stats.decodeCycles) +
                         ", this testbench's formula " +
                         std::to_string(x.decode));
    if (res.decode != x.decode)
      tb::fail(args, what + ": decode took " + std::to_string(res.decode) +
                         " cycles, expected " + std::to_string(x.N1) +
                         " (header, alignments, first pair) + " +
                         std::to_string(x.N2) + " (columns) = " +
                         std::to_string(x.decode) + " (longest column " +
                         std::to_string(x.maxLen) + " entries)");
    ++byHostile[p.h];
    ++byFmt[pow2 ? 0 : 1];
    maxDecode = std::max(maxDecode, res.decode);
    if (res.error) {
      ++errors;
      ++errByHostile[p.h];
      errorHigh = true;
      // Nothing else happens; the buffers are as before (the reference
      // does not run either).
    } else {
      errorHigh = false;
      ++byDensity[dens];
      executeGemm(mc.prog, in, mc.st);
      int64_t d = firstDiff(mc.fbuf,
                            reinterpret_cast<const uint8_t *>(mc.st.fbuf.data()),
                            mc.fbuf.size(), mc.L);
      if (d >= 0)
        tb::fail(args, what + ": FBUF vector " + std::to_string(d) +
                           " differs from the simulator");
      d = firstDiff(mc.abuf,
                    reinterpret_cast<const uint32_t *>(mc.st.abuf.data()),
                    mc.abuf.size(), mc.Q);
      if (d >= 0) {
        size_t q = 0;
        while (mc.abuf[d * mc.Q + q] == uint32_t(mc.st.abuf[d * mc.Q + q]))
          ++q;
        tb::fail(args, what + ": ABUF vector " + std::to_string(d) + " lane " +
                           std::to_string(q) + ": rtl " +
                           std::to_string(int32_t(mc.abuf[d * mc.Q + q])) +
                           ", simulator " +
                           std::to_string(mc.st.abuf[d * mc.Q + q]));
      }
      if (res.gemm != cost->cycles)
        tb::fail(args, what + ": dlp_gemm took " + std::to_string(res.gemm) +
                           " cycles, the cycle model's GEMM " +
                           std::to_string(cost->cycles));
      gemmCycles += res.gemm;
      decodeCycles += res.decode;
      if (p.h == HNone && pk != 2 && !other) { // the compiler's streams
        llvm::Expected<InstrCost> model =
            instrCost(in, args.cycles, &x.stats);
        if (!model)
          tb::fail(args, llvm::toString(model.takeError()));
        modelCycles += model->cycles;
        rtlCsrCycles += res.decode + res.gemm;
        if (model->cycles != res.decode + res.gemm)
          tb::fail(args, what + ": decoder + dlp_gemm took " +
                             std::to_string(res.decode + res.gemm) +
                             " cycles, the cycle model's GEMM_CSR " +
                             std::to_string(model->cycles));
        ++modelled;
      }
    }
    if (rng.chance(50))
      tbm.idle(unsigned(rng.range(1, 3)), errorHigh);
  }
  tbm.idle(2, errorHigh);
  m.final();
  std::printf("PASS: %llu GEMM_CSR (%zu directed; pow2 %llu, int8 %llu), "
              "every decode as the decoder's schedule exactly (max %llu cycles), every "
              "dlp_gemm run = the cycle model's dense GEMM; FBUF and ABUF "
              "equal to executeGemm after every error-free one\n",
              (unsigned long long)n, dir.size(), (unsigned long long)byFmt[0],
              (unsigned long long)byFmt[1], (unsigned long long)maxDecode);
  std::printf("  error raised (and expected) %llu times:", (unsigned long long)errors);
  for (int h = 0; h < HCount; ++h)
    std::printf(" %s %llu/%llu", hostileName[h],
                (unsigned long long)errByHostile[h],
                (unsigned long long)byHostile[h]);
  std::printf(" (errors/instructions per hostile kind; K > KMAX under none)\n");
  std::printf("  streams: %llu ending at the WBUF end, %llu cut by it, %llu "
              "with rows of other formats / never loaded; densities of the "
              "error-free:",
              (unsigned long long)atEnd, (unsigned long long)cut,
              (unsigned long long)otherRows);
  for (auto &[k, v] : byDensity)
    std::printf(" %s:%llu", k.c_str(), (unsigned long long)v);
  std::printf("\n  cycles of the error-free: decode %llu + dlp_gemm %llu; "
              "of the %llu whole, unmodified streams: %llu, the cycle "
              "model's GEMM_CSR rule (docs/cycle-model.md 2.5) %llu (%.2fx)\n",
              (unsigned long long)decodeCycles, (unsigned long long)gemmCycles,
              (unsigned long long)modelled, (unsigned long long)rtlCsrCycles,
              (unsigned long long)modelCycles,
              modelCycles ? double(rtlCsrCycles) / double(modelCycles) : 0.0);
  return 0;
}

//===- GemmTbUtil.h - Shared parts of the GEMM and CSR testbenches -*- C++ -*-===//
//
// Byte access to Verilated ports, the core's SRAMs as dlp_gemm sees them
// beside the simulator's MachineState (Machine), and a GEMM's geometry and
// its encoding, for GemmTb.cpp (dlp_gemm) and CsrTb.cpp (dlp_csr_dec feeding
// dlp_gemm).
//
//===----------------------------------------------------------------------===//
#ifndef DLP_HW_TEST_GEMMTBUTIL_H
#define DLP_HW_TEST_GEMMTBUTIL_H

#include "TbUtil.h"

#include "dlprt/Isa.h"
#include "dlprt/Program.h"
#include "dlprt/Simulator.h"
#include "dlprt/Window.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

namespace gemmtb {

using namespace dlprt;
using isa::Field;

// Byte access to Verilated ports of any width (bytes from bit 0).
template <size_t N> inline void putByte(VlWide<N> &p, size_t i, uint8_t v) {
  uint32_t sh = uint32_t(i % 4) * 8;
  p[i / 4] = (p[i / 4] & ~(0xffu << sh)) | (uint32_t(v) << sh);
}
template <size_t N> inline uint8_t getByte(const VlWide<N> &p, size_t i) {
  return uint8_t(p[i / 4] >> ((i % 4) * 8));
}
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
inline void putByte(T &p, size_t i, uint8_t v) {
  uint64_t sh = 8 * i, x = uint64_t(p);
  p = T((x & ~(uint64_t(0xff) << sh)) | (uint64_t(v) << sh));
}
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
inline uint8_t getByte(const T &p, size_t i) {
  return uint8_t(uint64_t(p) >> (8 * i));
}
template <typename P> inline void putBytes(P &p, size_t at, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    putByte(p, at + i, b[i]);
}
template <typename P> inline void randomBytes(P &p, size_t n, tb::Rng &r) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = r.next();
    for (size_t j = 0; j < 8 && i + j < n; ++j)
      putByte(p, i + j, uint8_t(v >> (8 * j)));
  }
}

/// The core's SRAMs as the unit sees them, and the simulator's copy.
struct Machine {
  const TargetConfig &t;
  size_t L, Q, fbufN, wbufN, abufN, pbufN, entryBytes;
  std::vector<uint8_t> fbuf;  ///< fbufN x L
  std::vector<uint8_t> wrow;  ///< wbufN x (Q + 1) raw row bytes
  std::vector<uint8_t> wtag;  ///< wbufN 2-bit LOAD wfmt tags
  std::vector<uint8_t> pbuf;  ///< pbufN x 8Q raw entries
  std::vector<uint32_t> abuf; ///< abufN x Q
  Program prog;
  MachineState st;

  explicit Machine(const TargetConfig &t)
      : t(t), L(t.L), Q(t.Q), fbufN(t.fbufVectors()), wbufN(t.wbufRows()),
        abufN(t.abufVectors()), pbufN(t.paramEntries),
        entryBytes(t.paramEntryBytes()), fbuf(fbufN * L),
        wrow(wbufN * (Q + 1)), wtag(wbufN), pbuf(pbufN * entryBytes),
        abuf(abufN * Q), st(t) {
    prog.target = t;
    prog.constData.assign(wbufN * (Q + 1), 0);
  }

  int8_t randomI8(tb::Rng &r, unsigned edge) {
    return r.chance(edge) ? r.pick<int8_t>({-128, 127, 0, -1, 1})
                          : int8_t(r.range(-128, 127));
  }
  uint8_t randomAlign(tb::Rng &r) {
    return uint8_t(r.chance(20)   ? r.pick<int>({0, 31, 32, 255, 63})
                   : r.chance(50) ? r.range(0, 31)
                                  : r.range(0, 255));
  }

  /// Fills every buffer (both copies) with random contents.
  void fill(tb::Rng &r) {
    unsigned edge = unsigned(r.pick<int>({0, 10, 50, 100}));
    for (size_t i = 0; i < fbuf.size(); ++i) {
      fbuf[i] = uint8_t(randomI8(r, edge));
      st.fbuf[i] = int8_t(fbuf[i]);
    }
    // WBUF: each row a LOAD of a random format (or never loaded); its
    // bytes live in the const region at row * (Q + 1).
    unsigned never = unsigned(r.pick<int>({0, 10, 50}));
    int fmtBias = int(r.range(0, 3)); // 0 mixed, 1 pow2, 2 int8, 3 CSR heavy
    std::fill(wrow.begin(), wrow.end(), 0);
    for (size_t a = 0; a < wbufN; ++a) {
      if (r.chance(never)) {
        wtag[a] = 0;
        st.wtag[a] = 0;
        continue;
      }
      isa::WFmt fmt;
      if (fmtBias == 0 || r.chance(20))
        fmt = isa::WFmt(r.range(0, 2));
      else
        fmt = isa::WFmt(fmtBias - 1);
      size_t bytes = t.rowBytes(fmt), off = a * (Q + 1);
      for (size_t i = 0; i + 1 < bytes; ++i) {
        uint8_t b;
        if (fmt == isa::WFmt::Pow2)
          b = r.chance(edge) ? uint8_t(r.pick<int>({0x00, 0x77, 0x88, 0xff,
                                                    0xf7, 0x8f}))
                             : uint8_t(r.next());
        else
          b = uint8_t(randomI8(r, edge));
        prog.constData[off + i] = b;
      }
      prog.constData[off + bytes - 1] = randomAlign(r);
      // Bytes past the row's LOAD are not the row's (the core keeps zeros).
      for (size_t i = bytes; i < Q + 1; ++i)
        prog.constData[off + i] = uint8_t(r.next());
      std::memcpy(&wrow[off], &prog.constData[off], bytes);
      wtag[a] = uint8_t(fmt);
      // MachineState::wtag: 1 + 4 * (const byte offset) + wfmt.
      st.wtag[a] = 1 + 4 * uint64_t(off) + uint64_t(fmt);
    }
    st.wcodeStale = true;
    for (size_t e = 0; e < pbufN; ++e) {
      uint8_t *raw = &pbuf[e * entryBytes];
      for (size_t q = 0; q < Q; ++q) {
        int32_t bias = r.chance(edge + 5)
                           ? r.pick<int32_t>({INT32_MIN, INT32_MAX, 0, -1, 1})
                       : r.chance(50) ? int32_t(r.range(-2000, 2000))
                                      : int32_t(uint32_t(r.next()));
        int8_t shift = r.chance(30) ? r.pick<int8_t>({-32, -1, 0, 1, 31, 32, 63})
                                    : int8_t(r.range(-32, 63));
        int8_t lo, hi;
        switch (r.next() % 4) {
        case 0: lo = -128, hi = 127; break;
        case 1: lo = 0, hi = 127; break;
        case 2: lo = int8_t(r.range(-10, 10)), hi = int8_t(r.range(-10, 10)); break;
        default: lo = randomI8(r, 10), hi = randomI8(r, 10);
        }
        // aux as the loader allows it (|aux| <= 22): a residual GEMM's
        // add reads it.
        int8_t aux = r.chance(20) ? r.pick<int8_t>({-22, 22, 0})
                                  : int8_t(r.range(-22, 22));
        size_t i = e * Q + q;
        st.bias[i] = bias;
        st.outShift[i] = shift;
        st.actMin[i] = lo;
        st.actMax[i] = hi;
        st.aux[i] = aux;
        for (unsigned b = 0; b < 4; ++b)
          raw[4 * q + b] = uint8_t(uint32_t(bias) >> (8 * b));
        raw[4 * Q + q] = uint8_t(shift);
        raw[5 * Q + q] = uint8_t(lo);
        raw[6 * Q + q] = uint8_t(hi);
        raw[7 * Q + q] = uint8_t(aux);
      }
    }
    for (size_t i = 0; i < abuf.size(); ++i) {
      uint32_t v = r.chance(edge + 5)
                       ? r.pick<uint32_t>({0x80000000u, 0x7fffffffu, 0, ~0u})
                   : r.chance(50) ? uint32_t(int32_t(r.range(-5000, 5000)))
                                  : uint32_t(r.next());
      abuf[i] = v;
      st.abuf[i] = int32_t(v);
    }
  }
};

/// dlp_gemm's SRAM ports (CsrTop has the same names) served from a
/// Machine: a read sampled in one cycle is answered in the next, with
/// random bits on a port that was not read; writes land at once.
struct GemmPorts {
  bool fa = false, fr = false, wb = false, pb = false, ab = false;
  uint64_t faAddr = 0, frAddr = 0, wbAddr = 0, pbAddr = 0, abAddr = 0;

  /// Drives the read data of last cycle's reads (WBUF rows past the buffer
  /// read as zero rows tagged 0).
  template <class M> void serve(M &m, const Machine &mc, tb::Rng &rng) const {
    const size_t L = mc.L, Q = mc.Q, RB = Q + 1;
    if (fa)
      putBytes(m.fa_rd_data, 0, &mc.fbuf[faAddr * L], L);
    else
      randomBytes(m.fa_rd_data, L, rng);
    if (fr)
      putBytes(m.fr_rd_data, 0, &mc.fbuf[frAddr * L], L);
    else
      randomBytes(m.fr_rd_data, L, rng);
    if (wb) {
      std::vector<uint8_t> zero;
      for (size_t l = 0; l < L; ++l) {
        uint64_t row = wbAddr + l;
        bool in = row < mc.wbufN;
        if (!in && zero.empty())
          zero.assign(RB, 0);
        putBytes(m.wb_rd_data, l * RB, in ? &mc.wrow[row * RB] : zero.data(),
                 RB);
        tb::put(m.wb_rd_fmt, unsigned(2 * l), 2, in ? mc.wtag[row] : 0);
      }
    } else {
      randomBytes(m.wb_rd_data, L * RB, rng);
      for (size_t l = 0; l < L; ++l)
        tb::put(m.wb_rd_fmt, unsigned(2 * l), 2, rng.next() & 3);
    }
    if (pb)
      putBytes(m.pb_rd_data, 0, &mc.pbuf[pbAddr * mc.entryBytes],
               mc.entryBytes);
    else
      randomBytes(m.pb_rd_data, mc.entryBytes, rng);
    if (ab)
      putBytes(m.ab_rd_data, 0,
               reinterpret_cast<const uint8_t *>(&mc.abuf[abAddr * Q]), 4 * Q);
    else
      randomBytes(m.ab_rd_data, 4 * Q, rng);
  }

  /// Samples this cycle's reads (served next cycle) and applies its FBUF /
  /// ABUF writes; `fail(what)` on an address past a buffer. Sets `wbufRead`
  /// when the WBUF read port was used; returns whether any other port was.
  template <class M, class Fail>
  bool sample(M &m, Machine &mc, Fail &&fail, bool &wbufRead) {
    *this = GemmPorts();
    bool other = false;
    auto read = [&](bool en, uint64_t addr, size_t n, const char *buf,
                    bool &flag, uint64_t &at) {
      if (!en)
        return false;
      flag = true;
      at = addr;
      if (at >= n)
        fail(std::string(buf) + " read past the buffer: " + std::to_string(at));
      return true;
    };
    other |= read(m.fa_rd_en, uint64_t(m.fa_rd_addr), mc.fbufN, "FBUF", fa,
                  faAddr);
    other |= read(m.fr_rd_en, uint64_t(m.fr_rd_addr), mc.fbufN, "FBUF", fr,
                  frAddr);
    wbufRead = read(m.wb_rd_en, uint64_t(m.wb_rd_addr), mc.wbufN, "WBUF", wb,
                    wbAddr);
    other |= read(m.pb_rd_en, uint64_t(m.pb_rd_addr), mc.pbufN, "PBUF", pb,
                  pbAddr);
    other |= read(m.ab_rd_en, uint64_t(m.ab_rd_addr), mc.abufN, "ABUF", ab,
                  abAddr);
    if (m.fb_wr_en) {
      other = true;
      uint64_t a = uint64_t(m.fb_wr_addr);
      if (a >= mc.fbufN)
        fail("FBUF write past the buffer");
      for (size_t l = 0; l < mc.L; ++l)
        mc.fbuf[a * mc.L + l] = getByte(m.fb_wr_data, l);
    }
    if (m.ab_wr_en) {
      other = true;
      uint64_t a = uint64_t(m.ab_wr_addr);
      if (a >= mc.abufN)
        fail("ABUF write past the buffer");
      for (size_t q = 0; q < mc.Q; ++q) {
        uint32_t v = 0;
        for (unsigned b = 0; b < 4; ++b)
          v |= uint32_t(getByte(m.ab_wr_data, 4 * q + b)) << (8 * b);
        mc.abuf[a * mc.Q + q] = v;
      }
    }
    return other;
  }
};

/// GEMM geometry before encoding; `win` makes it a GEMM_WIN of `slots`
/// slots per window of `W` steps (the target's array.window).
struct Gemm {
  int64_t wfmt = 0, acc = 0, epi = 0, res = 0, inAddr = 0, cstride = 0, inH = 1,
          inW = 1, inCb = 1, outH = 1, outW = 1, kH = 1, kW = 1, sH = 1,
          sW = 1, dH = 1, dW = 1, pT = 0, pL = 0, wAddr = 0, accAddr = 0,
          param = 0, outAddr = 0, win = 0, slots = 1, W = 1;
  /// The fused max pool (pool_k > 0): window, stride, pads t / l / b / r.
  int64_t poolK = 0, poolS = 0, ppT = 0, ppL = 0, ppB = 0, ppR = 0;
  int64_t pooledH() const { return (outH + ppT + ppB - poolK) / poolS + 1; }
  int64_t pooledW() const { return (outW + ppL + ppR - poolK) / poolS + 1; }
  /// FBUF vectors the epilogue writes.
  int64_t written() const {
    return poolK ? pooledH() * pooledW() : outH * outW * (res ? 2 : 1);
  }
  int64_t pixelSteps() const { return kH * kW * inCb; }
  /// Array steps (GEMM_WIN: `slots` per window, docs/cycle-model.md 2.6).
  int64_t steps() const {
    return outH * outW *
           (win ? int64_t(windowCount(uint64_t(pixelSteps()), uint32_t(W))) *
                      slots
                : pixelSteps());
  }
  int64_t plane() const { return inH * inW; }
  int64_t tile() const { return (inCb - 1) * cstride + plane(); }
  /// WBUF rows from w_addr (GEMM_WIN: alignment rows, then slot rows).
  int64_t rows(int64_t L) const {
    return win ? int64_t(windowRows(uint64_t(inCb), uint64_t(pixelSteps()),
                                    uint32_t(W), uint32_t(slots), uint32_t(L)))
               : pixelSteps() * L;
  }
};

inline isa::Instr encode(const Gemm &g, isa::Opcode op = isa::Opcode::Gemm) {
  if (g.win)
    op = isa::Opcode::GemmWin;
  isa::Instr in = isa::Instr::make(op);
  std::pair<const char *, int64_t> fs[] = {
      {"wfmt", g.wfmt},        {"accumulate", g.acc},  {"epilogue", g.epi},
      {"residual", g.res},
      {"in_addr", g.inAddr},   {"in_cstride", g.cstride}, {"in_h", g.inH},
      {"in_w", g.inW},         {"in_cb", g.inCb},      {"out_h", g.outH},
      {"out_w", g.outW},       {"k_h", g.kH},          {"k_w", g.kW},
      {"stride_h", g.sH},      {"stride_w", g.sW},     {"dil_h", g.dH},
      {"dil_w", g.dW},         {"pad_t", g.pT},        {"pad_l", g.pL},
      {"w_addr", g.wAddr},     {"acc_addr", g.accAddr}, {"param_addr", g.param},
      {"out_addr", g.outAddr}, {"pool_k", g.poolK},  {"pool_s", g.poolS},
      {"pool_pad_t", g.ppT},   {"pool_pad_l", g.ppL},  {"pool_pad_b", g.ppB},
      {"pool_pad_r", g.ppR}};
  if (g.win) {
    std::optional<Field> f = isa::findField(op, "slots");
    if (!f || !in.set(*f, g.slots)) {
      std::fprintf(stderr, "testbench bug: slots = %lld\n", (long long)g.slots);
      std::exit(2);
    }
  }
  for (auto [name, v] : fs) {
    std::optional<Field> f = isa::findField(op, name);
    if (!f || !in.set(*f, v)) {
      std::fprintf(stderr, "testbench bug: field %s = %lld\n", name,
                   (long long)v);
      std::exit(2);
    }
  }
  return in;
}

} // namespace gemmtb

#endif // DLP_HW_TEST_GEMMTBUTIL_H

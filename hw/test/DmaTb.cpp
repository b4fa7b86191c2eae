//===- DmaTb.cpp - dlp_dma against the functional simulator ---------------===//
//
//   rtl-dma-tb <config.json> [seed] [cases]
//
// Each case is a small program of LOAD / STORE instructions (and SYNC
// barriers) + END, run by dlprt::Simulator (validated by it) and, in the
// simulator's schedule order, by the Verilated dlp_dma: the testbench
// models the SRAMs behind the unit's ports (FBUF vectors, WBUF rows as raw
// bytes + wfmt tag, PBUF entries as raw bytes, all zero at the start of a
// case, reads answered one cycle later with garbage in the slots past the
// count) and DDR with dlphw::DdrModel (DdrModel.h) on the program's const
// region and a copy of the data region. After the case every unit of every
// buffer and every data byte must equal the simulator's state:
//   FBUF the bytes; WBUF per row the raw bytes its LOAD brought (the row's
//   source tag, MachineState::wtag = 1 + 4 * const offset + wfmt, names the
//   const bytes), zero above them, and the wfmt; a never-loaded row zero
//   with tag 0; PBUF the entry's DDR bytes rebuilt from the simulator's
//   decoded bias / out_shift / act_min / act_max / aux (docs/isa.md 1).
// Every instruction's cycles (start to done inclusive) must be exactly the
// cycle model's cost (dlprt::instrCost): T + beats + dmaFixed (the unit's
// setup of the burst lengths, the request register, the last write).
//
// Cases: directed ones first (single units of every buffer and format,
// runs one byte past a beat boundary, n0 = 1 with large strides, boxes that
// merge into one burst, plane-only merges, n1 = 1 / n2 = 1 with arbitrary
// strides, overlapping runs, units straddling beats, a large box), then
// `cases` random programs: random n0 / n1 / n2, strides that merge and
// that do not (gaps, overlaps, large), all three buffers, every wfmt the
// target has, LOADs from both regions, STOREs reading what the LOADs left.
//
//===----------------------------------------------------------------------===//

#include "DdrModel.h"
#include "TbUtil.h"

#include "Vdlp_dma.h"

#include "dlprt/CycleModel.h"
#include "dlprt/Isa.h"
#include "dlprt/Program.h"
#include "dlprt/Simulator.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <vector>

using namespace dlprt;
using namespace dlprt::isa;

namespace {

constexpr uint64_t kConstBytes = 1 << 20; // region const of every case
constexpr uint64_t kFbufConstArea = 1 << 18; // FBUF loads read [0, this)
constexpr uint64_t kDataBytes = 1 << 19;     // region data

template <class P> uint8_t portByte(const P &p, size_t j) {
  if constexpr (std::is_integral_v<P>)
    return uint8_t(uint64_t(p) >> (8 * j));
  else
    return uint8_t(p[j / 4] >> (8 * (j % 4)));
}
template <class P> void setPortByte(P &p, size_t j, uint8_t v) {
  if constexpr (std::is_integral_v<P>) {
    uint64_t x = uint64_t(p);
    x = (x & ~(uint64_t(0xff) << (8 * j))) | (uint64_t(v) << (8 * j));
    p = P(x);
  } else {
    uint32_t &w = p[j / 4];
    w = (w & ~(uint32_t(0xff) << (8 * (j % 4)))) | (uint32_t(v) << (8 * (j % 4)));
  }
}

struct Box {
  uint64_t n0 = 1, n1 = 1, s1 = 0, n2 = 1, s2 = 0;
};

/// The target's numbers the testbench needs.
struct Ctx {
  tb::Args args;
  uint32_t L, Q, B, UWP, UWI, UPB, DU;
  uint64_t T;
  uint64_t fbufVectors, wbufRows, paramEntries;
};

uint64_t unitOf(const Ctx &c, Buf buf, WFmt f) {
  return buf == Buf::FBuf   ? c.L
         : buf == Buf::WBuf ? (f == WFmt::Pow2 ? c.UWP : c.UWI)
                            : c.UPB;
}
uint64_t extentOf(const Box &b, uint64_t u) {
  return (b.n2 - 1) * b.s2 + (b.n1 - 1) * b.s1 + b.n0 * u;
}

Instr makeDma(const Ctx &c, bool store, Buf buf, WFmt fmt, Region region,
              uint64_t sram, uint64_t ddr, const Box &b) {
  Instr in = Instr::make(store ? Opcode::Store : Opcode::Load);
  auto set = [&](Field lf, Field sf, uint64_t v) {
    if (!in.set(store ? sf : lf, int64_t(v)))
      tb::fail(c.args, "a DMA field value does not fit: " + std::to_string(v));
  };
  set(Field::Load_buf, Field::Store_buf, uint64_t(buf));
  set(Field::Load_wfmt, Field::Store_wfmt, uint64_t(fmt));
  set(Field::Load_region, Field::Store_region, uint64_t(region));
  set(Field::Load_sram_addr, Field::Store_sram_addr, sram);
  set(Field::Load_ddr_addr, Field::Store_ddr_addr, ddr);
  set(Field::Load_n0, Field::Store_n0, b.n0);
  set(Field::Load_n1, Field::Store_n1, b.n1);
  set(Field::Load_s1, Field::Store_s1, b.s1);
  set(Field::Load_n2, Field::Store_n2, b.n2);
  set(Field::Load_s2, Field::Store_s2, b.s2);
  return in;
}

/// A program under construction: const region (random bytes; WBUF / PBUF
/// loads get fresh areas from `bump` with valid units), data size, code.
struct CaseBuilder {
  const Ctx &c;
  tb::Rng &r;
  Program p;
  uint64_t bump = kFbufConstArea;
  std::vector<std::pair<uint64_t, uint64_t>> fbufLoaded; // [sram, units)

  CaseBuilder(const Ctx &c, tb::Rng &r) : c(c), r(r) {
    p.target = c.args.cfg;
    p.constData.resize(kConstBytes);
    for (uint64_t i = 0; i < kConstBytes; i += 8) {
      uint64_t v = r.next();
      std::memcpy(p.constData.data() + i, &v, 8);
    }
    p.dataBytes = kDataBytes;
  }

  /// Unit starts of a box (relative to ddr), sorted.
  static std::vector<uint64_t> unitStarts(const Box &b, uint64_t u) {
    std::vector<uint64_t> v;
    for (uint64_t i2 = 0; i2 < b.n2; ++i2)
      for (uint64_t i1 = 0; i1 < b.n1; ++i1)
        for (uint64_t i0 = 0; i0 < b.n0; ++i0)
          v.push_back(i2 * b.s2 + i1 * b.s1 + i0 * u);
    std::sort(v.begin(), v.end());
    return v;
  }

  /// Writes valid units of `buf` / `fmt` at `at` (docs/isa.md 3.2 checks).
  void formatUnit(uint8_t *e, Buf buf, WFmt fmt) {
    uint32_t Q = c.Q;
    if (buf == Buf::PBuf) {
      for (uint32_t q = 0; q < 4 * Q; ++q)
        e[q] = uint8_t(r.next());
      for (uint32_t q = 0; q < Q; ++q) {
        e[4 * Q + q] = uint8_t(int8_t(r.range(-32, 63)));
        e[5 * Q + q] = uint8_t(r.next());
        e[6 * Q + q] = uint8_t(r.next());
        e[7 * Q + q] = uint8_t(int8_t(r.range(-22, 22)));
      }
      return;
    }
    if (fmt == WFmt::Csr) {
      for (uint32_t i = 0; i < c.UWI; ++i)
        e[i] = uint8_t(r.next());
      return;
    }
    auto code = [&] {
      uint8_t k;
      do
        k = uint8_t(r.range(0, 15));
      while (k == 8);
      return k;
    };
    uint32_t codeBytes = fmt == WFmt::Pow2 ? c.UWP - 1 : c.UWI - 1;
    for (uint32_t i = 0; i < codeBytes; ++i)
      e[i] = fmt == WFmt::Pow2 ? uint8_t(code() | code() << 4)
                               : uint8_t(int8_t(r.range(-127, 127)));
    e[codeBytes] = uint8_t(r.range(0, 31));
  }

  /// LOAD of `b` into `buf` at `sram`. FBUF: from `region` at `ddr` (or a
  /// random fitting address when ddr = ~0). WBUF / PBUF: from a fresh const
  /// area (its units formatted valid; overlapping units get bytes valid at
  /// every offset). False if the const region is full.
  bool load(Buf buf, WFmt fmt, Region region, uint64_t sram, const Box &b,
            uint64_t ddr = ~uint64_t(0)) {
    uint64_t u = unitOf(c, buf, fmt), ext = extentOf(b, u);
    if (buf == Buf::FBuf) {
      uint64_t size = region == Region::Const ? kFbufConstArea : kDataBytes;
      if (ext > size)
        return false;
      if (ddr == ~uint64_t(0))
        ddr = uint64_t(r.range(0, int64_t(size - ext)));
      p.code.push_back(makeDma(c, false, buf, fmt, region, sram, ddr, b));
      fbufLoaded.push_back({sram, b.n0 * b.n1 * b.n2});
      return true;
    }
    uint64_t at = bump + uint64_t(r.range(0, c.B - 1));
    if (at + ext > kConstBytes)
      return false;
    bump = at + ext;
    std::vector<uint64_t> starts = unitStarts(b, u);
    bool overlap = false;
    for (size_t i = 1; i < starts.size(); ++i)
      overlap |= starts[i] - starts[i - 1] < u;
    uint8_t *base = p.constData.data() + at;
    if (overlap) {
      // Bytes 0..22 but 8: valid as pow2 codes, int8 weights, alignments,
      // out_shift and aux at any offset.
      for (uint64_t i = 0; i < ext; ++i) {
        uint8_t v;
        do
          v = uint8_t(r.range(0, 22));
        while (v == 8);
        base[i] = v;
      }
    } else {
      for (uint64_t s : starts)
        formatUnit(base + s, buf, fmt);
    }
    p.code.push_back(makeDma(c, false, buf, fmt, Region::Const, sram, at, b));
    return true;
  }

  /// STORE of `b` from FBUF `sram` to data `ddr` (random when ~0).
  bool store(uint64_t sram, const Box &b, uint64_t ddr = ~uint64_t(0)) {
    uint64_t ext = extentOf(b, c.L);
    if (ext > kDataBytes)
      return false;
    if (ddr == ~uint64_t(0))
      ddr = uint64_t(r.range(0, int64_t(kDataBytes - ext)));
    p.code.push_back(
        makeDma(c, true, Buf::FBuf, WFmt::Pow2, Region::Data, sram, ddr, b));
    return true;
  }
  void sync() { p.code.push_back(Instr::make(Opcode::Sync)); }
};

/// Random box of units of u bytes, at most maxUnits units.
Box randomBox(const Ctx &c, tb::Rng &r, uint64_t u, uint64_t maxUnits,
              bool allowOverlap) {
  Box b;
  b.n0 = uint64_t(r.chance(25) ? 1 : r.chance(60) ? r.range(1, 8) : r.range(1, 48));
  b.n1 = uint64_t(r.chance(35) ? 1 : r.range(2, r.chance(70) ? 6 : 24));
  b.n2 = uint64_t(r.chance(45) ? 1 : r.range(2, 5));
  while (b.n0 * b.n1 * b.n2 > maxUnits) {
    if (b.n0 >= b.n1 && b.n0 >= b.n2)
      b.n0 = std::max<uint64_t>(1, b.n0 / 2);
    else if (b.n1 >= b.n2)
      b.n1 = std::max<uint64_t>(1, b.n1 / 2);
    else
      b.n2 = std::max<uint64_t>(1, b.n2 / 2);
  }
  uint64_t run = b.n0 * u, B = c.B;
  unsigned k = unsigned(r.next() % 100);
  bool merged = false;
  if (b.n1 == 1) {
    b.s1 = uint64_t(r.chance(50) ? 0 : r.range(0, 5000));
    merged = true;
  } else if (k < 40) {
    b.s1 = run;
    merged = true;
  } else if (k < 60) {
    b.s1 = run + uint64_t(r.range(1, 2 * B));
  } else if (k < 72) {
    b.s1 = run + uint64_t(r.range(1, 4096));
  } else if (allowOverlap && k < 88) {
    b.s1 = uint64_t(r.range(0, int64_t(run) - 1));
  } else {
    b.s1 = run + u * uint64_t(r.range(1, 4));
  }
  uint64_t span1 = (b.n1 - 1) * b.s1 + run;
  k = unsigned(r.next() % 100);
  if (b.n2 == 1)
    b.s2 = uint64_t(r.chance(50) ? 0 : r.range(0, 5000));
  else if (merged && k < 45)
    b.s2 = b.n1 * run;
  else if (k < 65)
    b.s2 = span1 + uint64_t(r.range(1, 2 * B));
  else if (k < 80)
    b.s2 = span1 + uint64_t(r.range(0, 8192));
  else if (allowOverlap && k < 92)
    b.s2 = uint64_t(r.range(0, int64_t(span1)));
  else
    b.s2 = span1 + uint64_t(r.range(0, int64_t(B)));
  return b;
}

/// The testbench's SRAMs and the Verilated unit.
class Bench {
public:
  explicit Bench(const Ctx &c) : c(c), ddr(dlphw::DdrModel::fromTarget(c.args.cfg)) {
    fbuf.resize(c.fbufVectors * c.L);
    wbuf.resize(c.wbufRows * (c.Q + 1));
    wfmt.resize(c.wbufRows);
    pbuf.resize(c.paramEntries * c.UPB);
    m.clk = 0;
    m.rst_n = 0;
    m.start = 0;
    for (int i = 0; i < 3; ++i)
      clock();
    m.rst_n = 1;
    in = ddr.idleInputs();
  }

  void resetMemories() {
    std::fill(fbuf.begin(), fbuf.end(), 0);
    std::fill(wbuf.begin(), wbuf.end(), 0);
    std::fill(wfmt.begin(), wfmt.end(), 0);
    std::fill(pbuf.begin(), pbuf.end(), 0);
  }

  /// Runs one LOAD / STORE; returns its cycles (start to done inclusive).
  uint64_t run(const Instr &insn, uint64_t expected, tb::Rng &r) {
    for (unsigned k = 0; k < kInstrWords; ++k) {
      m.insn[2 * k] = uint32_t(insn.w[k]);
      m.insn[2 * k + 1] = uint32_t(insn.w[k] >> 32);
    }
    m.start = 1;
    uint64_t limit = 4 * expected + 1000;
    for (uint64_t t = 0;; ++t) {
      if (t > limit)
        fail("no done after " + std::to_string(limit) + " cycles");
      drive();
      m.clk = 0;
      m.eval();
      if (bool(m.busy) != (t > 0))
        fail("busy " + std::to_string(m.busy) + " in cycle " +
             std::to_string(t) + " after start");
      bool done = m.done;
      serve(r);
      clock();
      m.start = 0;
      if (done) {
        // Two idle cycles: nothing may move.
        for (int i = 0; i < 2; ++i) {
          drive();
          m.clk = 0;
          m.eval();
          if (m.busy || m.done || m.ddr_req_valid || m.ddr_wr_valid ||
              m.fb_wr_en || m.wb_wr_en || m.pb_wr_en || m.fb_rd_en)
            fail("activity after done");
          serve(r);
          clock();
        }
        if (!ddr.idle())
          fail("DDR bursts still in flight after done");
        return t + 1;
      }
    }
  }

  const Ctx &c;
  dlphw::DdrModel ddr;
  std::vector<uint8_t> fbuf, wbuf, wfmt, pbuf;

private:
  [[noreturn]] void fail(const std::string &what) { tb::fail(c.args, what); }

  void clock() {
    m.clk = 0;
    m.eval();
    m.clk = 1;
    m.eval();
  }

  void drive() {
    m.ddr_rd_valid = in.rdValid;
    dlphw::wordsToPort(m.ddr_rd_data, in.rdData.data(), ddr.beatWords());
    m.ddr_wr_ack = in.wrAck;
    for (size_t j = 0; j < rdData.size(); ++j)
      setPortByte(m.fb_rd_data, j, rdData[j]);
  }

  /// This cycle's outputs: SRAM writes, the FBUF read (data next cycle),
  /// the DDR step.
  void serve(tb::Rng &r) {
    const uint32_t L = c.L, DU = c.DU, WS = c.Q + 1;
    if (m.fb_wr_en) {
      uint64_t a = m.fb_wr_addr, n = m.fb_wr_count;
      if (n < 1 || n > DU || a + n > c.fbufVectors)
        fail("FBUF write of " + std::to_string(n) + " at " + std::to_string(a));
      for (uint64_t i = 0; i < n * L; ++i)
        fbuf[a * L + i] = portByte(m.fb_wr_data, i);
    }
    if (m.wb_wr_en) {
      uint64_t a = m.wb_wr_addr, n = m.wb_wr_count;
      if (n < 1 || n > DU || a + n > c.wbufRows)
        fail("WBUF write of " + std::to_string(n) + " at " + std::to_string(a));
      for (uint64_t i = 0; i < n; ++i) {
        for (uint64_t j = 0; j < WS; ++j)
          wbuf[(a + i) * WS + j] = portByte(m.wb_wr_data, i * WS + j);
        wfmt[a + i] = m.wb_wr_fmt;
      }
    }
    if (m.pb_wr_en) {
      uint64_t a = m.pb_wr_addr;
      if (a >= c.paramEntries)
        fail("PBUF write at " + std::to_string(a));
      for (uint64_t j = 0; j < c.UPB; ++j)
        pbuf[a * c.UPB + j] = portByte(m.pb_wr_data, j);
    }
    // FBUF read: count vectors from addr, garbage in the slots past them.
    rdData.assign(size_t(DU) * L, 0);
    for (auto &v : rdData)
      v = uint8_t(r.next());
    if (m.fb_rd_en) {
      uint64_t a = m.fb_rd_addr, n = m.fb_rd_count;
      if (n < 1 || n > DU || a + n > c.fbufVectors)
        fail("FBUF read of " + std::to_string(n) + " at " + std::to_string(a));
      std::memcpy(rdData.data(), fbuf.data() + a * L, n * L);
    }
    dlphw::DdrModel::Outputs o;
    o.reqValid = m.ddr_req_valid;
    o.reqWrite = m.ddr_req_write;
    o.reqRegion = m.ddr_req_region;
    o.reqAddr = m.ddr_req_addr;
    o.reqLen = m.ddr_req_len;
    o.wrValid = m.ddr_wr_valid;
    wrWords.resize(ddr.beatWords());
    dlphw::portToWords(m.ddr_wr_data, wrWords.data(), ddr.beatWords());
    o.wrData = wrWords.data();
    if (!ddr.step(o, in))
      fail(ddr.error());
  }

  Vdlp_dma m;
  dlphw::DdrModel::Inputs in;
  std::vector<uint8_t> rdData;
  std::vector<uint32_t> wrWords;
};

struct Totals {
  uint64_t instrs = 0, loads = 0, stores = 0, cases = 0;
  uint64_t rtlCycles = 0, modelCycles = 0, beats = 0, bytes = 0;
  uint64_t bursts = 0, units[3] = {0, 0, 0};
};

/// Runs the program on the simulator and on the unit, compares.
void runCase(Bench &bench, CaseBuilder &cb, tb::Rng &r, Totals &tot,
             const std::string &name) {
  const Ctx &c = bench.c;
  Program &p = cb.p;
  p.code.push_back(Instr::make(Opcode::End));
  auto simOr = Simulator::create(p);
  if (!simOr)
    tb::fail(c.args, name + ": the simulator refused the program: " +
                         llvm::toString(simOr.takeError()));
  std::unique_ptr<Simulator> sim = std::move(*simOr);
  std::vector<uint8_t> data(kDataBytes);
  for (uint64_t i = 0; i < kDataBytes; i += 8) {
    uint64_t v = r.next();
    std::memcpy(data.data() + i, &v, 8);
  }
  std::vector<uint8_t> simData = data;
  sim->run(simData.data());

  bench.resetMemories();
  bench.ddr.setConst(p.constData.data(), p.constData.size());
  bench.ddr.setData(data.data(), data.size());
  for (uint32_t idx : sim->schedule()) {
    const Instr &in = p.code[idx];
    if (in.opcode() != Opcode::Load && in.opcode() != Opcode::Store)
      continue;
    auto cost = instrCost(in, c.args.cycles);
    if (!cost)
      tb::fail(c.args, llvm::toString(cost.takeError()));
    auto st0 = bench.ddr.statistics();
    uint64_t cyc = bench.run(in, cost->cycles, r);
    auto st1 = bench.ddr.statistics();
    uint64_t beats = st1.readBeats + st1.writeBeats - st0.readBeats - st0.writeBeats;
    if (cyc != cost->cycles ||
        beats + c.T + c.args.cycles.dmaFixed != cost->cycles) {
      bool store = in.opcode() == Opcode::Store;
      auto g = [&](Field lf, Field sf) { return in.get(store ? sf : lf); };
      tb::fail(c.args,
               name + ": instruction " + std::to_string(idx) + " (" +
                   (store ? "STORE" : "LOAD") + " buf " +
                   std::to_string(g(Field::Load_buf, Field::Store_buf)) +
                   " wfmt " + std::to_string(g(Field::Load_wfmt, Field::Store_wfmt)) +
                   " n0 " + std::to_string(g(Field::Load_n0, Field::Store_n0)) +
                   " n1 " + std::to_string(g(Field::Load_n1, Field::Store_n1)) +
                   " s1 " + std::to_string(g(Field::Load_s1, Field::Store_s1)) +
                   " n2 " + std::to_string(g(Field::Load_n2, Field::Store_n2)) +
                   " s2 " + std::to_string(g(Field::Load_s2, Field::Store_s2)) +
                   "): " + std::to_string(cyc) + " cycles, " +
                   std::to_string(beats) + " beats; the cycle model says " +
                   std::to_string(cost->cycles) + " (T + beats + " +
                   std::to_string(c.args.cycles.dmaFixed) + ")");
    }
    ++tot.instrs;
    (in.opcode() == Opcode::Load ? tot.loads : tot.stores)++;
    tot.rtlCycles += cyc;
    tot.modelCycles += cost->cycles;
    tot.beats += beats;
    tot.bytes += cost->ddrBytes;
    tot.bursts += st1.readBursts + st1.writeBursts - st0.readBursts - st0.writeBursts;
    bool store = in.opcode() == Opcode::Store;
    Buf buf = Buf(in.get(store ? Field::Store_buf : Field::Load_buf));
    tot.units[size_t(buf)] +=
        uint64_t(in.get(store ? Field::Store_n0 : Field::Load_n0)) *
        uint64_t(in.get(store ? Field::Store_n1 : Field::Load_n1)) *
        uint64_t(in.get(store ? Field::Store_n2 : Field::Load_n2));
  }
  ++tot.cases;

  // Compare with the simulator's state.
  const MachineState &s = sim->state();
  for (uint64_t i = 0; i < bench.fbuf.size(); ++i)
    if (bench.fbuf[i] != uint8_t(s.fbuf[i]))
      tb::fail(c.args, name + ": FBUF vector " + std::to_string(i / c.L) +
                           " lane " + std::to_string(i % c.L) + ": rtl " +
                           std::to_string(bench.fbuf[i]) + ", simulator " +
                           std::to_string(uint8_t(s.fbuf[i])));
  const uint32_t WS = c.Q + 1;
  std::vector<uint8_t> want(WS);
  for (uint64_t row = 0; row < c.wbufRows; ++row) {
    uint64_t tag = s.wtag[row];
    std::fill(want.begin(), want.end(), 0);
    uint8_t fmt = 0;
    if (tag) {
      uint64_t off = (tag - 1) / 4;
      fmt = uint8_t((tag - 1) & 3);
      uint64_t n = p.target.rowBytes(WFmt(fmt));
      std::memcpy(want.data(), p.constData.data() + off, n);
    }
    if (bench.wfmt[row] != fmt ||
        std::memcmp(want.data(), bench.wbuf.data() + row * WS, WS) != 0) {
      std::string got, exp;
      for (uint32_t j = 0; j < WS; ++j) {
        got += " " + std::to_string(bench.wbuf[row * WS + j]);
        exp += " " + std::to_string(want[j]);
      }
      tb::fail(c.args, name + ": WBUF row " + std::to_string(row) +
                           ": rtl fmt " + std::to_string(bench.wfmt[row]) +
                           " bytes" + got + "; simulator fmt " +
                           std::to_string(fmt) + " bytes" + exp);
    }
  }
  const uint32_t Q = c.Q;
  std::vector<uint8_t> entry(c.UPB);
  for (uint64_t e = 0; e < c.paramEntries; ++e) {
    for (uint32_t q = 0; q < Q; ++q) {
      uint32_t b = uint32_t(s.bias[e * Q + q]);
      for (int k = 0; k < 4; ++k)
        entry[4 * q + k] = uint8_t(b >> (8 * k));
      entry[4 * Q + q] = uint8_t(s.outShift[e * Q + q]);
      entry[5 * Q + q] = uint8_t(s.actMin[e * Q + q]);
      entry[6 * Q + q] = uint8_t(s.actMax[e * Q + q]);
      entry[7 * Q + q] = uint8_t(s.aux[e * Q + q]);
    }
    if (std::memcmp(entry.data(), bench.pbuf.data() + e * c.UPB, c.UPB) != 0)
      tb::fail(c.args, name + ": PBUF entry " + std::to_string(e) +
                           " differs from the simulator's");
  }
  for (uint64_t i = 0; i < kDataBytes; ++i)
    if (data[i] != simData[i])
      tb::fail(c.args, name + ": DDR data byte " + std::to_string(i) +
                           ": rtl " + std::to_string(data[i]) +
                           ", simulator " + std::to_string(simData[i]));
}

/// Formats the target has for WBUF loads.
std::vector<WFmt> wbufFormats(const Ctx &c) {
  std::vector<WFmt> v;
  if (c.args.cfg.pow2Weights)
    v.push_back(WFmt::Pow2);
  if (c.args.cfg.int8Weights)
    v.push_back(WFmt::Int8);
  if (c.args.cfg.csr())
    v.push_back(WFmt::Csr);
  return v;
}

/// Smallest n0 > 0 whose run of n0 units of u bytes ends gcd(u, B) bytes
/// past a beat boundary (one byte when u and B are coprime).
uint64_t pastBeat(const Ctx &c, uint64_t u) {
  uint64_t rem = std::gcd(u, uint64_t(c.B)) % c.B;
  for (uint64_t n0 = 1;; ++n0)
    if (n0 * u > c.B && (n0 * u) % c.B == rem)
      return n0;
}

void directed(Bench &bench, tb::Rng &r, Totals &tot) {
  const Ctx &c = bench.c;
  const uint64_t B = c.B;
  struct Kind {
    Buf buf;
    WFmt fmt;
  };
  std::vector<Kind> kinds = {{Buf::FBuf, WFmt::Pow2}, {Buf::PBuf, WFmt::Pow2}};
  for (WFmt f : wbufFormats(c))
    kinds.push_back({Buf::WBuf, f});
  auto kname = [](const Kind &k) {
    return std::string(k.buf == Buf::FBuf   ? "FBUF"
                       : k.buf == Buf::PBuf ? "PBUF"
                                            : "WBUF") +
           (k.buf == Buf::WBuf ? " wfmt " + std::to_string(int(k.fmt)) : "");
  };
  // Fills FBUF [0, n) with random const bytes so that STOREs move data.
  auto fill = [&](CaseBuilder &cb, uint64_t n) {
    Box b;
    b.n0 = n;
    cb.load(Buf::FBuf, WFmt::Pow2, Region::Const, 0, b, 0);
  };
  auto one = [&](const std::string &name, const Kind &k, const Box &b,
                 bool alsoStore) {
    uint64_t units = b.n0 * b.n1 * b.n2;
    {
      CaseBuilder cb(c, r);
      uint64_t size = k.buf == Buf::FBuf   ? c.fbufVectors
                      : k.buf == Buf::WBuf ? c.wbufRows
                                           : c.paramEntries;
      uint64_t sram = uint64_t(r.range(0, int64_t(size - units)));
      if (!cb.load(k.buf, k.fmt, k.buf == Buf::FBuf ? Region::Data : Region::Const,
                   sram, b))
        tb::fail(c.args, name + ": box does not fit");
      if (k.buf == Buf::FBuf) // the same box from const as well, elsewhere
        cb.load(k.buf, k.fmt, Region::Const,
                uint64_t(r.range(0, int64_t(size - units))), b);
      runCase(bench, cb, r, tot, name + " LOAD " + kname(k));
    }
    if (alsoStore && k.buf == Buf::FBuf) {
      CaseBuilder cb(c, r);
      uint64_t n = std::min<uint64_t>(c.fbufVectors, std::max<uint64_t>(units, 64));
      fill(cb, n);
      if (!cb.store(uint64_t(r.range(0, int64_t(n - std::min(n, units)))), b))
        tb::fail(c.args, name + ": store box does not fit");
      runCase(bench, cb, r, tot, name + " STORE");
    }
  };
  for (const Kind &k : kinds) {
    uint64_t u = unitOf(c, k.buf, k.fmt);
    Box b;
    one("single unit", k, b, true);
    // Runs one byte (or gcd(u, B) bytes) past a beat boundary, unmerged.
    b = Box();
    b.n0 = pastBeat(c, u);
    b.n1 = 3;
    b.s1 = b.n0 * u + 5;
    b.n2 = 2;
    b.s2 = 3 * b.s1 + 2 * B + 1;
    one("run past a beat", k, b, true);
    // n0 = 1, large strides.
    b = Box();
    b.n1 = 8;
    b.s1 = 4096 + 3;
    b.n2 = 3;
    b.s2 = 40000 + 1;
    one("n0 = 1, large strides", k, b, true);
    // Everything merges into one burst.
    b = Box();
    b.n0 = 4;
    b.n1 = 5;
    b.s1 = 4 * u;
    b.n2 = 3;
    b.s2 = 5 * b.s1;
    one("one burst", k, b, true);
    // Runs merge, planes do not.
    b.s2 = 5 * b.s1 + 7;
    one("plane bursts", k, b, true);
    // n1 = 1 and n2 = 1 with arbitrary strides (they merge).
    b = Box();
    b.n0 = 7;
    b.s1 = 12345;
    b.s2 = 3;
    one("n1 = n2 = 1", k, b, true);
    // Units straddling beats: a long single burst.
    b = Box();
    b.n0 = std::max<uint64_t>(1, 40 * B / u);
    one("long burst", k, b, true);
  }
  // Overlapping runs (FBUF load from data, STORE with s1 < run).
  {
    Box b;
    b.n0 = 3;
    b.n1 = 4;
    b.s1 = 0;
    b.n2 = 2;
    b.s2 = 5;
    one("overlapping runs", {Buf::FBuf, WFmt::Pow2}, b, true);
    b.s1 = 2 * c.L + 3;
    b.s2 = 7 * c.L;
    one("overlapping runs", {Buf::FBuf, WFmt::Pow2}, b, true);
  }
  // A large box and a store of it, then a load back after SYNC.
  {
    CaseBuilder cb(c, r);
    Box b;
    b.n0 = std::min<uint64_t>(c.fbufVectors / 4, 2048);
    cb.load(Buf::FBuf, WFmt::Pow2, Region::Const, 0, b);
    Box s;
    s.n0 = b.n0 / 4;
    s.n1 = 4;
    s.s1 = s.n0 * c.L + 1;
    cb.store(0, s, 100);
    cb.sync();
    cb.load(Buf::FBuf, WFmt::Pow2, Region::Data, b.n0, b, 100);
    runCase(bench, cb, r, tot, "large box, store, load back");
  }
}

void randomCase(Bench &bench, tb::Rng &r, Totals &tot, uint64_t index) {
  const Ctx &c = bench.c;
  CaseBuilder cb(c, r);
  std::vector<WFmt> fmts = wbufFormats(c);
  int n = int(r.range(1, 7));
  for (int i = 0; i < n; ++i) {
    unsigned k = unsigned(r.next() % 100);
    if (k < 8) {
      cb.sync();
      continue;
    }
    bool store = k < 40;
    Buf buf = Buf::FBuf;
    WFmt fmt = WFmt::Pow2;
    if (!store) {
      unsigned b = unsigned(r.next() % 100);
      if (b >= 50 && b < 80 && !fmts.empty()) {
        buf = Buf::WBuf;
        fmt = fmts[r.next() % fmts.size()];
      } else if (b >= 80) {
        buf = Buf::PBuf;
      }
    }
    uint64_t u = unitOf(c, buf, fmt);
    uint64_t size = buf == Buf::FBuf   ? c.fbufVectors
                    : buf == Buf::WBuf ? c.wbufRows
                                       : c.paramEntries;
    uint64_t cap = std::min<uint64_t>(size, buf == Buf::PBuf ? 64 : 1024);
    Box b = randomBox(c, r, u, cap, buf == Buf::FBuf || r.chance(30));
    uint64_t units = b.n0 * b.n1 * b.n2;
    uint64_t sram = uint64_t(r.range(0, int64_t(size - units)));
    if (store) {
      // Mostly over what an earlier LOAD of this case brought.
      if (!cb.fbufLoaded.empty() && r.chance(70)) {
        auto [a, m] = cb.fbufLoaded[r.next() % cb.fbufLoaded.size()];
        sram = std::min<uint64_t>(a + uint64_t(r.range(0, int64_t(m) / 2)),
                                  size - units);
      }
      cb.store(sram, b);
    } else if (!cb.load(buf, fmt, r.chance(50) ? Region::Const : Region::Data,
                        sram, b)) {
      // const region full: an FBUF load instead
      Box fb = randomBox(c, r, c.L, 256, true);
      cb.load(Buf::FBuf, WFmt::Pow2, Region::Data,
              uint64_t(r.range(0, int64_t(c.fbufVectors - fb.n0 * fb.n1 * fb.n2))),
              fb);
    }
  }
  runCase(bench, cb, r, tot, "random case " + std::to_string(index));
}

} // namespace

int main(int argc, char **argv) {
  Ctx c;
  c.args = tb::parseArgs(argc, argv, 300);
  const TargetConfig &t = c.args.cfg;
  c.L = t.L;
  c.Q = t.Q;
  c.B = uint32_t(t.ddrBytesPerCycle);
  c.T = t.ddrLatencyCycles;
  c.UWP = t.rowBytes(WFmt::Pow2);
  c.UWI = t.rowBytes(WFmt::Int8);
  c.UPB = t.paramEntryBytes();
  uint32_t umin = std::min({c.L, c.UWP, c.UWI});
  c.DU = (c.B + umin - 1) / umin + 1;
  c.fbufVectors = t.fbufVectors();
  c.wbufRows = t.wbufRows();
  c.paramEntries = t.paramEntries;

  auto bench = std::make_unique<Bench>(c);
  auto words = [](uint64_t bits) { return unsigned((bits + 31) / 32); };
  if (tb::portWords<decltype(Vdlp_dma::fb_wr_data)>() != words(c.DU * c.L * 8) ||
      tb::portWords<decltype(Vdlp_dma::wb_wr_data)>() !=
          words(c.DU * (c.Q + 1) * 8) ||
      tb::portWords<decltype(Vdlp_dma::pb_wr_data)>() != words(c.UPB * 8) ||
      tb::portWords<decltype(Vdlp_dma::ddr_rd_data)>() != words(c.B * 8))
    tb::fail(c.args, "the model was not built for this config (DMA_UNITS " +
                         std::to_string(c.DU) + ")");
  std::printf("DMA_UNITS %u, B %u, T %llu, units: FBUF %u, WBUF %u / %u, "
              "PBUF %u bytes\n",
              c.DU, c.B, (unsigned long long)c.T, c.L, c.UWP, c.UWI, c.UPB);

  tb::Rng r(c.args.seed);
  Totals tot;
  directed(*bench, r, tot);
  uint64_t directedInstrs = tot.instrs;
  for (uint64_t i = 0; i < c.args.vectors; ++i)
    randomCase(*bench, r, tot, i);

  std::printf("PASS: %llu cases, %llu instructions (%llu directed; %llu "
              "LOAD, %llu STORE), %llu bursts, %llu beats, %llu DDR bytes; "
              "units FBUF %llu, WBUF %llu, PBUF %llu\n",
              (unsigned long long)tot.cases, (unsigned long long)tot.instrs,
              (unsigned long long)directedInstrs,
              (unsigned long long)tot.loads, (unsigned long long)tot.stores,
              (unsigned long long)tot.bursts, (unsigned long long)tot.beats,
              (unsigned long long)tot.bytes, (unsigned long long)tot.units[0],
              (unsigned long long)tot.units[1],
              (unsigned long long)tot.units[2]);
  std::printf("cycles: rtl %llu, cycle model %llu (every instruction = "
              "model)\n",
              (unsigned long long)tot.rtlCycles,
              (unsigned long long)tot.modelCycles);
  return 0;
}

//===- GemmTb.cpp - dlp_gemm against the simulator's executeGemm ----------===//
//
//   rtl-gemm-tb <config.json> [seed] [instructions]
//
// Runs `instructions` GEMM instructions (directed ones first, then random)
// through the Verilated dlp_gemm. The testbench is the core around the
// unit: it models FBUF, WBUF (rows of Q + 1 raw bytes and each row's 2-bit
// LOAD wfmt tag), PBUF (raw parameter entries) and ABUF and serves their
// read ports one cycle after the address (docs/rtl.md section 3; a port not
// read in a cycle returns random bits the next, which the unit must not
// use), applying the unit's writes. The same contents live in a
// dlprt::MachineState (WBUF rows as source tags into a Program's const
// region, as a LOAD leaves them), and after each instruction
// dlprt::executeGemm gives the reference: the modeled FBUF and ABUF must
// equal the simulator's word for word.
//
// Instructions respect the loader (docs/isa.md 3.3; every one passes
// validateProgram): random geometry with padding, strides, dilations,
// kernels up to 15 x 15, channel blocks with any stride (0 and overlapping
// blocks too), output tiles larger than the input (windows wholly in the
// padding), accumulate 0 / 1, epilogue 0 / 1 (its output never overlapping
// its input: the unit's documented assumption), with or without the
// residual add (the tile after the output read on port B, the next
// parameter entry's aux in [-22, 22] as the loader checks), both wfmts. WBUF rows carry
// random tags (never loaded, pow2, int8, CSR stream) whatever the
// instruction's wfmt, alignment bytes 0..255 (taken mod 32), edge values in
// every buffer. Memories are refilled every few instructions; instructions
// run back to back (the next start in the cycle after done) or with idle
// gaps. Every instruction's cycles (start to done inclusive) must equal
// dlprt::instrCost exactly (constant 0); busy / done follow the unit
// convention, and no port is active between instructions.
//
// On a window target (array.window = W > 1) half of the random
// instructions are GEMM_WINs (docs/isa.md 3.8; 1-2 slots, now and then up
// to 8, over rows of random bytes: offsets past the window, code 8), the
// directed pow2 geometries are repeated as GEMM_WINs of 1 and 3 slots, and
// the testbench serves the unit's window read ports (fx_*) as it serves
// port A; they must stay idle outside GEMM_WINs (and on a dense target).
//
//===----------------------------------------------------------------------===//

#include "GemmTbUtil.h"
#include "TbUtil.h"

#include "Vdlp_gemm.h"

#include "dlprt/Isa.h"
#include "dlprt/Program.h"
#include "dlprt/Simulator.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

using namespace dlprt;
using isa::Field;

using namespace gemmtb;

namespace {


/// Random addresses for a geometry (inside the buffers; the epilogue's
/// output disjoint from the input rectangle, and with the residual add the
/// tile after it too, or now and then reading the input's first vectors;
/// else no residual, else no epilogue).
void place(Gemm &g, const Machine &m, tb::Rng &r) {
  int64_t F = int64_t(m.fbufN), W = int64_t(m.wbufN), A = int64_t(m.abufN);
  int64_t tile = g.tile(), K = g.rows(int64_t(m.L));
  g.res = g.res && g.epi && m.pbufN >= 2;
  int64_t M = g.outH * g.outW, out = g.written();
  auto at = [&](int64_t lo, int64_t hi) { // edges now and then
    return r.chance(15) ? r.pick<int64_t>({lo, hi}) : r.range(lo, hi);
  };
  g.inAddr = at(0, F - tile);
  g.wAddr = at(0, W - K);
  g.accAddr = at(0, A - M);
  g.param = at(0, int64_t(m.pbufN) - 1 - g.res);
  g.outAddr = 0;
  if (g.epi) {
    int64_t inLo = g.inAddr, inHi = g.inAddr + tile;
    bool below = inLo >= out, above = F - inHi >= out;
    if (g.res && inLo >= M && inLo + M <= F && r.chance(25))
      g.outAddr = inLo - M; // the residual tile overlaps the input (read)
    else if (below && (!above || r.chance(50)))
      g.outAddr = at(0, inLo - out);
    else if (above)
      g.outAddr = at(inHi, F - out);
    else if (g.res) {
      g.res = 0;
      place(g, m, r);
    } else {
      g.epi = 0;
      g.poolK = g.poolS = g.ppT = g.ppL = g.ppB = g.ppR = 0;
    }
  }
}

/// A weight format the config has (wfmt 0 pow2, 1 int8): `want` if it
/// has that one, else the other.
int64_t configFormat(const Machine &m, int64_t want) {
  bool has = want == 0 ? m.t.pow2Weights : m.t.int8Weights;
  return has ? want : 1 - want;
}

/// A random geometry of at most maxSteps array steps.
Gemm randomGemm(const Machine &m, tb::Rng &r, int64_t maxSteps) {
  Gemm g;
  for (;;) {
    g.wfmt = configFormat(m, r.range(0, 1));
    g.acc = r.range(0, 1);
    g.epi = r.chance(60);
    g.res = g.epi && r.chance(40);
    auto small = [&](int64_t lo, int64_t hi, int64_t max) {
      return r.chance(10) ? r.range(lo, max) : r.range(lo, hi);
    };
    g.kH = small(1, 3, 15);
    g.kW = r.chance(60) ? g.kH : small(1, 3, 15);
    g.sH = small(1, 2, 15);
    g.sW = r.chance(60) ? g.sH : small(1, 2, 15);
    g.dH = small(1, 2, 15);
    g.dW = r.chance(60) ? g.dH : small(1, 2, 15);
    g.pT = r.chance(10) ? r.range(0, 15) : r.range(0, g.kH - 1);
    g.pL = r.chance(10) ? r.range(0, 15) : r.range(0, g.kW - 1);
    g.inCb = r.chance(10) ? r.range(1, 16) : r.range(1, 4);
    g.inH = r.chance(10) ? r.range(1, 40) : r.range(1, 10);
    g.inW = r.chance(10) ? r.range(1, 40) : r.range(1, 10);
    // Output: the natural size (bottom / right padding up to the top /
    // left one) or any size (windows past the input read padding).
    auto natural = [](int64_t in, int64_t p0, int64_t p1, int64_t k,
                      int64_t s, int64_t d) {
      int64_t span = in + p0 + p1 - d * (k - 1);
      return span <= 0 ? int64_t(1) : (span - 1) / s + 1;
    };
    if (r.chance(75)) {
      g.outH = natural(g.inH, g.pT, r.range(0, g.pT), g.kH, g.sH, g.dH);
      g.outW = natural(g.inW, g.pL, r.range(0, g.pL), g.kW, g.sW, g.dW);
    } else {
      g.outH = r.range(1, 8);
      g.outW = r.range(1, 8);
    }
    // On a window-sparse target, GEMM_WIN half of the time (pow2 only;
    // usually 1 or 2 slots, now and then up to 8).
    g.W = int64_t(m.t.window);
    g.win = m.t.window > 1 && m.t.pow2Weights && r.chance(50);
    if (g.win) {
      g.wfmt = 0;
      g.slots = r.chance(10) ? r.range(1, 8) : r.range(1, 2);
    }
    // On a target with the post-processing's pool, a max pool over the
    // epilogue's tile 40 % of the time it has one and no residual add:
    // window 1..3, stride 1..3, each pad 0 / 1 below the window (bottom /
    // right below the stride), pooled rows within the unit's line buffer.
    g.poolK = g.poolS = g.ppT = g.ppL = g.ppB = g.ppR = 0;
    if (m.t.gemmPool && g.epi && !g.res && r.chance(40)) {
      g.poolK = r.range(1, 3);
      g.poolS = r.range(1, 3);
      auto pad = [&](int64_t below) {
        return below > 0 ? r.range(0, std::min<int64_t>(1, below - 1)) : 0;
      };
      g.ppT = pad(g.poolK);
      g.ppL = pad(g.poolK);
      g.ppB = pad(std::min(g.poolK, g.poolS));
      g.ppR = pad(std::min(g.poolK, g.poolS));
      if (g.outH + g.ppT + g.ppB < g.poolK || g.outW + g.ppL + g.ppR < g.poolK ||
          uint64_t(g.pooledW()) > CycleParams::fromTarget(m.t).poolMaxOutW)
        continue;
    }
    int64_t plane = g.plane();
    switch (r.next() % 6) {
    case 0: g.cstride = 0; break;                      // blocks alias
    case 1: g.cstride = r.range(1, plane); break;      // blocks overlap
    case 2: g.cstride = plane + r.range(1, 40); break; // gaps
    default: g.cstride = plane;
    }
    if (g.steps() <= maxSteps && g.tile() <= int64_t(m.fbufN) &&
        g.rows(int64_t(m.L)) <= int64_t(m.wbufN) &&
        g.outH * g.outW <= int64_t(m.abufN) &&
        g.outH * g.outW <= int64_t(m.fbufN) / 2)
      break;
  }
  place(g, m, r);
  return g;
}

/// Directed geometries (edges), then placed at random addresses.
std::vector<Gemm> directedGemms(const Machine &m, tb::Rng &r) {
  std::vector<Gemm> v;
  // Those the config's buffers can hold.
  auto fits = [&](const Gemm &g) {
    return g.tile() <= int64_t(m.fbufN) &&
           g.rows(int64_t(m.L)) <= int64_t(m.wbufN) &&
           g.outH * g.outW <= int64_t(m.abufN) &&
           g.outH * g.outW <= int64_t(m.fbufN) / 2;
  };
  const int64_t W = int64_t(m.t.window);
  auto add = [&](Gemm g) {
    g.W = W;
    g.wfmt = configFormat(m, g.wfmt);
    if (!fits(g))
      return;
    place(g, m, r);
    v.push_back(g);
    if (W == 1 || g.wfmt != 0)
      return;
    // On a window-sparse target the same geometry as a GEMM_WIN: 1 slot
    // and 3 (several entries of one step add up).
    for (int64_t slots : {1, 3}) {
      Gemm w = g;
      w.win = 1;
      w.slots = slots;
      if (fits(w)) {
        place(w, m, r);
        v.push_back(w);
      }
    }
  };
  Gemm c3ends; // buffers' last units (below)
  for (int64_t f = 0; f < 2; ++f)
    for (int64_t acc = 0; acc < 2; ++acc)
      for (int64_t epi = 0; epi < 2; ++epi) {
        Gemm g; // one step: 1 x 1 everything
        g.wfmt = f, g.acc = acc, g.epi = epi;
        add(g);
        Gemm fc = g; // fully connected, in_cb blocks (few-pixel path)
        fc.inCb = 16;
        fc.cstride = 1;
        add(fc);
        Gemm c3 = g; // 3 x 3 pad 1 on 6 x 6, 2 blocks
        c3.inH = c3.inW = c3.outH = c3.outW = 6;
        c3.kH = c3.kW = 3;
        c3.pT = c3.pL = 1;
        c3.inCb = 2;
        c3.cstride = 36;
        add(c3);
        c3ends = c3;
        Gemm c3r = c3; // and its residual add
        c3r.res = epi;
        if (epi)
          add(c3r);
      }
  if (m.t.gemmPool) {
    // The post-processing's max pool: a 1 x 1 GEMM (one step a pixel, so
    // the pixels leave back to back) on a one-column tile, so every pixel
    // ends the same pooled column and the line buffer is read where the
    // pixel before writes (the forwarded value); 3 x 3 / 2 pad 1 over 9 x
    // 9 (two rows in flight); 3 x 3 / 1 pad 1 (three), every edge.
    Gemm col1;
    col1.inH = col1.outH = 6, col1.inW = col1.outW = 1, col1.epi = 1;
    col1.cstride = 6, col1.poolK = 2, col1.poolS = 1, col1.ppL = 1;
    add(col1);
    Gemm stem = col1;
    stem.inH = stem.inW = stem.outH = stem.outW = 9, stem.cstride = 81;
    stem.poolK = 3, stem.poolS = 2, stem.ppT = stem.ppL = stem.ppB = stem.ppR = 1;
    add(stem);
    Gemm same = stem;
    same.poolS = 1, same.ppB = same.ppR = 0;
    add(same);
  }
  Gemm pad; // every window wholly in the padding
  pad.inH = pad.inW = 1, pad.pT = pad.pL = 15, pad.outH = pad.outW = 3;
  pad.kH = pad.kW = 2, pad.acc = 1, pad.epi = 1, pad.cstride = 1;
  add(pad);
  Gemm big; // 15 x 15 kernel, dilation and stride 15, pads 15
  big.kH = big.kW = 15, big.dH = big.dW = 2, big.sH = big.sW = 15;
  big.pT = big.pL = 15, big.inH = big.inW = 20, big.outH = big.outW = 2;
  big.epi = 1, big.wfmt = 1, big.cstride = 400;
  add(big);
  Gemm row; // one long row
  row.inH = 1, row.inW = 300, row.outH = 1, row.outW = 298, row.kW = 3;
  row.cstride = 300, row.epi = 1;
  add(row);
  Gemm col; // one long column, stride 2, dilation 3
  col.inH = 90, col.inW = 1, col.outH = 40, col.outW = 1, col.kH = 3;
  col.sH = 2, col.dH = 3, col.pT = 2, col.cstride = 90, col.acc = 1;
  add(col);
  if (W > 1) {
    Gemm many; // GEMM_WIN: the most channel blocks (64 alignment rows)
    many.inCb = int64_t(isa::kWinMaxCb), many.cstride = 1, many.epi = 1;
    add(many);
    Gemm odd; // windows across taps, a short last window
    odd.inH = odd.inW = odd.outH = odd.outW = 4, odd.kH = odd.kW = 3;
    odd.pT = odd.pL = 1, odd.inCb = 3, odd.cstride = 16, odd.acc = 1;
    add(odd);
  }
  Gemm ends = c3ends;
  if (!fits(ends))
    return v;
  ends.inAddr = int64_t(m.fbufN) - ends.tile();
  ends.wAddr = int64_t(m.wbufN) - ends.rows(int64_t(m.L));
  ends.accAddr = int64_t(m.abufN) - 36;
  ends.param = int64_t(m.pbufN) - 1;
  ends.epi = 1, ends.outAddr = 0;
  ends.wfmt = configFormat(m, ends.wfmt);
  v.push_back(ends);
  return v;
}

struct Tb {
  tb::Args &args;
  Machine &mc;
  Vdlp_gemm m;
  tb::Rng rng;
  uint64_t cycle = 0;
  // Read data to present in the next cycle.
  GemmPorts pend; ///< last cycle's reads
  // The window read ports (fx_*, candidates 1 .. W - 1 of a GEMM_WIN
  // step; one port that must stay idle on a dense target): the address
  // each read last cycle, or -1.
  std::vector<int64_t> fxPend;
  unsigned faw; ///< FBUF address bits (dlp-hwgen's FBUF_AW)
  uint64_t fxReads = 0;
  bool winNow = false; ///< the instruction running is a GEMM_WIN

  Tb(tb::Args &a, Machine &mc)
      : args(a), mc(mc), rng(a.seed ^ 0x5eed),
        fxPend(mc.t.window > 1 ? mc.t.window - 1 : 1, -1),
        faw(std::max(1u, llvm::Log2_64_Ceil(mc.fbufN))) {}

  void serveFx() {
    for (size_t k = 0; k < fxPend.size(); ++k)
      for (size_t i = 0; i < mc.L; ++i)
        putByte(m.fx_rd_data, k * mc.L + i,
                fxPend[k] >= 0 ? mc.fbuf[size_t(fxPend[k]) * mc.L + i]
                               : uint8_t(rng.next()));
  }
  bool sampleFx() {
    bool any = false;
    for (size_t k = 0; k < fxPend.size(); ++k) {
      fxPend[k] = -1;
      if (!tb::get(m.fx_rd_en, unsigned(k), 1))
        continue;
      if (mc.t.window == 1)
        fail("a window read port is active on a dense target");
      if (!winNow)
        fail("a window read port is active outside a GEMM_WIN");
      uint64_t a = tb::get(m.fx_rd_addr, unsigned(k) * faw, faw);
      if (a >= mc.fbufN)
        fail("FBUF read past the buffer (window port " + std::to_string(k) +
             "): " + std::to_string(a));
      fxPend[k] = int64_t(a);
      ++fxReads;
      any = true;
    }
    return any;
  }

  [[noreturn]] void fail(const std::string &what) {
    tb::fail(args, "cycle " + std::to_string(cycle) + ": " + what);
  }

  /// Samples this cycle's SRAM ports; returns whether any was active.
  bool memories() {
    bool wbufRead = false;
    bool other = pend.sample(
        m, mc, [this](const std::string &w) { fail(w); }, wbufRead);
    bool fx = sampleFx();
    return other || wbufRead || fx;
  }

  /// One clock cycle with `start` / `insn` driven; returns done.
  bool step(bool start, const isa::Instr *in) {
    m.start = start;
    if (in)
      tb::putInsn(m.insn, *in);
    else
      for (unsigned k = 0; k < 2 * isa::kInstrWords; ++k)
        m.insn[k] = uint32_t(rng.next());
    pend.serve(m, mc, rng);
    serveFx();
    m.clk = 0;
    m.eval();
    bool done = m.done, busy = m.busy;
    bool active = memories();
    lastActive = active;
    lastBusy = busy;
    m.clk = 1;
    m.eval();
    ++cycle;
    return done;
  }
  bool lastActive = false, lastBusy = false;

  void reset() {
    m.rst_n = 0;
    step(false, nullptr);
    step(false, nullptr);
    m.rst_n = 1;
  }

  /// Idle cycles: nothing may happen.
  void idle(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      bool done = step(false, nullptr);
      if (done || lastBusy || lastActive)
        fail("idle unit: done / busy / a port active");
    }
  }

  /// Runs one instruction from its start cycle to done; its cycles.
  uint64_t run(const isa::Instr &in, uint64_t limit) {
    bool done = step(true, &in);
    if (lastBusy)
      fail("busy in the start cycle");
    uint64_t cycles = 1;
    while (!done) {
      if (cycles > limit)
        fail("no done after " + std::to_string(limit) + " cycles");
      done = step(false, nullptr);
      ++cycles;
      if (!lastBusy)
        fail("busy low before done");
    }
    return cycles;
  }
};

/// First differing unit of two buffers, or -1.
template <typename A, typename B>
int64_t firstDiff(const A &a, const B &b, size_t n, size_t unit) {
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i])
      return int64_t(i / unit);
  return -1;
}

std::string describe(const Gemm &g) {
  char b[512];
  std::snprintf(b, sizeof b,
                "wfmt %lld acc %lld epi %lld res %lld in %lldx%lld cb %lld cstride %lld "
                "out %lldx%lld k %lldx%lld s %lldx%lld d %lldx%lld pad %lld,%lld "
                "in_addr %lld w_addr %lld acc_addr %lld param %lld out_addr %lld",
                (long long)g.wfmt, (long long)g.acc, (long long)g.epi,
                (long long)g.res,
                (long long)g.inH, (long long)g.inW, (long long)g.inCb,
                (long long)g.cstride, (long long)g.outH, (long long)g.outW,
                (long long)g.kH, (long long)g.kW, (long long)g.sH,
                (long long)g.sW, (long long)g.dH, (long long)g.dW,
                (long long)g.pT, (long long)g.pL, (long long)g.inAddr,
                (long long)g.wAddr, (long long)g.accAddr, (long long)g.param,
                (long long)g.outAddr);
  std::string d = b;
  if (g.win)
    d = "GEMM_WIN slots " + std::to_string(g.slots) + " " + d;
  if (g.poolK)
    d += " pool k " + std::to_string(g.poolK) + " s " + std::to_string(g.poolS) +
         " pad " + std::to_string(g.ppT) + "," + std::to_string(g.ppL) + "," +
         std::to_string(g.ppB) + "," + std::to_string(g.ppR);
  return d;
}

} // namespace

int main(int argc, char **argv) {
  tb::Args args = tb::parseArgs(argc, argv, 1000);
  const TargetConfig &t = args.cfg;
  Machine mc(t);
  Tb tbm(args, mc);
  Vdlp_gemm &m = tbm.m;
  if (tb::portWords<decltype(m.ab_rd_data)>() != t.Q ||
      tb::portWords<decltype(m.wb_rd_data)>() !=
          (t.L * (t.Q + 1) * 8 + 31) / 32 ||
      tb::portWords<decltype(m.pb_rd_data)>() * 4 < t.paramEntryBytes())
    tb::fail(args, "the model was not built for this config's L and Q");

  tb::Rng rng(args.seed);
  mc.fill(rng);
  tbm.reset();
  tbm.idle(3);

  // Fewer steps per instruction on a large array (slow to simulate).
  const int64_t maxSteps = t.L > 16 ? 400 : 3000;
  std::vector<Gemm> directed = directedGemms(mc, rng);
  uint64_t n = std::max<uint64_t>(args.vectors, 0), steps = 0, cycles = 0,
           backToBack = 0, fbufWrites = 0, residuals = 0, wins = 0,
           pooled = 0, pooledPixels = 0;
  uint64_t kinds[2][2][2] = {};
  for (uint64_t i = 0; i < n; ++i) {
    if (i > 0 && i % 20 == 0)
      mc.fill(rng);
    Gemm g = i < directed.size() ? directed[i] : randomGemm(mc, rng, maxSteps);
    isa::Instr in = encode(g);
    // The loader's rules (docs/isa.md 3.3): the instruction must be valid.
    mc.prog.code = {in, isa::Instr::make(isa::Opcode::End)};
    if (llvm::Error e = validateProgram(mc.prog))
      tb::fail(args, "generated an invalid GEMM (" + describe(g) +
                         "): " + llvm::toString(std::move(e)));
    llvm::Expected<InstrCost> cost = instrCost(in, args.cycles);
    if (!cost)
      tb::fail(args, llvm::toString(cost.takeError()));

    tbm.winNow = g.win;
    uint64_t got = tbm.run(in, cost->cycles + 1000);
    tbm.winNow = false;
    // The reference on the simulator's copy of the same buffers.
    executeGemm(mc.prog, in, mc.st);
    int64_t d = firstDiff(mc.fbuf, reinterpret_cast<const uint8_t *>(
                                       mc.st.fbuf.data()),
                          mc.fbuf.size(), mc.L);
    if (d >= 0) {
      std::string bytes;
      for (size_t l = 0; l < mc.L; ++l)
        bytes += " " + std::to_string(int(int8_t(mc.fbuf[d * mc.L + l]))) + "/" +
                 std::to_string(int(mc.st.fbuf[d * mc.L + l]));
      tb::fail(args, "instruction " + std::to_string(i) + " (" + describe(g) +
                         "): FBUF vector " + std::to_string(d) +
                         " differs from the simulator (RTL / simulator:" +
                         bytes + ")");
    }
    d = firstDiff(mc.abuf, reinterpret_cast<const uint32_t *>(mc.st.abuf.data()),
                  mc.abuf.size(), mc.Q);
    if (d >= 0) {
      size_t q = 0;
      while (mc.abuf[d * mc.Q + q] == uint32_t(mc.st.abuf[d * mc.Q + q]))
        ++q;
      tb::fail(args, "instruction " + std::to_string(i) + " (" + describe(g) +
                         "): ABUF vector " + std::to_string(d) + " lane " +
                         std::to_string(q) + ": rtl " +
                         std::to_string(int32_t(mc.abuf[d * mc.Q + q])) +
                         ", simulator " +
                         std::to_string(mc.st.abuf[d * mc.Q + q]));
    }
    // Timing: start to done inclusive = the cycle model's cost + 0.
    if (got != cost->cycles)
      tb::fail(args, "instruction " + std::to_string(i) + " (" + describe(g) +
                         "): " + std::to_string(got) +
                         " cycles, the cycle model says " +
                         std::to_string(cost->cycles));
    steps += uint64_t(g.steps());
    cycles += got;
    fbufWrites += g.epi ? uint64_t(g.poolK ? g.written() : g.outH * g.outW) : 0;
    residuals += g.res;
    pooled += g.poolK > 0;
    pooledPixels += g.poolK ? uint64_t(g.written()) : 0;
    wins += g.win;
    ++kinds[g.wfmt][g.acc][g.epi];
    // The next instruction back to back, or after idle cycles.
    if (rng.chance(50))
      ++backToBack;
    else
      tbm.idle(unsigned(rng.range(1, 3)));
  }
  tbm.idle(2);
  m.final();
  std::printf("PASS: %llu GEMMs (%zu directed; %llu back to back), %llu array "
              "steps, %llu cycles, each = cycle model cost (constant 0); "
              "FBUF and ABUF equal to executeGemm after every instruction "
              "(%llu epilogue pixels; %llu GEMMs with the residual add)\n"
              "  window-sparse array W = %u: %llu GEMM_WIN, %llu window-port "
              "reads\n",
              (unsigned long long)n, directed.size(),
              (unsigned long long)backToBack, (unsigned long long)steps,
              (unsigned long long)cycles, (unsigned long long)fbufWrites,
              (unsigned long long)residuals, t.window, (unsigned long long)wins,
              (unsigned long long)tbm.fxReads);
  if (t.gemmPool)
    std::printf("  post-processing max pool: %llu GEMMs, %llu pooled pixels\n",
                (unsigned long long)pooled, (unsigned long long)pooledPixels);
  std::printf("  by wfmt/accumulate/epilogue:");
  for (int f = 0; f < 2; ++f)
    for (int a = 0; a < 2; ++a)
      for (int e = 0; e < 2; ++e)
        std::printf(" %d%d%d:%llu", f, a, e, (unsigned long long)kinds[f][a][e]);
  std::printf("\n");
  return 0;
}

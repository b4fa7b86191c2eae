//===- PoolTb.cpp - dlp_pool (POOL) against the functional simulator ------===//
//
//   rtl-pool-tb <config.json> [seed] [instructions]
//
// Runs POOL instructions through the Verilated dlp_pool. The testbench
// models FBUF (one read port, one write port; synchronous read, data the
// cycle after the address, random bytes when the port is not enabled;
// read-first on a same-cycle write). Each instruction starts from random
// contents of its input tile (int8 ends favoured); the reference is
// dlprt::Simulator running LOAD FBUF, the POOL, STORE FBUF, END on the same
// contents, and the whole FBUF must match afterwards (every written vector,
// nothing else written; exactly cb * out_h * out_w writes).
//
// Timing: every instruction's cycles (start to done inclusive) must equal
// the cycle model's (instrCost, docs/cycle-model.md 2.3: the unit's
// schedule, dlp_pool.sv header): the streaming path's reads (one per
// cycle, the stall rule at the first vector of an input row) and its two
// output walkers (real outputs in raster order as soon as complete, else a
// padding-only output), cycles = setup + max(t_last + 1, u_last + divide)
// + 3; the fallback's cb * out_h * out_w * k_h * k_w + P_pool. The
// summary also counts the random instructions whose cycles differ from
// one cycle per input vector (cb * max(in_h * in_w, out_h * out_w) +
// P_pool), the streaming path's bubbles. A fallback instruction's cycles
// are also checked against its count formed here. On a target without the
// streaming path (units.pool_streaming false: rtl-pool-nostream) every
// instruction is a fallback one.
//
// Directed shapes first: those above, 3x3/1 pad 1 (both count rules),
// padding on all sides (both count rules), padding-only windows (outputs
// past the padded extent), dilation 2 (fallback), out_w > OW_MAX
// (fallback), tall windows (fallback), 1x1, large top padding (stall
// rule), all -128 windows, average ties, a 255x255 window (mode 1 count
// 127 * 127), global 100x100 of all 127 / all -128, several blocks. Then
// random shapes (both paths, all modes, odd paddings and output sizes),
// input and output tiles disjoint (the unit does not pool in place: see
// dlp_pool.sv). POOL_TB_ONLY=<i> runs directed shape i alone,
// POOL_TB_TRACE=1 prints every cycle's ports.
//
//===----------------------------------------------------------------------===//

#include "TbUtil.h"

#include "Vdlp_pool.h"

#include "dlprt/CycleModel.h"
#include "dlprt/Isa.h"
#include "dlprt/Program.h"
#include "dlprt/Simulator.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace dlprt;
using isa::Field;
using isa::Instr;
using isa::Opcode;

namespace {

struct Env {
  tb::Args args;
  uint32_t L = 0;
  uint64_t fbufVectors = 0;
  int64_t owMax = 0;
};

struct Harness {
  const Env &e;
  Vdlp_pool m;
  tb::Rng noise;
  std::vector<int8_t> fbuf;
  std::vector<int8_t> rd;
  bool vRd = false;
  uint64_t cycle = 0;
  bool trace = std::getenv("POOL_TB_TRACE") != nullptr;

  Harness(const Env &e, uint64_t seed)
      : e(e), noise(seed ^ 0x9001), rd(e.L) {}

  void resetUnit() {
    m.rst_n = 0;
    m.start = 0;
    for (int i = 0; i < 2; ++i)
      step(nullptr, nullptr);
    m.rst_n = 1;
  }

  void step(std::vector<uint64_t> *writes, bool *done) {
    for (unsigned i = 0; i < e.L; ++i)
      tb::put(m.fa_rd_data, 8 * i, 8,
              vRd ? uint8_t(rd[i]) : uint8_t(noise.next()));
    m.clk = 0;
    m.eval();
    bool n = m.fa_rd_en;
    uint64_t a = m.fa_rd_addr;
    if (n) {
      if (a >= e.fbufVectors)
        tb::fail(e.args, "fa_rd_addr out of FBUF");
      std::copy_n(&fbuf[a * e.L], e.L, rd.begin());
    }
    bool w = m.fw_en;
    uint64_t wa = m.fw_addr;
    std::vector<int8_t> wd(e.L);
    for (unsigned l = 0; l < e.L; ++l)
      wd[l] = int8_t(tb::get(m.fw_data, 8 * l, 8));
    if (done)
      *done = m.done;
    if (trace)
      std::printf("cycle %llu: rd %d @%llu (lane0 in %d) wr %d @%llu lane0 "
                  "%d done %d busy %d\n",
                  (unsigned long long)cycle, int(n), (unsigned long long)a,
                  int(n ? fbuf[a * e.L] : 0), int(w), (unsigned long long)wa,
                  int(wd[0]), int(m.done), int(m.busy));
    m.clk = 1;
    m.eval();
    vRd = n;
    if (w) {
      if (wa >= e.fbufVectors)
        tb::fail(e.args, "fw_addr out of FBUF");
      std::copy(wd.begin(), wd.end(), fbuf.begin() + wa * e.L);
      if (writes)
        writes->push_back(wa);
      else
        tb::fail(e.args, "FBUF write outside an instruction");
    }
    ++cycle;
  }
};

struct Shape {
  int64_t mode = 0, ih = 1, iw = 1, cb = 1, oh = 1, ow = 1, kh = 1, kw = 1,
          sh = 1, sw = 1, pt = 0, pl = 0, pb = 0, pr = 0, dh = 1, dw = 1;
  int64_t in = 0, ics = 0, out = 0, ocs = 0;
  int dataKind = 0;        // 0 random, 1 all -128, 2 small values, 3 all 127
  std::string name;
};

Instr poolInstr(const Shape &s) {
  return tb::makeInstr(Opcode::Pool,
                   {{"mode", s.mode},         {"in_addr", s.in},
                    {"in_cstride", s.ics},    {"in_h", s.ih},
                    {"in_w", s.iw},           {"cb", s.cb},
                    {"out_h", s.oh},          {"out_w", s.ow},
                    {"k_h", s.kh},            {"k_w", s.kw},
                    {"stride_h", s.sh},       {"stride_w", s.sw},
                    {"pad_t", s.pt},          {"pad_l", s.pl},
                    {"pad_b", s.pb},          {"pad_r", s.pr},
                    {"dil_h", s.dh},          {"dil_w", s.dw},
                    {"out_addr", s.out},      {"out_cstride", s.ocs}});
}

int64_t inExtent(const Shape &s) { return (s.cb - 1) * s.ics + s.ih * s.iw; }
int64_t outExtent(const Shape &s) {
  return (s.cb - 1) * s.ocs + s.oh * s.ow;
}

/// The streaming path takes the shape (never on a target without it,
/// units.pool_streaming false).
bool fastPath(const Env &e, const Shape &s) {
  const int64_t NR = int64_t(e.args.cycles.poolRows),
                NC = int64_t(e.args.cycles.poolCols);
  return e.args.cfg.poolStreaming && s.dh == 1 && s.dw == 1 &&
         (s.kh <= NR * s.sh || s.oh <= NR) &&
         (s.kw <= NC * s.sw || s.ow <= NC) && s.ow <= e.owMax;
}

/// One cycle per input vector (or output vector): the streaming path's
/// count without bubbles.
uint64_t oneVectorPerCycle(const Env &e, const Shape &s) {
  return uint64_t(s.cb * std::max(s.ih * s.iw, s.oh * s.ow)) +
         e.args.cycles.poolPipeline;
}

/// ONNX's output size (floor mode; ceil mode when `ceil`).
int64_t outSize(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1,
                int64_t d, bool ceil) {
  int64_t span = d * (k - 1) + 1, n = in + p0 + p1 - span;
  if (n < 0)
    return 1;
  return (ceil ? (n + s - 1) / s : n / s) + 1;
}

/// Places the input and output tiles (disjoint) in FBUF; false if they do
/// not fit.
bool place(const Env &e, Shape &s, tb::Rng &r) {
  const int64_t V = int64_t(e.fbufVectors);
  if (s.ics == 0 && s.cb > 1)
    s.ics = s.ih * s.iw + (r.chance(50) ? 0 : r.range(0, 20));
  if (s.ocs == 0 && s.cb > 1)
    s.ocs = s.oh * s.ow + (r.chance(50) ? 0 : r.range(0, 20));
  int64_t ie = inExtent(s), oe = outExtent(s);
  if (ie + oe > V)
    return false;
  int64_t gap = V - ie - oe;
  int64_t g0 = r.range(0, gap), g1 = r.range(0, gap - g0);
  if (r.chance(50)) {
    s.in = g0;
    s.out = g0 + ie + g1;
  } else {
    s.out = g0;
    s.in = g0 + oe + g1;
  }
  return true;
}

bool valid(const Env &e, const Shape &s) {
  const int64_t V = int64_t(e.fbufVectors);
  if (s.mode > 2 || s.ih < 1 || s.iw < 1 || s.cb < 1 || s.oh < 1 ||
      s.ow < 1 || s.kh < 1 || s.kw < 1 || s.sh < 1 || s.sw < 1 ||
      s.dh < 1 || s.dw < 1)
    return false;
  if (s.mode != 0 && (s.dh != 1 || s.dw != 1))
    return false;
  if (s.in + inExtent(s) > V || s.out + outExtent(s) > V)
    return false;
  if (s.cb > 1 && s.ocs < s.oh * s.ow)
    return false;
  // disjoint input and output tiles (the unit's documented use)
  return s.in + inExtent(s) <= s.out || s.out + outExtent(s) <= s.in;
}

Shape randomShape(const Env &e, tb::Rng &r) {
  for (;;) {
    Shape s;
    s.name = "random";
    s.mode = r.range(0, 2);
    int kind = int(r.next() % 10);
    s.kh = r.chance(70) ? r.range(1, 4) : r.range(1, 9);
    s.kw = r.chance(60) ? s.kh : (r.chance(70) ? r.range(1, 4) : r.range(1, 9));
    s.sh = r.chance(60) ? r.range(1, 3) : r.range(1, 6);
    s.sw = r.chance(60) ? s.sh : r.range(1, 6);
    if (s.mode == 0 && r.chance(15)) {
      s.dh = r.range(1, 3);
      s.dw = r.range(1, 3);
    }
    s.ih = r.chance(80) ? r.range(1, 16) : r.range(1, 40);
    s.iw = r.chance(80) ? r.range(1, 16) : r.range(1, 40);
    if (kind == 0) // wide rows: beyond OW_MAX sometimes
      s.iw = r.range(e.owMax - 8, e.owMax + 40), s.ih = r.range(1, 3);
    auto pad = [&](int64_t k) {
      if (r.chance(15))
        return r.range(0, 12);
      return r.chance(40) ? int64_t(0) : r.range(0, std::max<int64_t>(k - 1, 0));
    };
    s.pt = pad(s.kh); s.pb = pad(s.kh); s.pl = pad(s.kw); s.pr = pad(s.kw);
    bool ceil = r.chance(30);
    s.oh = outSize(s.ih, s.kh, s.sh, s.pt, s.pb, s.dh, ceil);
    s.ow = outSize(s.iw, s.kw, s.sw, s.pl, s.pr, s.dw, ceil);
    if (kind == 1) { // arbitrary output sizes (padding-only windows too)
      s.oh = r.range(1, s.ih + 4);
      s.ow = r.range(1, s.iw + 4);
    }
    if (kind == 2) { // global pooling
      s.kh = s.ih; s.kw = s.iw; s.sh = s.sw = 1; s.oh = s.ow = 1;
      s.pt = s.pl = s.pb = s.pr = 0; s.dh = s.dw = 1;
    }
    s.cb = r.chance(50) ? 1 : r.range(1, 4);
    if (s.cb * s.oh * s.ow * s.kh * s.kw > 60000 && !fastPath(e, s))
      continue;
    if (s.cb * (s.ih * s.iw + s.oh * s.ow) > 20000)
      continue;
    if (!place(e, s, r) || !valid(e, s))
      continue;
    return s;
  }
}

std::vector<Shape> directedShapes(const Env &e) {
  std::vector<Shape> v;
  auto add = [&](Shape s) {
    if (s.cb > 1) {
      if (!s.ics) s.ics = s.ih * s.iw;
      if (!s.ocs) s.ocs = s.oh * s.ow;
    }
    s.in = 0;
    s.out = inExtent(s);
    v.push_back(s);
  };
  Shape s;
  // ResNet's max pool: 3x3 stride 2 pad 1 (112 -> 56 when it fits).
  int64_t big = std::min<int64_t>(112, e.owMax);
  s = {}; s.name = "resnet 3x3/2 p1"; s.ih = s.iw = big; s.kh = s.kw = 3;
  s.sh = s.sw = 2; s.pt = s.pl = s.pb = s.pr = 1; s.oh = s.ow = big / 2;
  add(s);
  s.name = "3x3/2 p1, 3 blocks"; s.ih = s.iw = 15; s.oh = s.ow = 8; s.cb = 3;
  add(s);
  for (int m = 0; m < 3; ++m) {
    s = {}; s.name = "2x2/2 mode " + std::to_string(m); s.mode = m;
    s.ih = s.iw = 8; s.kh = s.kw = 2; s.sh = s.sw = 2; s.oh = s.ow = 4;
    s.cb = 2; add(s);
  }
  for (int m = 0; m < 3; ++m) {
    s = {}; s.name = "global 7x7 mode " + std::to_string(m); s.mode = m;
    s.ih = s.iw = 7; s.kh = s.kw = 7; s.cb = 3; add(s);
  }
  s = {}; s.name = "global 13x9 avg"; s.mode = 2; s.ih = 13; s.iw = 9;
  s.kh = 13; s.kw = 9; add(s);
  s = {}; s.name = "stride > kernel 2x2/3"; s.ih = s.iw = 11; s.kh = s.kw = 2;
  s.sh = s.sw = 3; s.oh = s.ow = 4; s.cb = 2; s.mode = 2;
  add(s);
  for (int m = 1; m <= 2; ++m) {
    s = {}; s.name = "3x3/1 p1 avg mode " + std::to_string(m); s.mode = m;
    s.ih = s.iw = 6; s.kh = s.kw = 3; s.pt = s.pl = s.pb = s.pr = 1;
    s.oh = s.ow = 6; add(s);
    s = {}; s.name = "all sides padding mode " + std::to_string(m);
    s.mode = m; s.ih = 9; s.iw = 10; s.kh = 3; s.kw = 4; s.sh = 2; s.sw = 2;
    s.pt = 1; s.pl = 2; s.pb = 2; s.pr = 1;
    s.oh = outSize(9, 3, 2, 1, 2, 1, true);
    s.ow = outSize(10, 4, 2, 2, 1, 1, true); s.cb = 2; add(s);
    s = {}; s.name = "padding-only windows mode " + std::to_string(m);
    s.mode = m; s.ih = 4; s.iw = 5; s.kh = s.kw = 2; s.sh = s.sw = 2;
    s.pt = 3; s.pl = 1; s.pb = 1; s.pr = 2; s.oh = 6; s.ow = 6; add(s);
  }
  s = {}; s.name = "padding-only windows max"; s.ih = 4; s.iw = 5; s.kh = 2;
  s.kw = 3; s.sh = 2; s.sw = 1; s.pt = 5; s.pl = 4; s.oh = 7; s.ow = 9;
  add(s);
  s = {}; s.name = "dilation 2 (fallback)"; s.ih = s.iw = 9; s.kh = s.kw = 3;
  s.dh = s.dw = 2; s.pt = s.pl = 2; s.pb = s.pr = 2; s.oh = s.ow = 9; add(s);
  s = {}; s.name = "dilation 3x2 stride 2 (fallback)"; s.ih = 10; s.iw = 8;
  s.kh = 2; s.kw = 3; s.dh = 3; s.dw = 2; s.sh = s.sw = 2; s.pt = 1;
  s.oh = 5; s.ow = 2; s.cb = 2; add(s);
  s = {}; s.name = "out_w > OW_MAX (fallback)"; s.mode = 2; s.ih = 2;
  s.iw = e.owMax + 30; s.kh = 2; s.kw = 3; s.pl = s.pr = 1; s.oh = 1;
  s.ow = s.iw; add(s);
  s = {}; s.name = "out_w = OW_MAX"; s.mode = 1; s.ih = 3; s.iw = e.owMax;
  s.kh = 3; s.kw = 3; s.pl = s.pr = 1; s.oh = 1; s.ow = e.owMax; add(s);
  s = {}; s.name = "tall window 6x1/1 (fallback)"; s.mode = 0; s.ih = 10;
  s.iw = 3; s.kh = 6; s.kw = 1; s.oh = 5; s.ow = 3; add(s);
  s = {}; s.name = "wide window 1x5/1"; s.mode = 1; s.ih = 3; s.iw = 12;
  s.kh = 1; s.kw = 5; s.pl = s.pr = 2; s.oh = 3; s.ow = 12; add(s);
  s = {}; s.name = "1x1"; s.ih = 5; s.iw = 7; s.oh = 5; s.ow = 7; s.cb = 2;
  add(s);
  s = {}; s.name = "large top padding (stall rule)"; s.ih = 6; s.iw = 6;
  s.kh = s.kw = 3; s.pt = 10; s.pl = 1; s.pb = 1; s.pr = 1; s.oh = 15;
  s.ow = 6; s.cb = 2; add(s);
  s = {}; s.name = "all -128"; s.ih = s.iw = 6; s.kh = s.kw = 3; s.sh = 2;
  s.sw = 2; s.pt = s.pl = 1; s.oh = s.ow = 3; s.dataKind = 1; add(s);
  s.name = "all -128 avg"; s.mode = 1; add(s);
  s = {}; s.name = "avg ties (small values)"; s.mode = 2; s.ih = s.iw = 8;
  s.kh = s.kw = 3; s.sh = s.sw = 1; s.pt = s.pl = s.pb = s.pr = 1;
  s.oh = s.ow = 8; s.dataKind = 2; add(s);
  s = {}; s.name = "tiny 2x2"; s.ih = s.iw = 2; s.kh = s.kw = 2; add(s);
  s = {}; s.name = "255x255 window, mode 1 count 127*127"; s.mode = 1;
  s.ih = 2; s.iw = 3; s.kh = s.kw = 255; s.pt = s.pl = s.pb = s.pr = 63;
  s.oh = 1; s.ow = 2; s.sh = s.sw = 9; add(s);
  s = {}; s.name = "global 100x100 avg, all 127"; s.mode = 2; s.ih = 100;
  s.iw = 100; s.kh = 100; s.kw = 100; s.dataKind = 3;
  add(s);
  s.name = "global 100x100 max, all -128"; s.mode = 0; s.dataKind = 1; add(s);
  s = {}; s.name = "one vector"; s.mode = 2; s.pt = 2; s.pl = 2; s.kh = 5;
  s.kw = 5; add(s);
  return v;
}

int8_t randomData(tb::Rng &r, int kind) {
  if (kind == 1)
    return -128;
  if (kind == 2)
    return int8_t(r.range(-3, 3));
  if (kind == 3)
    return 127;
  if (r.chance(20))
    return r.pick<int8_t>({-128, -127, -1, 0, 1, 126, 127});
  return int8_t(r.next());
}

} // namespace

int main(int argc, char **argv) {
  Env e;
  e.args = tb::parseArgs(argc, argv, 300);
  e.L = e.args.cfg.L;
  e.fbufVectors = e.args.cfg.fbufVectors();
  unsigned aw = 0;
  while ((uint64_t(1) << aw) < e.fbufVectors)
    ++aw;
  e.owMax = int64_t(1) << ((aw + 1) / 2);
  if (uint64_t(e.owMax) != e.args.cycles.poolMaxOutW)
    tb::fail(e.args, "OW_MAX " + std::to_string(e.owMax) +
                         " differs from the cycle model's poolMaxOutW");
  const tb::Args &args = e.args;

  Harness h(e, args.seed);
  if (tb::portWords<decltype(h.m.fa_rd_data)>() * 4 != e.L)
    tb::fail(args, "the model was not built for this config's L");
  tb::Rng rng(args.seed);
  h.fbuf.resize(e.fbufVectors * e.L);
  for (auto &v : h.fbuf)
    v = randomData(rng, 0);
  h.resetUnit();

  std::vector<Shape> shapes = directedShapes(e);
  // POOL_TB_ONLY=<i>: only directed shape i (debugging).
  if (const char *only = std::getenv("POOL_TB_ONLY"))
    shapes = {shapes.at(std::strtoul(only, nullptr, 0))};
  size_t directed = shapes.size();
  for (uint64_t i = 0; i < args.vectors; ++i)
    shapes.push_back(randomShape(e, rng));

  uint64_t written = 0, fastCount = 0, randomCount = 0, bubbles = 0;
  for (size_t t = 0; t < shapes.size(); ++t) {
    const Shape &s = shapes[t];
    std::string what = "instruction " + std::to_string(t) + " (" + s.name +
                       ": mode " + std::to_string(s.mode) + " in " +
                       std::to_string(s.ih) + "x" + std::to_string(s.iw) +
                       " cb " + std::to_string(s.cb) + " out " +
                       std::to_string(s.oh) + "x" + std::to_string(s.ow) +
                       " k " + std::to_string(s.kh) + "x" +
                       std::to_string(s.kw) + " s " + std::to_string(s.sh) +
                       "," + std::to_string(s.sw) + " pad " +
                       std::to_string(s.pt) + "," + std::to_string(s.pl) +
                       "," + std::to_string(s.pb) + "," +
                       std::to_string(s.pr) + " dil " +
                       std::to_string(s.dh) + "," + std::to_string(s.dw) +
                       (fastPath(e, s) ? ", streaming" : ", fallback") + ")";
    if (!valid(e, s))
      tb::fail(args, "testbench bug: invalid " + what);
    for (int64_t b = 0; b < s.cb; ++b)
      for (int64_t i = 0; i < s.ih * s.iw; ++i)
        for (uint32_t l = 0; l < e.L; ++l)
          h.fbuf[(s.in + b * s.ics + i) * e.L + l] = randomData(rng, s.dataKind);
    Instr in = poolInstr(s);
    std::vector<int8_t> want = tb::referenceFbuf(e.args, h.fbuf, {}, in);

    unsigned gap = rng.chance(50) ? 0 : unsigned(rng.range(1, 3));
    for (unsigned g = 0; g < gap; ++g) {
      h.m.start = 0;
      h.step(nullptr, nullptr);
      if (h.m.busy)
        tb::fail(args, "busy while idle");
    }
    std::vector<uint64_t> writes;
    h.m.start = 1;
    tb::putInsn(h.m.insn, in);
    uint64_t s0 = h.cycle, doneAt = 0;
    bool done = false;
    h.step(&writes, &done);
    if (done)
      tb::fail(args, what + ": done in the start cycle");
    h.m.start = 0;
    for (unsigned k = 0; k < 8; ++k)
      h.m.insn[k] = uint32_t(rng.next());
    auto cost = instrCost(in, args.cycles);
    if (!cost)
      tb::fail(args, llvm::toString(cost.takeError()));
    uint64_t predicted = cost->cycles;
    for (uint64_t c = 1; !done; ++c) {
      if (c > predicted + 1000)
        tb::fail(args, what + ": no done after " + std::to_string(c) +
                           " cycles (cycle model " + std::to_string(predicted) +
                           ")");
      if (!h.m.busy)
        tb::fail(args, what + ": busy low before done");
      h.step(&writes, &done);
      doneAt = h.cycle - 1;
    }
    if (h.m.busy)
      tb::fail(args, what + ": busy high after done");
    for (uint64_t v = 0; v < e.fbufVectors; ++v)
      for (uint32_t l = 0; l < e.L; ++l)
        if (h.fbuf[v * e.L + l] != want[v * e.L + l])
          tb::fail(args, what + ": FBUF vector " + std::to_string(v) +
                             " (out + " +
                             std::to_string(int64_t(v) - s.out) + ") lane " +
                             std::to_string(l) + ": rtl " +
                             std::to_string(h.fbuf[v * e.L + l]) +
                             ", simulator " +
                             std::to_string(want[v * e.L + l]));
    if (writes.size() != uint64_t(s.cb * s.oh * s.ow))
      tb::fail(args, what + ": " + std::to_string(writes.size()) +
                         " FBUF writes, expected cb * out_h * out_w");
    uint64_t cycles = doneAt + 1 - s0;
    if (cycles != predicted)
      tb::fail(args, what + ": " + std::to_string(cycles) +
                         " cycles, the cycle model gives " +
                         std::to_string(predicted));
    // The fallback's count, formed here (docs/cycle-model.md 2.3).
    if (!fastPath(e, s) &&
        cycles != uint64_t(s.cb * s.oh * s.ow * s.kh * s.kw) +
                      e.args.cycles.poolPipeline)
      tb::fail(args, what + ": " + std::to_string(cycles) +
                         " cycles, not one per window element + P_pool");
    if (t >= directed) {
      ++randomCount;
      fastCount += fastPath(e, s);
      bubbles += fastPath(e, s) && cycles != oneVectorPerCycle(e, s);
    }
    written += writes.size();
  }
  h.m.final();
  std::printf(
      "PASS: %zu POOL instructions (%zu directed), %llu vectors written and "
      "checked, FBUF compared whole after each; cycles = the cycle model's "
      "for all; random: %llu streaming (%llu of them not one cycle per "
      "vector), %llu fallback\n",
      shapes.size(), directed, (unsigned long long)written,
      (unsigned long long)fastCount, (unsigned long long)bubbles,
      (unsigned long long)(randomCount - fastCount));
  return 0;
}

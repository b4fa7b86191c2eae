//===- EltwiseTb.cpp - dlp_eltwise (ADD) against the functional simulator -===//
//
//   rtl-eltwise-tb <config.json> [seed] [instructions]
//
// Runs ADD instructions through the Verilated dlp_eltwise. The testbench
// models the SRAMs the core owns: FBUF (read ports A and B, one write port)
// and PBUF (one read port), synchronous reads (data the cycle after the
// address; random bytes when a port is not enabled), read-first on a
// same-cycle write. Each instruction starts from random FBUF contents and
// random loader-valid PBUF entries (out_shift in [-32, 63], |aux| <= 22);
// the reference is dlprt::Simulator running LOAD FBUF, LOAD PBUF, the ADD,
// STORE FBUF, END on the same contents, and the whole FBUF must match
// afterwards (every written vector, and nothing else written). Per
// instruction, the cycles from start to done (inclusive) must equal the
// cycle model's instrCost exactly (the unit's constant is 0), busy must be
// high from the cycle after start through done, and exactly cb * n vectors
// must be written. Directed instructions first (single element, unary,
// in place on a and on b, stride 0 operands, aux -22 / 22 with int8 ends,
// shifts -32 / 0 / 1 / 63, act_min > act_max, tiles at the end of FBUF and
// the last PBUF entry), then random ones (shapes, aliasing, back-to-back
// starts or idle gaps between instructions).
//
//===----------------------------------------------------------------------===//

#include "TbUtil.h"

#include "Vdlp_eltwise.h"

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
  uint32_t L = 0, Q = 0;
  uint64_t fbufVectors = 0, entries = 0, entryBytes = 0;
};

template <typename P>
void putVec(P &port, const int8_t *v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i)
    tb::put(port, 8 * i, 8, uint8_t(v[i]));
}

template <typename P>
void putRandom(P &port, unsigned bytes, tb::Rng &r) {
  for (unsigned i = 0; i < bytes; ++i)
    tb::put(port, 8 * i, 8, uint8_t(r.next()));
}

/// The Verilated unit with its SRAM models.
struct Harness {
  const Env &e;
  Vdlp_eltwise m;
  tb::Rng noise;
  std::vector<int8_t> fbuf;
  std::vector<uint8_t> pbuf;
  // Read data presented this cycle (captured at the last edge).
  std::vector<int8_t> rdA, rdB;
  std::vector<uint8_t> rdP;
  bool vA = false, vB = false, vP = false;
  uint64_t cycle = 0;

  Harness(const Env &e, uint64_t seed)
      : e(e), noise(seed ^ 0x5eed), rdA(e.L), rdB(e.L), rdP(e.entryBytes) {}

  void resetUnit() {
    m.rst_n = 0;
    m.start = 0;
    for (int i = 0; i < 2; ++i)
      step(nullptr, nullptr);
    m.rst_n = 1;
  }

  /// One cycle. `writes` collects the FBUF addresses written; `done`
  /// reports the done pulse.
  void step(std::vector<uint64_t> *writes, bool *done) {
    if (vA) putVec(m.fa_rd_data, rdA.data(), e.L); else putRandom(m.fa_rd_data, e.L, noise);
    if (vB) putVec(m.fb_rd_data, rdB.data(), e.L); else putRandom(m.fb_rd_data, e.L, noise);
    if (vP)
      putVec(m.pb_rd_data, reinterpret_cast<const int8_t *>(rdP.data()),
             unsigned(e.entryBytes));
    else
      putRandom(m.pb_rd_data, unsigned(e.entryBytes), noise);
    m.clk = 0;
    m.eval();
    // Sample the ports of this cycle (reads see the memory before this
    // cycle's write: read-first).
    bool nA = m.fa_rd_en, nB = m.fb_rd_en, nP = m.pb_rd_en;
    uint64_t aA = m.fa_rd_addr, aB = m.fb_rd_addr, aP = m.pb_rd_addr;
    if (nA) {
      if (aA >= e.fbufVectors) tb::fail(e.args, "fa_rd_addr out of FBUF");
      std::copy_n(&fbuf[aA * e.L], e.L, rdA.begin());
    }
    if (nB) {
      if (aB >= e.fbufVectors) tb::fail(e.args, "fb_rd_addr out of FBUF");
      std::copy_n(&fbuf[aB * e.L], e.L, rdB.begin());
    }
    if (nP) {
      if (aP >= e.entries) tb::fail(e.args, "pb_rd_addr out of PBUF");
      std::copy_n(&pbuf[aP * e.entryBytes], e.entryBytes, rdP.begin());
    }
    bool w = m.fw_en;
    uint64_t wa = m.fw_addr;
    std::vector<int8_t> wd(e.L);
    for (unsigned l = 0; l < e.L; ++l)
      wd[l] = int8_t(tb::get(m.fw_data, 8 * l, 8));
    if (done)
      *done = m.done;
    m.clk = 1;
    m.eval();
    vA = nA;
    vB = nB;
    vP = nP;
    if (w) {
      if (wa >= e.fbufVectors) tb::fail(e.args, "fw_addr out of FBUF");
      std::copy(wd.begin(), wd.end(), fbuf.begin() + wa * e.L);
      if (writes)
        writes->push_back(wa);
      else
        tb::fail(e.args, "FBUF write outside an instruction");
    }
    ++cycle;
  }
};

int8_t randomData(tb::Rng &r) {
  if (r.chance(20))
    return r.pick<int8_t>({-128, -127, -1, 0, 1, 126, 127});
  return int8_t(r.next());
}

/// A loader-valid parameter entry (raw DDR bytes).
void randomEntry(const Env &e, tb::Rng &r, uint8_t *p) {
  const uint32_t Q = e.Q;
  for (uint32_t q = 0; q < Q; ++q) {
    uint32_t bias = uint32_t(r.next());
    for (int k = 0; k < 4; ++k)
      p[4 * q + k] = uint8_t(bias >> (8 * k));
    int8_t s = r.chance(40) ? r.pick<int8_t>({-32, -31, -1, 0, 1, 2, 22, 31,
                                              32, 62, 63})
                            : int8_t(r.range(-32, 63));
    int8_t lo = r.chance(40) ? int8_t(-128) : int8_t(r.next());
    int8_t hi = r.chance(40) ? int8_t(127) : int8_t(r.next());
    if (r.chance(75) && lo > hi)
      std::swap(lo, hi);
    int8_t aux = r.chance(40) ? r.pick<int8_t>({-22, -21, -1, 0, 1, 21, 22})
                              : int8_t(r.range(-22, 22));
    p[4 * Q + q] = uint8_t(s);
    p[5 * Q + q] = uint8_t(lo);
    p[6 * Q + q] = uint8_t(hi);
    p[7 * Q + q] = uint8_t(aux);
  }
}

struct AddShape {
  bool unary = false;
  int64_t a = 0, b = 0, out = 0, n = 1, cb = 1, as = 0, bs = 0, os = 0,
          param = 0;
};

Instr addInstr(const AddShape &s) {
  return tb::makeInstr(Opcode::Add, {{"unary", s.unary},
                                 {"a_addr", s.a},
                                 {"b_addr", s.unary ? 0 : s.b},
                                 {"out_addr", s.out},
                                 {"n", s.n},
                                 {"cb", s.cb},
                                 {"a_cstride", s.as},
                                 {"b_cstride", s.unary ? 0 : s.bs},
                                 {"out_cstride", s.os},
                                 {"param_addr", s.param}});
}

bool valid(const Env &e, const AddShape &s) {
  auto inside = [&](int64_t a, int64_t st) {
    return a >= 0 && a + (s.cb - 1) * st + s.n <= int64_t(e.fbufVectors);
  };
  if (s.n < 1 || s.cb < 1 || !inside(s.a, s.as) || !inside(s.out, s.os))
    return false;
  if (!s.unary && !inside(s.b, s.bs))
    return false;
  if (s.cb > 1 && s.os < s.n)
    return false;
  return s.param + s.cb <= int64_t(e.entries);
}

/// The documented overlap rule: no element reads a vector written by one
/// of the P_elt elements before it (read P_elt cycles before its write).
bool hazardFree(const Env &e, const AddShape &s) {
  const size_t depth = size_t(e.args.cycles.eltwisePipeline);
  std::vector<int64_t> wr, ra, rb;
  for (int64_t b = 0; b < s.cb; ++b)
    for (int64_t i = 0; i < s.n; ++i) {
      wr.push_back(s.out + b * s.os + i);
      ra.push_back(s.a + b * s.as + i);
      rb.push_back(s.unary ? -1 : s.b + b * s.bs + i);
    }
  for (size_t k = 0; k < wr.size(); ++k)
    for (size_t j = k >= depth ? k - depth : 0; j < k; ++j)
      if (ra[k] == wr[j] || rb[k] == wr[j])
        return false;
  return true;
}

AddShape randomShape(const Env &e, tb::Rng &r) {
  const int64_t V = int64_t(e.fbufVectors);
  for (;;) {
    AddShape s;
    s.unary = r.chance(30);
    switch (r.next() % 4) {
    case 0: s.n = r.range(1, 4); break;
    case 1: s.n = r.range(1, 40); break;
    case 2: s.n = r.range(1, 300); break;
    default: s.n = r.range(1, 1200); break;
    }
    s.cb = r.chance(50) ? 1 : r.range(1, s.n > 300 ? 3 : 8);
    auto stride = [&](bool out) {
      if (out)
        return r.chance(60) ? s.n : s.n + r.range(0, 50);
      switch (r.next() % 4) {
      case 0: return int64_t(0);
      case 1: return r.range(0, s.n);
      default: return s.n + r.range(0, 50);
      }
    };
    s.as = stride(false);
    s.bs = stride(false);
    s.os = stride(true);
    auto place = [&](int64_t st) {
      int64_t ext = (s.cb - 1) * st + s.n;
      return ext > V ? int64_t(-1) : r.range(0, V - ext);
    };
    s.a = place(s.as);
    s.b = place(s.bs);
    s.out = place(s.os);
    switch (r.next() % 5) {
    case 0: // in place on a
      s.out = s.a;
      s.os = s.as = std::max(s.as, s.n);
      break;
    case 1: // in place on b
      if (!s.unary) {
        s.out = s.b;
        s.os = s.bs = std::max(s.bs, s.n);
      }
      break;
    case 2: // a and b the same tile
      s.b = s.a;
      s.bs = s.as;
      break;
    default:
      break;
    }
    s.param = r.range(0, std::max<int64_t>(0, int64_t(e.entries) - s.cb));
    if (valid(e, s) && hazardFree(e, s))
      return s;
  }
}

std::vector<AddShape> directedShapes(const Env &e) {
  const int64_t V = int64_t(e.fbufVectors), P = int64_t(e.entries);
  std::vector<AddShape> v;
  AddShape s;
  s.n = 1; s.a = 0; s.b = 1; s.out = 2; v.push_back(s);            // one element
  s.unary = true; v.push_back(s);                                   // unary
  s = {}; s.n = 17; s.cb = 3; s.a = 100; s.as = 17; s.b = 200; s.bs = 20;
  s.out = 100; s.os = 17; v.push_back(s);                           // in place on a
  s.out = 200; s.os = 20; s.bs = 20; v.push_back(s);                // in place on b
  s = {}; s.n = 5; s.cb = 4; s.a = 10; s.as = 0; s.b = 30; s.bs = 0;
  s.out = 50; s.os = 5; s.param = P - 4; v.push_back(s);            // stride 0, last entries
  s = {}; s.n = 40; s.cb = 2; s.a = V - 40; s.as = 0; s.b = V - 80; s.bs = 40;
  s.out = V - 200; s.os = 60; s.param = P - 2; v.push_back(s);      // FBUF end
  s = {}; s.n = 64; s.cb = 1; s.a = 0; s.b = 0; s.out = 0; v.push_back(s);  // a = b = out
  s = {}; s.unary = true; s.n = 1; s.cb = 12; s.a = 7; s.as = 1; s.out = 500;
  s.os = 1; v.push_back(s);                                         // n = 1, many blocks
  return v;
}

} // namespace

int main(int argc, char **argv) {
  Env e;
  e.args = tb::parseArgs(argc, argv, 300);
  e.L = e.args.cfg.L;
  e.Q = e.args.cfg.Q;
  e.fbufVectors = e.args.cfg.fbufVectors();
  e.entries = e.args.cfg.paramEntries;
  e.entryBytes = 8ull * e.Q;
  const tb::Args &args = e.args;

  Harness h(e, args.seed);
  if (tb::portWords<decltype(h.m.fa_rd_data)>() * 4 != e.L ||
      tb::portWords<decltype(h.m.pb_rd_data)>() * 4 != e.entryBytes)
    tb::fail(args, "the model was not built for this config's L / Q");
  tb::Rng rng(args.seed);
  h.fbuf.resize(e.fbufVectors * e.L);
  h.pbuf.resize(e.entries * e.entryBytes);
  for (auto &v : h.fbuf)
    v = randomData(rng);
  for (uint64_t k = 0; k < e.entries; ++k)
    randomEntry(e, rng, &h.pbuf[k * e.entryBytes]);
  h.resetUnit();

  std::vector<AddShape> shapes = directedShapes(e);
  size_t directed = shapes.size();
  for (uint64_t i = 0; i < args.vectors; ++i)
    shapes.push_back(randomShape(e, rng));

  uint64_t vectorsChecked = 0, elements = 0;
  for (size_t t = 0; t < shapes.size(); ++t) {
    const AddShape &s = shapes[t];
    if (!valid(e, s) || !hazardFree(e, s))
      tb::fail(args, "testbench bug: shape " + std::to_string(t));
    // Fresh operands and parameters for the tiles this ADD touches (the
    // rest of the buffers keep their earlier contents).
    for (int64_t b = 0; b < s.cb; ++b)
      for (int64_t i = 0; i < s.n; ++i)
        for (uint32_t l = 0; l < e.L; ++l) {
          h.fbuf[(s.a + b * s.as + i) * e.L + l] = randomData(rng);
          if (!s.unary)
            h.fbuf[(s.b + b * s.bs + i) * e.L + l] = randomData(rng);
        }
    for (int64_t b = 0; b < s.cb; ++b)
      randomEntry(e, rng, &h.pbuf[(s.param + b) * e.entryBytes]);
    if (t < directed) { // edge data for the directed cases
      for (int64_t b = 0; b < s.cb; ++b) {
        uint8_t *p = &h.pbuf[(s.param + b) * e.entryBytes];
        for (uint32_t q = 0; q < e.Q; ++q) {
          p[7 * e.Q + q] = uint8_t(int8_t((q + b + t) % 3 == 0   ? -22
                                          : (q + b + t) % 3 == 1 ? 22
                                                                 : 0));
          p[4 * e.Q + q] = uint8_t(int8_t(
              std::initializer_list<int>{-32, 0, 1, 63, 22, -1}
                  .begin()[(q + t) % 6]));
          if ((q + b) % 4 == 0) { // lo > hi
            p[5 * e.Q + q] = uint8_t(int8_t(50));
            p[6 * e.Q + q] = uint8_t(int8_t(-50));
          }
        }
        for (int64_t i = 0; i < s.n; ++i)
          for (uint32_t l = 0; l < e.L; ++l) {
            int8_t v = (i + l) % 2 ? int8_t(-128) : int8_t(127);
            h.fbuf[(s.a + b * s.as + i) * e.L + l] = v;
          }
      }
    }
    Instr in = addInstr(s);
    std::vector<int8_t> want = tb::referenceFbuf(e.args, h.fbuf, h.pbuf, in);

    // Idle cycles before the start (none: back to back with the last done).
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
      tb::fail(args, "done in the start cycle");
    h.m.start = 0;
    // The instruction word may change after the start cycle.
    for (unsigned k = 0; k < 8; ++k)
      h.m.insn[k] = uint32_t(rng.next());
    for (uint64_t c = 1; !done; ++c) {
      if (c > uint64_t(s.cb * s.n) + 100)
        tb::fail(args, "instruction " + std::to_string(t) + ": no done");
      if (!h.m.busy)
        tb::fail(args, "busy low before done");
      h.step(&writes, &done);
      doneAt = h.cycle - 1;
    }
    if (h.m.busy)
      tb::fail(args, "busy high after done");
    uint64_t cycles = doneAt + 1 - s0;
    auto cost = instrCost(in, args.cycles);
    if (!cost)
      tb::fail(args, llvm::toString(cost.takeError()));
    const uint64_t C = 0; // the unit's constant
    std::string what = "instruction " + std::to_string(t) + " (n " +
                       std::to_string(s.n) + ", cb " + std::to_string(s.cb) +
                       (s.unary ? ", unary" : "") + ")";
    if (cycles != cost->cycles + C)
      tb::fail(args, what + ": " + std::to_string(cycles) +
                         " cycles, cycle model " +
                         std::to_string(cost->cycles) + " + " +
                         std::to_string(C));
    if (writes.size() != uint64_t(s.cb * s.n))
      tb::fail(args, what + ": " + std::to_string(writes.size()) +
                         " FBUF writes, expected cb * n");
    for (uint64_t v = 0; v < e.fbufVectors; ++v)
      for (uint32_t l = 0; l < e.L; ++l)
        if (h.fbuf[v * e.L + l] != want[v * e.L + l])
          tb::fail(args, what + ": FBUF vector " + std::to_string(v) +
                             " lane " + std::to_string(l) + ": rtl " +
                             std::to_string(h.fbuf[v * e.L + l]) +
                             ", simulator " +
                             std::to_string(want[v * e.L + l]));
    vectorsChecked += writes.size();
    elements += uint64_t(s.cb * s.n);
  }
  h.m.final();
  std::printf("PASS: %zu ADD instructions (%zu directed), %llu vectors "
              "written and checked, FBUF compared whole after each; cycles "
              "= cycle model + 0\n",
              shapes.size(), directed, (unsigned long long)vectorsChecked);
  return 0;
}

//===- TbUtil.h - Shared helpers of the RTL testbenches ----------*- C++ -*-===//
//
// Command line (`tb <config.json> [seed] [vectors]`), a seeded generator,
// bit-field access to Verilated ports of any width, a clock tick and the
// failure report that names the seed. The config is read with the
// runtime's own loadTargetConfig: each testbench checks that the Verilated
// model was built from the package of that config (port widths) and that
// its latency is the cycle model's (CycleParams::fromTarget).
//
//===----------------------------------------------------------------------===//
#ifndef DLP_HW_TEST_TBUTIL_H
#define DLP_HW_TEST_TBUTIL_H

#include "dlprt/CycleModel.h"
#include "dlprt/Isa.h"
#include "dlprt/Program.h"
#include "dlprt/Simulator.h"
#include "dlprt/Target.h"

#include "llvm/Support/Error.h"

#include <verilated.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace tb {

struct Args {
  dlprt::TargetConfig cfg;
  dlprt::CycleParams cycles;
  uint64_t seed = 0;
  uint64_t vectors = 0;
};

inline Args parseArgs(int argc, char **argv, uint64_t defaultVectors) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s <config.json> [seed] [vectors]\n",
                 argv[0]);
    std::exit(2);
  }
  llvm::Expected<dlprt::TargetConfig> cfg = dlprt::loadTargetConfig(argv[1]);
  if (!cfg) {
    std::fprintf(stderr, "%s\n", llvm::toString(cfg.takeError()).c_str());
    std::exit(2);
  }
  Args a;
  a.cfg = *cfg;
  a.cycles = dlprt::CycleParams::fromTarget(a.cfg);
  a.seed = argc > 2 ? std::strtoull(argv[2], nullptr, 0)
                    : (uint64_t(std::random_device{}()) << 32) ^
                          std::random_device{}();
  a.vectors = argc > 3 ? std::strtoull(argv[3], nullptr, 0) : defaultVectors;
  std::printf("seed %llu, %llu vectors, target %s\n",
              (unsigned long long)a.seed, (unsigned long long)a.vectors,
              a.cfg.name.c_str());
  return a;
}

/// splitmix64: small, seedable, good enough for test vectors.
class Rng {
public:
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) {
    return lo + int64_t(next() % uint64_t(hi - lo + 1));
  }
  /// One of the values of an initializer list.
  template <typename T> T pick(std::initializer_list<T> vs) {
    return *(vs.begin() + next() % vs.size());
  }
  bool chance(unsigned percent) { return next() % 100 < percent; }

private:
  uint64_t s;
};

/// The ISA's int32 multiplier of a PE array entry (docs/isa.md 3.3): an
/// int8 weight w, or a pow2-4 code s*8 + k (bits [7:4] ignored): 0 for
/// k = 0, else (-1)^s << (k - 1).
inline uint32_t isaMultiplier(uint8_t e, bool int8) {
  if (int8)
    return uint32_t(int32_t(int8_t(e)));
  unsigned k = e & 7;
  if (k == 0)
    return 0;
  uint32_t m = uint32_t(1) << (k - 1);
  return (e & 8) ? 0u - m : m;
}

/// PE array test data: an activation (the int8 ends often, all -128 / 127
/// in an edge step), an alignment (0 / 31 often) and an accumulator start
/// (an int32 end now and then).
inline int8_t randomActivation(Rng &r, bool edge) {
  return edge ? r.pick<int8_t>({-128, 127})
              : int8_t(r.chance(20) ? r.pick<int8_t>({-128, 127, 0, -1})
                                    : r.range(-128, 127));
}
inline uint8_t randomAlign(Rng &r, bool edge) {
  return uint8_t(edge || r.chance(15) ? r.pick<uint8_t>({31, 0})
                                      : r.range(0, 31));
}
/// A dense GEMM's weight entry: an int8 weight (-128 / 127 in an edge
/// step) or a pow2-4 code (0 / 7 / 8 / 15 in an edge step; codes 0..15,
/// now and then garbage in bits [7:4], which the array ignores).
inline uint8_t randomDenseEntry(Rng &r, bool int8, bool edge) {
  if (int8)
    return uint8_t(edge ? r.pick<int8_t>({-128, 127}) : r.range(-128, 127));
  if (edge)
    return r.pick<uint8_t>({0, 7, 8, 15});
  return uint8_t(r.chance(10) ? r.range(0, 255) : r.range(0, 15));
}
inline uint32_t randomAccStart(Rng &r) {
  return r.chance(10) ? r.pick<uint32_t>({0x80000000u, 0x7fffffffu, 0})
                      : uint32_t(r.next());
}

/// Words of 32 bits a port occupies (CData .. QData, VlWide<N>).
template <typename T> constexpr unsigned portWords() {
  return (sizeof(T) + 3) / 4;
}

/// Writes bits [lsb, lsb + width) of a port (width <= 32).
template <size_t N>
void put(VlWide<N> &p, unsigned lsb, unsigned width, uint64_t v) {
  for (unsigned b = 0; b < width; ++b) {
    unsigned at = lsb + b;
    uint32_t bit = uint32_t((v >> b) & 1) << (at % 32);
    p[at / 32] = (p[at / 32] & ~(uint32_t(1) << (at % 32))) | bit;
  }
}
/// Reads bits [lsb, lsb + width) of a port (width <= 32).
template <size_t N>
uint32_t get(const VlWide<N> &p, unsigned lsb, unsigned width) {
  uint32_t v = 0;
  for (unsigned b = 0; b < width; ++b) {
    unsigned at = lsb + b;
    v |= ((p[at / 32] >> (at % 32)) & 1u) << b;
  }
  return v;
}

/// The same for ports of at most 64 bits (CData .. QData).
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
void put(T &p, unsigned lsb, unsigned width, uint64_t v) {
  uint64_t mask = ((uint64_t(1) << width) - 1) << lsb;
  p = T((uint64_t(p) & ~mask) | ((v << lsb) & mask));
}
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
uint32_t get(const T &p, unsigned lsb, unsigned width) {
  return uint32_t((uint64_t(p) >> lsb) & ((uint64_t(1) << width) - 1));
}

/// One clock cycle: inputs set before are sampled at the rising edge.
template <typename M> void tick(M &m) {
  m.clk = 0;
  m.eval();
  m.clk = 1;
  m.eval();
}

/// Synchronous reset for two cycles.
template <typename M> void reset(M &m) {
  m.rst_n = 0;
  m.in_valid = 0;
  tick(m);
  tick(m);
  m.rst_n = 1;
}

/// An instruction of `op` with the named fields set (a testbench bug if a
/// name or value does not fit the ISA table).
inline dlprt::isa::Instr
makeInstr(dlprt::isa::Opcode op,
          std::initializer_list<std::pair<const char *, int64_t>> fs,
          uint8_t tokens = 0) {
  dlprt::isa::Instr in = dlprt::isa::Instr::make(op, tokens);
  for (auto [name, v] : fs) {
    std::optional<dlprt::isa::Field> f = dlprt::isa::findField(op, name);
    if (!f || !in.set(*f, v)) {
      std::fprintf(stderr, "testbench bug: field %s = %lld\n", name,
                   (long long)v);
      std::exit(2);
    }
  }
  return in;
}

/// Drives a 256-bit instruction port (VlWide<8>) with `in`'s word.
template <typename P> void putInsn(P &port, const dlprt::isa::Instr &in) {
  for (unsigned k = 0; k < 8; ++k)
    port[k] = uint32_t(in.w[k / 2] >> (32 * (k % 2)));
}

[[noreturn]] inline void fail(const Args &a, const std::string &what);

/// FBUF (all of `fbuf`, int8) after the functional simulator ran LOAD FBUF,
/// LOAD PBUF (the entries `pbuf` holds, if any), `op`, STORE FBUF: the
/// reference of a compute unit's testbench.
inline std::vector<int8_t> referenceFbuf(const Args &a,
                                         const std::vector<int8_t> &fbuf,
                                         const std::vector<uint8_t> &pbuf,
                                         const dlprt::isa::Instr &op) {
  using dlprt::isa::Opcode;
  dlprt::Program p;
  p.target = a.cfg;
  p.constData = pbuf;
  p.dataBytes = fbuf.size();
  int64_t nv = int64_t(fbuf.size() / a.cfg.L);
  int64_t ne = int64_t(pbuf.size() / a.cfg.paramEntryBytes());
  p.code.push_back(makeInstr(Opcode::Load, {{"buf", 0}, {"region", 1},
                                            {"n0", nv}, {"n1", 1}, {"n2", 1}},
                             ne ? 0 : dlprt::isa::PushNext));
  if (ne)
    p.code.push_back(makeInstr(Opcode::Load,
                               {{"buf", 2}, {"region", 0}, {"n0", ne},
                                {"n1", 1}, {"n2", 1}},
                               dlprt::isa::PushNext));
  dlprt::isa::Instr mid = op;
  mid.setTokens(dlprt::isa::PopPrev | dlprt::isa::PushNext);
  p.code.push_back(mid);
  p.code.push_back(makeInstr(Opcode::Store, {{"buf", 0}, {"region", 1},
                                             {"n0", nv}, {"n1", 1}, {"n2", 1}},
                             dlprt::isa::PopPrev));
  p.code.push_back(dlprt::isa::Instr::make(Opcode::End));
  auto sim = dlprt::Simulator::create(p);
  if (!sim)
    fail(a, "the reference program is invalid (testbench bug): " +
                llvm::toString(sim.takeError()));
  std::vector<uint8_t> data(fbuf.begin(), fbuf.end());
  (*sim)->run(data.data());
  return std::vector<int8_t>(data.begin(), data.end());
}

/// Reports a mismatch with the seed that reproduces it and exits.
[[noreturn]] inline void fail(const Args &a, const std::string &what) {
  std::fflush(stdout);
  std::fprintf(stderr, "FAIL (seed %llu; rerun with this seed): %s\n",
               (unsigned long long)a.seed, what.c_str());
  std::exit(1);
}

/// Cycles from an input with in_valid to its out_valid; the pipeline must
/// be empty and in_valid low around the call.
template <typename M> unsigned measureLatency(M &m, unsigned limit) {
  m.in_valid = 1;
  tick(m);
  m.in_valid = 0;
  for (unsigned c = 1; c <= limit; ++c) {
    if (m.out_valid)
      return c;
    tick(m);
  }
  return 0;
}

} // namespace tb

#endif // DLP_HW_TEST_TBUTIL_H

//===- PeArrayTb.cpp - dlp_pe_array against the ISA's term() --------------===//
//
//   rtl-pe-array-tb <config.json> [seed] [vectors]
//
// Streams a sweep (64 steps: every lane meets every alignment 0..31 in
// both weight formats), then `vectors` random array steps (random valid
// gaps, both weight formats)
// through the Verilated dlp_pe_array. The expected output of every column
// is formed here in uint32 from docs/isa.md 3.3 as the simulator states it
// (runtime/lib/SimGemm.cpp, multiplier()): a pow2 code s*8 + k is 0 or
// +-(1 << (k - 1)), an int8 entry is w, term = (x << a) * multiplier
// modulo 2^32. acc_in is driven in each step's accumulate stage: a random
// start value (the int32 ends among them) or, to chain the steps of one
// output pixel, the previous acc_out. Edge steps: x = -128 / 127
// everywhere, alignment 31, pow2 codes 0, 7, 8 and 15, int8 -128 and 127.
//
//===----------------------------------------------------------------------===//

#include "TbUtil.h"

#include "Vdlp_pe_array.h"

#include <deque>
#include <vector>

namespace {

struct Step {
  bool valid = false, int8 = false;
  std::vector<int8_t> x;
  std::vector<uint8_t> align;
  std::vector<uint8_t> w; ///< (l, q) at l * Q + q
};

/// sum over l of term(w[l][q], x[l] << a[l]), modulo 2^32.
uint32_t stepSum(const Step &s, unsigned L, unsigned Q, unsigned q) {
  uint32_t sum = 0;
  for (unsigned l = 0; l < L; ++l) {
    uint32_t v = uint32_t(int32_t(s.x[l])) << s.align[l];
    sum += v * tb::isaMultiplier(s.w[l * Q + q], s.int8);
  }
  return sum;
}

Step randomStep(tb::Rng &r, unsigned L, unsigned Q) {
  Step s;
  s.valid = r.chance(85);
  s.int8 = r.chance(50);
  bool edge = r.chance(10);
  for (unsigned l = 0; l < L; ++l) {
    s.x.push_back(tb::randomActivation(r, edge));
    s.align.push_back(tb::randomAlign(r, edge));
  }
  for (unsigned i = 0; i < L * Q; ++i)
    s.w.push_back(tb::randomDenseEntry(r, s.int8, edge));
  return s;
}

void drive(Vdlp_pe_array &m, const Step &s, unsigned L, unsigned Q,
           unsigned AW) {
  m.in_valid = s.valid;
  m.wfmt = s.int8;
  for (unsigned l = 0; l < L; ++l) {
    tb::put(m.x, 8 * l, 8, uint8_t(s.x[l]));
    tb::put(m.align, AW * l, AW, s.align[l]);
  }
  for (unsigned i = 0; i < L * Q; ++i)
    tb::put(m.w, 8 * i, 8, s.w[i]);
}

} // namespace

int main(int argc, char **argv) {
  tb::Args args = tb::parseArgs(argc, argv, 20000);
  const unsigned L = args.cfg.L, Q = args.cfg.Q;
  Vdlp_pe_array m;
  if (tb::portWords<decltype(m.acc_in)>() != Q ||
      tb::portWords<decltype(m.w)>() * 4 != L * Q)
    tb::fail(args, "the model was not built for this config's L and Q");
  // Bits of an alignment field: a in [0, 31] (docs/isa.md 1; ALIGN_W).
  const unsigned AW = 5;

  tb::reset(m);
  const unsigned lat = tb::measureLatency(m, 64);
  if (lat + 2 != args.cycles.gemmPipeline)
    tb::fail(args, "latency " + std::to_string(lat) +
                       " + the address register and the SRAM read != the "
                       "cycle model's P_gemm " +
                       std::to_string(args.cycles.gemmPipeline));

  tb::Rng rng(args.seed);
  // steps[t]: driven before tick t; it reaches the accumulate stage (and
  // reads acc_in) at tick t + lat - 1 and its output is seen after it.
  std::vector<Step> steps;
  // First a sweep: 32 valid steps per weight format in which lane l has
  // alignment (i + l) mod 32, so every lane meets every alignment (the PE
  // splits it at 19, 20, 25 and 26) with random data.
  for (unsigned fmt = 0; fmt < 2; ++fmt)
    for (unsigned i = 0; i < 32; ++i) {
      Step s = randomStep(rng, L, Q);
      if (bool(fmt) != s.int8) // redraw the weights in this format
        do
          s = randomStep(rng, L, Q);
        while (bool(fmt) != s.int8);
      s.valid = true;
      for (unsigned l = 0; l < L; ++l)
        s.align[l] = uint8_t((i + l) % 32);
      steps.push_back(s);
    }
  for (uint64_t i = 0; i < args.vectors; ++i)
    steps.push_back(randomStep(rng, L, Q));
  for (unsigned i = 0; i < lat; ++i) {
    Step bubble = randomStep(rng, L, Q);
    bubble.valid = false;
    steps.push_back(bubble);
  }

  std::vector<uint32_t> want(Q), accIn(Q);
  uint64_t checked = 0, chained = 0;
  for (size_t t = 0; t < steps.size(); ++t) {
    drive(m, steps[t], L, Q, AW);
    // The step in the accumulate stage this cycle, if any: choose acc_in.
    const Step *s = t + 1 >= lat ? &steps[t + 1 - lat] : nullptr;
    bool chain = s && s->valid && rng.chance(50);
    for (unsigned q = 0; q < Q; ++q) {
      uint32_t a = chain ? tb::get(m.acc_out, 32 * q, 32) : tb::randomAccStart(rng);
      accIn[q] = a;
      tb::put(m.acc_in, 32 * q, 32, a);
    }
    chained += chain;
    if (s && s->valid)
      for (unsigned q = 0; q < Q; ++q)
        want[q] = accIn[q] + stepSum(*s, L, Q, q);
    tb::tick(m);
    if (t + 1 < lat)
      continue;
    const Step &out = steps[t + 1 - lat];
    if (bool(m.out_valid) != out.valid)
      tb::fail(args, "out_valid at cycle " + std::to_string(t));
    if (!out.valid)
      continue;
    for (unsigned q = 0; q < Q; ++q) {
      uint32_t got = tb::get(m.acc_out, 32 * q, 32);
      if (got != want[q])
        tb::fail(args, "step " + std::to_string(t + 1 - lat) + " (" +
                           (out.int8 ? "int8" : "pow2") + ") column " +
                           std::to_string(q) + ": rtl " +
                           std::to_string(int32_t(got)) + ", expected " +
                           std::to_string(int32_t(want[q])));
      ++checked;
    }
  }
  m.final();
  std::printf("PASS: %zu steps, %llu columns checked (%llu steps chained "
              "on acc_out), latency %u + address register + SRAM read = P_gemm %llu\n",
              steps.size(), (unsigned long long)checked,
              (unsigned long long)chained, lat,
              (unsigned long long)args.cycles.gemmPipeline);
  return 0;
}

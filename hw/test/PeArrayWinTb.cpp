//===- PeArrayWinTb.cpp - dlp_pe_array_win against the ISA ---------------===//
//
//   rtl-pe-array-win-tb <config.json> [seed] [vectors]
//
// dlp_pe_array_win through PeArrayWinTop: three arrays at the config's L and
// Q on the same inputs, one with a window of W = 10 input vectors and the
// config's weight formats, one with W = 16 and pow2 weights only (as
// large-win.json), and one as the first with three output pixels per step
// (array.pixels = 3: the first pixel's inputs the first array's, the other
// two's candidates and accumulators their own), on random steps of the
// kinds an array runs:
//  - window steps (win = 1, GEMM_WIN's slot entries, docs/isa.md 3.8): an
//    entry is offset o << 4 | pow2-4 code c, and adds value(c) * (x[o][l] <<
//    align[o][l]) when o < W, nothing when o >= W (offsets 10..15 for the
//    first array);
//  - dense steps (win = 0, a GEMM on this array, 3.3): candidate 0 is the
//    lane's input, the entry a pow2-4 code (bits [7:4] ignored) or, where
//    the array has int8 weights, an int8 weight, as dlp_pe_array's (the
//    pow2-only array is not checked on int8 steps: the loader refuses them
//    on such a target, and so are they when the config has no int8).
// Expected values are formed here in uint32 from the ISA's statement
// (tb::isaMultiplier).
// A sweep first gives every (candidate, lane) every alignment 0..31 (the
// pow2 path splits the exponent at 16 and 32, the int8 path the alignment
// at 20 and 26) in every kind; then random steps, with bubbles, in runs of
// one kind, as instructions run them. acc_in is driven in each step's
// accumulate stage: a random start or the first array's previous acc_out
// (for the three-pixel array's pixels 1 and 2: their own previous acc_out).
// The latency of both kinds is checked against the cycle model's for the
// config with a window: P_gemm (which holds the select stage) - 2 (the
// address register and the SRAM read in front of the array).
//
//===----------------------------------------------------------------------===//

#include "TbUtil.h"

#include "VPeArrayWinTop.h"

#include <vector>

namespace {

constexpr unsigned kAW = 5;  // bits of an alignment (ALIGN_W)
constexpr unsigned kPxW = 10; // the three-pixel array's window

struct Step {
  bool valid = false;
  std::vector<int8_t> x;      ///< (o, l) at o * L + l
  std::vector<int8_t> xp;     ///< pixel p = 1, 2's (o < 10, l) at
                              ///< ((p - 1) * 10 + o) * L + l
  std::vector<uint8_t> align; ///< (o, l)
  std::vector<uint8_t> w;     ///< (l, q) at l * Q + q
};

/// sum over l of the entry (l, q)'s term, modulo 2^32, for the candidates
/// x (o, l) at x[o * L + l], o < W.
uint32_t stepSum(const Step &s, const int8_t *x, bool win, bool int8,
                 unsigned L, unsigned Q, unsigned W, unsigned q) {
  uint32_t sum = 0;
  for (unsigned l = 0; l < L; ++l) {
    uint8_t e = s.w[l * Q + q];
    unsigned o = win ? e >> 4 : 0;
    if (o >= W)
      continue;
    uint32_t v = uint32_t(int32_t(x[o * L + l])) << s.align[o * L + l];
    uint32_t m = tb::isaMultiplier(e, !win && int8);
    sum += v * m;
  }
  return sum;
}

Step randomStep(tb::Rng &r, bool win, bool int8, unsigned L, unsigned Q,
                unsigned W) {
  Step s;
  s.valid = r.chance(85);
  bool edge = r.chance(10);
  for (unsigned i = 0; i < W * L; ++i) {
    s.x.push_back(tb::randomActivation(r, edge));
    s.align.push_back(tb::randomAlign(r, edge));
  }
  for (unsigned i = 0; i < 2 * kPxW * L; ++i)
    s.xp.push_back(tb::randomActivation(r, edge));
  for (unsigned i = 0; i < L * Q; ++i)
    s.w.push_back(
        win ? // offsets 0..15 (mostly below 10), codes 0..15
            uint8_t((r.chance(70) ? r.range(0, 9) : r.range(0, 15)) << 4 |
                    (edge ? r.pick<uint8_t>({0, 7, 8, 15}) : r.range(0, 15)))
            : tb::randomDenseEntry(r, int8, edge));
  return s;
}

void drive(VPeArrayWinTop &m, const Step &s, unsigned L, unsigned Q,
           unsigned W) {
  m.in_valid = s.valid;
  for (unsigned i = 0; i < W * L; ++i) {
    tb::put(m.x, 8 * i, 8, uint8_t(s.x[i]));
    tb::put(m.align, kAW * i, kAW, s.align[i]);
  }
  for (unsigned i = 0; i < L * Q; ++i)
    tb::put(m.w, 8 * i, 8, s.w[i]);
  for (unsigned i = 0; i < 2 * kPxW * L; ++i)
    tb::put(m.xp, 8 * i, 8, uint8_t(s.xp[i]));
}

struct Kind {
  bool win, int8;
  const char *name;
};

} // namespace

int main(int argc, char **argv) {
  tb::Args args = tb::parseArgs(argc, argv, 20000);
  const unsigned L = args.cfg.L, Q = args.cfg.Q;
  const unsigned C = 16; // candidates driven: the wrapper's widest window
  VPeArrayWinTop m;
  if (tb::portWords<decltype(m.acc_in)>() != Q ||
      tb::portWords<decltype(m.w)>() * 4 != L * Q ||
      tb::portWords<decltype(m.x)>() * 32 != C * 8 * L ||
      tb::portWords<decltype(m.acc_out3)>() != 3 * Q ||
      tb::portWords<decltype(m.xp)>() * 32 != 2 * kPxW * 8 * L)
    tb::fail(args, "the model was not built for this config's L and Q "
                   "and the wrapper's 16 candidates and 3 pixels");
  // The wrapper's arrays: window, int8 weights, output ports.
  struct Array {
    unsigned W;
    bool int8;
  };
  const Array arrays[2] = {{10, args.cfg.int8Weights}, {16, false}};

  // Latency against the cycle model of the config with a window: its
  // P_gemm (the select stage included) less the address register and the
  // SRAM read in front of the array, for both kinds of step.
  dlprt::TargetConfig winCfg = args.cfg;
  winCfg.window = 10;
  const uint64_t wantLat =
      dlprt::CycleParams::fromTarget(winCfg).gemmPipeline - 2;
  unsigned lat[2];
  for (unsigned win = 0; win < 2; ++win) {
    tb::reset(m);
    m.win = win;
    lat[win] = tb::measureLatency(m, 64);
    if (lat[win] != wantLat)
      tb::fail(args, std::string(win ? "window" : "dense") + " latency " +
                         std::to_string(lat[win]) + ", the cycle model's " +
                         std::to_string(wantLat));
  }

  tb::Rng rng(args.seed);
  std::vector<Kind> kinds = {{true, false, "window"},
                             {false, false, "dense pow2"}};
  if (args.cfg.int8Weights)
    kinds.push_back({false, true, "dense int8"});
  // Runs of steps of one kind: first the sweep (32 steps per kind, in which
  // candidate (o, l) has alignment (i + o + l) mod 32), then random runs.
  struct Run {
    Kind kind;
    std::vector<Step> steps;
  };
  std::vector<Run> runs;
  for (const Kind &k : kinds) {
    Run run{k, {}};
    for (unsigned i = 0; i < 32; ++i) {
      Step s = randomStep(rng, k.win, k.int8, L, Q, C);
      s.valid = true;
      for (unsigned o = 0; o < C; ++o)
        for (unsigned l = 0; l < L; ++l)
          s.align[o * L + l] = uint8_t((i + o + l) % 32);
      run.steps.push_back(s);
    }
    runs.push_back(run);
  }
  for (uint64_t done = 0; done < args.vectors;) {
    Run run{kinds[rng.range(0, int64_t(kinds.size()) - 1)], {}};
    uint64_t n = std::min<uint64_t>(args.vectors - done, rng.range(1, 200));
    for (uint64_t i = 0; i < n; ++i)
      run.steps.push_back(
          randomStep(rng, run.kind.win, run.kind.int8, L, Q, C));
    done += n;
    runs.push_back(run);
  }

  uint64_t checked = 0, chained = 0, steps = 0;
  std::vector<uint32_t> want[2] = {std::vector<uint32_t>(Q),
                                   std::vector<uint32_t>(Q)};
  // The three-pixel array's pixels 1 and 2 (pixel 0's is want[0]).
  std::vector<uint32_t> wantP(2 * Q), accInP(2 * Q);
  std::vector<uint32_t> accIn(Q);
  tb::reset(m);
  for (Run &run : runs) {
    const Kind &k = run.kind;
    const unsigned lt = lat[k.win];
    m.win = k.win;
    m.wfmt = k.int8;
    // The run's steps, then bubbles until the last leaves the array.
    for (unsigned i = 0; i < lt; ++i) {
      Step bubble = randomStep(rng, k.win, k.int8, L, Q, C);
      bubble.valid = false;
      run.steps.push_back(bubble);
    }
    const std::vector<Step> &st = run.steps;
    for (size_t t = 0; t < st.size(); ++t) {
      drive(m, st[t], L, Q, C);
      const Step *s = t + 1 >= lt ? &st[t + 1 - lt] : nullptr;
      bool chain = s && s->valid && rng.chance(50);
      for (unsigned q = 0; q < Q; ++q) {
        uint32_t a =
            chain ? tb::get(m.acc_out, 32 * q, 32) : tb::randomAccStart(rng);
        accIn[q] = a;
        tb::put(m.acc_in, 32 * q, 32, a);
      }
      for (unsigned i = 0; i < 2 * Q; ++i) {
        uint32_t a = chain ? tb::get(m.acc_out3, 32 * (Q + i), 32)
                           : tb::randomAccStart(rng);
        accInP[i] = a;
        tb::put(m.acc_in_p, 32 * i, 32, a);
      }
      chained += chain;
      if (s && s->valid) {
        for (unsigned a = 0; a < 2; ++a)
          for (unsigned q = 0; q < Q; ++q)
            want[a][q] = accIn[q] + stepSum(*s, s->x.data(), k.win, k.int8,
                                            L, Q, arrays[a].W, q);
        for (unsigned p = 1; p < 3; ++p)
          for (unsigned q = 0; q < Q; ++q)
            wantP[(p - 1) * Q + q] =
                accInP[(p - 1) * Q + q] +
                stepSum(*s, s->xp.data() + (p - 1) * kPxW * L, k.win, k.int8,
                        L, Q, kPxW, q);
      }
      tb::tick(m);
      if (t + 1 < lt)
        continue;
      const Step &out = st[t + 1 - lt];
      if (bool(m.out_valid) != out.valid || bool(m.out_valid16) != out.valid ||
          bool(m.out_valid3) != out.valid)
        tb::fail(args, std::string("out_valid in a ") + k.name + " run");
      if (!out.valid)
        continue;
      ++steps;
      for (unsigned a = 0; a < 2; ++a) {
        if (k.int8 && !arrays[a].int8)
          continue; // no int8 weights: a step the loader refuses
        for (unsigned q = 0; q < Q; ++q) {
          uint32_t got = tb::get(a ? m.acc_out16 : m.acc_out, 32 * q, 32);
          if (got != want[a][q])
            tb::fail(args, std::string(k.name) + " step, W = " +
                               std::to_string(arrays[a].W) + ", column " +
                               std::to_string(q) + ": rtl " +
                               std::to_string(int32_t(got)) + ", expected " +
                               std::to_string(int32_t(want[a][q])));
          ++checked;
        }
      }
      // The three-pixel array: the config's formats, as the first.
      if (k.int8 && !arrays[0].int8)
        continue;
      for (unsigned p = 0; p < 3; ++p)
        for (unsigned q = 0; q < Q; ++q) {
          uint32_t got = tb::get(m.acc_out3, 32 * (p * Q + q), 32);
          uint32_t exp = p ? wantP[(p - 1) * Q + q] : want[0][q];
          if (got != exp)
            tb::fail(args, std::string(k.name) + " step, 3 pixels, pixel " +
                               std::to_string(p) + ", column " +
                               std::to_string(q) + ": rtl " +
                               std::to_string(int32_t(got)) + ", expected " +
                               std::to_string(int32_t(exp)));
          ++checked;
        }
    }
  }
  m.final();
  std::printf("PASS: %llu steps in %zu runs, %llu columns checked (%llu "
              "chained on acc_out), W = 10 (int8 %s), W = 16 (pow2 "
              "only) and W = 10 with 3 pixels, latency %u dense / %u "
              "window\n",
              (unsigned long long)steps, runs.size(),
              (unsigned long long)checked, (unsigned long long)chained,
              args.cfg.int8Weights ? "yes" : "no", lat[0], lat[1]);
  return 0;
}

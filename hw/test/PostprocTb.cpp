//===- PostprocTb.cpp - dlp_postproc against kernels::requantClamp --------===//
//
//   rtl-postproc-tb <config.json> [seed] [vectors]
//
// Streams `vectors` random cycles of Q lanes (random valid gaps) through the
// Verilated dlp_postproc and compares every lane with the runtime's
// requantClamp. Directed cycles first: every int8 shift against the int32
// ends, zero, +-1 and exact halves; then random accumulators biased to
// ties (m * 2^s + 2^(s-1)), small values and the ends, shifts biased to
// the edges -32, 0, 1, 31, 32, 63 (and out-of-range int8 shifts, which
// clamp), and clamp bounds with lo > hi.
//
//===----------------------------------------------------------------------===//

#include "TbUtil.h"

#include "Vdlp_postproc.h"

#include "dlprt/kernels/Requant.h"

#include <deque>
#include <vector>

namespace {

struct Lane {
  int32_t acc;
  int8_t shift, lo, hi;
};
struct Vector {
  bool valid;
  std::vector<Lane> lanes;
};

int32_t randomAcc(tb::Rng &r) {
  switch (r.next() % 5) {
  case 0: {
    int s = int(r.range(1, 31));
    int64_t m = r.range(-(int64_t(1) << (31 - s)), (int64_t(1) << (31 - s)) - 1);
    return int32_t(uint32_t(m * (int64_t(1) << s) + (int64_t(1) << (s - 1))));
  }
  case 1:
    return int32_t(r.range(-600, 600));
  case 2:
    return r.pick<int32_t>({INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1,
                            0, 1, -1, 127, 128, -128, -129, 256, -256});
  default:
    return int32_t(uint32_t(r.next()));
  }
}

int8_t randomShift(tb::Rng &r) {
  if (r.chance(40))
    return r.pick<int8_t>({-32, -31, -9, -8, -1, 0, 1, 2, 30, 31, 32, 33, 62,
                           63, 64, -33, -128, 127});
  return int8_t(r.chance(80) ? r.range(-32, 63) : r.range(-128, 127));
}

int8_t randomBound(tb::Rng &r) {
  return r.chance(50) ? r.pick<int8_t>({-128, 127, 0, 6, -1})
                      : int8_t(r.range(-128, 127));
}

Vector randomVector(tb::Rng &r, unsigned Q) {
  Vector v{r.chance(85), {}};
  for (unsigned q = 0; q < Q; ++q) {
    int8_t lo = randomBound(r), hi = randomBound(r);
    if (r.chance(70) && lo > hi)
      std::swap(lo, hi);
    v.lanes.push_back({randomAcc(r), randomShift(r), lo, hi});
  }
  return v;
}

/// Every int8 shift against a list of accumulators (Q lanes per cycle).
std::vector<Vector> directedVectors(unsigned Q) {
  const int32_t accs[] = {INT32_MIN, INT32_MIN + 1, -(1 << 30), -257, -256,
                          -129, -128, -3, -2, -1, 0, 1, 2, 3, 127, 128,
                          255, 256, 257, 1 << 30, INT32_MAX - 1, INT32_MAX};
  std::vector<Lane> all;
  for (int s = -128; s <= 127; ++s)
    for (int32_t a : accs)
      all.push_back({a, int8_t(s), -128, 127});
  std::vector<Vector> out;
  for (size_t i = 0; i < all.size(); i += Q) {
    Vector v{true, {}};
    for (unsigned q = 0; q < Q; ++q)
      v.lanes.push_back(all[(i + q) % all.size()]);
    out.push_back(v);
  }
  return out;
}

void drive(Vdlp_postproc &m, const Vector &v) {
  m.in_valid = v.valid;
  for (size_t q = 0; q < v.lanes.size(); ++q) {
    const Lane &l = v.lanes[q];
    tb::put(m.acc, 32 * q, 32, uint32_t(l.acc));
    tb::put(m.out_shift, 8 * q, 8, uint8_t(l.shift));
    tb::put(m.act_min, 8 * q, 8, uint8_t(l.lo));
    tb::put(m.act_max, 8 * q, 8, uint8_t(l.hi));
  }
}

} // namespace

int main(int argc, char **argv) {
  tb::Args args = tb::parseArgs(argc, argv, 20000);
  const unsigned Q = args.cfg.Q;
  Vdlp_postproc m;
  if (tb::portWords<decltype(m.acc)>() != Q)
    tb::fail(args, "the model was not built for this config's Q");

  tb::reset(m);
  unsigned lat = tb::measureLatency(m, 16);
  if (lat != args.cycles.epilogueStages)
    tb::fail(args, "latency " + std::to_string(lat) +
                       " != the cycle model's P_epi " +
                       std::to_string(args.cycles.epilogueStages));

  tb::Rng rng(args.seed);
  std::vector<Vector> vecs = directedVectors(Q);
  for (uint64_t i = 0; i < args.vectors; ++i)
    vecs.push_back(randomVector(rng, Q));
  // Drain the pipeline with invalid cycles.
  for (unsigned i = 0; i < lat; ++i)
    vecs.push_back({false, std::vector<Lane>(Q, Lane{0, 0, 0, 0})});

  uint64_t checked = 0;
  for (size_t t = 0; t < vecs.size(); ++t) {
    drive(m, vecs[t]);
    tb::tick(m);
    if (t + 1 < lat)
      continue;
    const Vector &v = vecs[t + 1 - lat];
    if (bool(m.out_valid) != v.valid)
      tb::fail(args, "out_valid at cycle " + std::to_string(t));
    if (!v.valid)
      continue;
    for (unsigned q = 0; q < Q; ++q) {
      const Lane &l = v.lanes[q];
      int8_t want = dlprt::kernels::requantClamp(l.acc, l.shift, l.lo, l.hi);
      int8_t got = int8_t(tb::get(m.y, 8 * q, 8));
      if (got != want)
        tb::fail(args, "cycle " + std::to_string(t) + " lane " +
                           std::to_string(q) + ": acc " +
                           std::to_string(l.acc) + " shift " +
                           std::to_string(l.shift) + " lo " +
                           std::to_string(l.lo) + " hi " +
                           std::to_string(l.hi) + ": rtl " +
                           std::to_string(got) + ", requantClamp " +
                           std::to_string(want));
      ++checked;
    }
  }
  m.final();
  std::printf("PASS: %zu cycles, %llu lanes checked, latency %u\n",
              vecs.size(), (unsigned long long)checked, lat);
  return 0;
}

//===- Proof.cpp - The overflow proof on all cores ------------------------===//

#include "dlp/Support/Proof.h"
#include "dlprt/kernels/Parallel.h"

#include <atomic>
#include <thread>

int64_t dlp::compileThreads() {
  static const int64_t n =
      std::max<int64_t>(1, std::thread::hardware_concurrency());
  return n;
}

std::string dlp::proveNoOverflowParallel(const dlprt::num::MacLayer &l,
                                         bool message) {
  namespace num = dlprt::num;
  int64_t threads = compileThreads();
  int64_t row = l.inPerGroup * l.taps;
  // Below ~1M weights a slice's work does not pay for waking the team.
  if (threads < 2 || l.group < 1 || l.numOut % l.group != 0 ||
      l.numOut * row < (int64_t(1) << 20))
    return num::proveNoOverflow(l);
  // Slices of whole groups (of single output channels when group = 1): a
  // channel's check reads its own weights, scale, accumulator and bias and
  // its group's input channels only.
  int64_t outPerGroup = l.numOut / l.group;
  int64_t units = l.group == 1 ? l.numOut : l.group;
  int64_t unitOut = l.group == 1 ? 1 : outPerGroup;
  std::atomic<bool> failed{false};
  dlprt::kernels::parallelForRange(threads, units, [&](int64_t b, int64_t e) {
    if (failed.load(std::memory_order_relaxed))
      return;
    int64_t o0 = b * unitOut;
    num::MacLayer s = l;
    s.q = l.q + o0 * row;
    s.scale = l.scale + o0;
    s.numOut = (e - b) * unitOut;
    s.group = l.group == 1 ? 1 : e - b;
    s.inFrac = l.group == 1 ? l.inFrac : l.inFrac + b * l.inPerGroup;
    s.accFrac = l.accFrac + o0;
    s.bias = l.bias ? l.bias + o0 : nullptr;
    if (!num::proveNoOverflow(s).empty())
      failed.store(true, std::memory_order_relaxed);
  });
  if (!failed.load())
    return "";
  if (!message)
    return "fails";
  // The message names the layer's channels: prove the whole layer.
  return num::proveNoOverflow(l);
}

//===- CycleModel.cpp - Cycle model of the DLP (docs/cycle-model.md) ------===//
//
// Section numbers below refer to docs/cycle-model.md.
//
//===----------------------------------------------------------------------===//

#include "dlprt/CycleModel.h"
#include "dlprt/Csr.h"
#include "dlprt/Window.h"
#include "dlprt/Numerics.h"
#include "dlprt/Program.h"
#include "dlprt/Schedule.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>
#include <vector>

using namespace llvm;
using namespace dlprt::isa;

namespace dlprt {

CycleParams CycleParams::fromTarget(const TargetConfig &t) {
  CycleParams p;
  p.L = t.L;
  p.Q = t.Q;
  p.ddrBytesPerCycle = t.ddrBytesPerCycle;
  p.ddrLatency = t.ddrLatencyCycles;
  // Section 2.2: run, plane and total bytes (n0 u, n1 run, n2 plane) one
  // product per cycle, then the first request; the last write one cycle
  // after the last beat.
  p.dmaSetup = 3;
  p.dmaFixed = p.dmaSetup + 2;
  // Section 2.1: address register + read + shift/multiply + log2(L) tree
  // levels + accumulate; section 2.6: the window-sparse array adds its
  // select stage (every GEMM on it passes the stage).
  p.window = t.window;
  p.windowSelect = t.window > 1 ? 1 : 0;
  p.pixels = t.pixels;
  p.fbufBanks = t.featureBanks();
  p.gemmPipeline = 4 + Log2_32(t.L) + p.windowSelect;
  // Section 2.1: shift, round + saturate, clamp + write.
  p.epilogueStages = 3;
  // Section 2.1: the fused max pool's row maximum, then combine + write.
  p.gemmPoolStages = 2;
  // Section 2.3: read, combine, write; the pool adds its setup (dividends
  // up to in_h + pad_t: the field's width + 1 quotient bits, then three
  // stages and the reader's initial state, then the first read) and its reciprocal (window rows and
  // columns, their product, then kAvgShift + 1 quotient bits).
  p.poolSetup = fieldInfo(Field::Pool_in_h).width + 1 + 5;
  p.poolDivide = num::kAvgShift + 3;
  p.poolPipeline = 3 + p.poolSetup + p.poolDivide;
  p.poolRows = p.poolCols = 4;
  p.poolStreaming = t.poolStreaming;
  unsigned fbufAddrBits = std::max(1u, Log2_64_Ceil(t.fbufVectors()));
  p.poolMaxOutW = uint64_t(1) << ((fbufAddrBits + 1) / 2);
  p.eltwisePipeline = 1 + p.epilogueStages; // read, then dlp_postproc
  return p;
}

namespace {
/// Section 2.1: reads of the busiest of `banks` FBUF banks (a power of
/// two) when the `n` pixels from raster index `first` of `w` read one
/// step's input vectors: how many of their window origins share an
/// address modulo `banks`.
uint32_t bankConflicts(const ArrayWork &w, uint64_t first, uint64_t n,
                       uint32_t banks) {
  SmallVector<uint32_t, 64> reads(banks, 0);
  uint32_t most = 0;
  for (uint64_t i = first; i < first + n; ++i) {
    uint64_t at = i / w.outW * w.strideH * w.inW + i % w.outW * w.strideW;
    most = std::max(most, ++reads[at & (banks - 1)]);
  }
  return most;
}
} // namespace

uint64_t arraySteps(const ArrayWork &w, const CycleParams &p) {
  // Section 2.1: the array's `pixels` copies take the tile's output pixels
  // `pixels` at a time in raster order (the last group may be short); per
  // window (a dense GEMM's: one step) the group reads each pixel's input
  // vector of each slot from FBUF banks, those in one bank one after
  // another.
  assert(p.pixels >= 1 && isPowerOf2_32(p.fbufBanks) && w.window >= 1);
  uint64_t windows = windowCount(w.steps, uint32_t(w.window));
  uint64_t pixels = w.outH * w.outW;
  if (p.pixels == 1) // one read per slot: never a conflict
    return pixels * windows * w.slots;
  uint64_t total = 0;
  for (uint64_t first = 0; first < pixels; first += p.pixels) {
    uint64_t n = std::min<uint64_t>(p.pixels, pixels - first);
    total += windows * std::max<uint64_t>(
                           w.slots, bankConflicts(w, first, n, p.fbufBanks));
  }
  return total;
}

namespace {

/// Section 2.3: the pool unit's cycles from start to done inclusive.
uint64_t poolCycles(const Instr &in, const CycleParams &p) {
  auto g = [&](Field f) { return int64_t(in.get(f)); };
  const int64_t cb = g(Field::Pool_cb), ih = g(Field::Pool_in_h),
                iw = g(Field::Pool_in_w), oh = g(Field::Pool_out_h),
                ow = g(Field::Pool_out_w), kh = g(Field::Pool_k_h),
                kw = g(Field::Pool_k_w), sh = g(Field::Pool_stride_h),
                sw = g(Field::Pool_stride_w), pt = g(Field::Pool_pad_t),
                pl = g(Field::Pool_pad_l);
  const int64_t NR = int64_t(p.poolRows), NC = int64_t(p.poolCols);
  bool streaming = p.poolStreaming && g(Field::Pool_dil_h) == 1 &&
                   g(Field::Pool_dil_w) == 1 &&
                   (kh <= NR * sh || oh <= NR) && (kw <= NC * sw || ow <= NC) &&
                   ow <= int64_t(p.poolMaxOutW);
  if (!streaming) // one window element per cycle
    return uint64_t(cb * oh * ow * kh * kw) + p.poolPipeline;
  // Streaming: the input vectors in row order, one per cycle unless the
  // stall rule holds the first of a row; each cycle from the second on,
  // the real walker issues its next output (raster order over the
  // outputs whose windows hold input elements) once its last element has
  // been read, else the padding walker issues a padding-only output.
  const int64_t plane = ih * iw, nPix = cb * plane;
  auto realRow = [&](int64_t y) {
    int64_t y0 = y * sh - pt;
    return y0 <= ih - 1 && y0 + kh - 1 >= 0;
  };
  auto realCol = [&](int64_t x) {
    int64_t x0 = x * sw - pl;
    return x0 <= iw - 1 && x0 + kw - 1 >= 0;
  };
  int64_t nr = 0, nc = 0;
  for (int64_t y = 0; y < oh; ++y)
    nr += realRow(y);
  for (int64_t x = 0; x < ow; ++x)
    nc += realCol(x);
  const bool rect = nr > 0 && nc > 0;
  // The input index (block-major) of each real output's last element.
  std::vector<int64_t> last;
  if (rect)
    last.reserve(size_t(cb * nr * nc));
  for (int64_t b = 0; b < cb && rect; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        if (realRow(y) && realCol(x)) {
          int64_t yl = std::min(y * sh - pt + kh - 1, ih - 1);
          int64_t xl = std::min(x * sw - pl + kw - 1, iw - 1);
          last.push_back(b * plane + yl * iw + xl);
        }
  const int64_t nReal = int64_t(last.size());
  const int64_t nPad = cb * oh * ow - nReal;
  // The first output row whose window ends at or after input row 0.
  const int64_t ylo0 = pt + 1 - kh > 0 ? (pt + 1 - kh + sh - 1) / sh : 0;
  int64_t k = 0, oR = 0, oP = 0, tLast = -1, uLast = 0;
  // (Every input vector and output is taken within this bound: the stall
  // only waits for outputs whose elements have all been read.)
  const int64_t bound = 4 * (nPix + nReal + nPad) + 100;
  for (int64_t c = 0; (k < nPix || oR < nReal || oP < nPad) && c < bound;
       ++c) {
    bool real = c >= 1 && oR < nReal && last[size_t(oR)] < k;
    bool pad = c >= 1 && !real && oP < nPad;
    bool read = false;
    if (k < nPix) {
      int64_t b = k / plane, iy = (k % plane) / iw, ix = k % iw;
      // Stall: a row's first vector waits until the real walker has
      // passed the global real row NR before the last one it starts.
      int64_t yrel = std::min(oh - 1, (iy + pt) / sh) - ylo0;
      int64_t next = rect ? oR / nc : 0;
      read = !(ix == 0 && rect && yrel >= 0 && next + NR <= b * nr + yrel);
    }
    if (real || pad) {
      uLast = c;
      oR += real;
      oP += pad;
    }
    if (read) {
      tLast = c;
      ++k;
    }
  }
  return p.poolSetup +
         uint64_t(std::max(tLast + 1, uLast + int64_t(p.poolDivide))) +
         (p.poolPipeline - p.poolSetup - p.poolDivide);
}

/// Section 2.2: DDR bytes of one unit of a LOAD / STORE.
uint64_t unitBytes(const Instr &in, const CycleParams &p) {
  if (in.opcode() == Opcode::Store)
    return p.L;
  switch (Buf(in.get(Field::Load_buf))) {
  case Buf::FBuf:
    return p.L;
  case Buf::WBuf:
    return WFmt(in.get(Field::Load_wfmt)) == WFmt::Pow2 ? (p.Q + 1) / 2 + 1
                                                        : p.Q + 1;
  case Buf::PBuf:
    return 8 * uint64_t(p.Q);
  }
  return p.L;
}

/// Section 2.2: a box of n2 x n1 runs of n0 units is cut into bursts,
/// maximal byte-contiguous pieces (runs merge when s1 equals the run's
/// bytes, planes when, moreover, s2 equals the plane's bytes); each burst
/// costs ceil(bytes / bandwidth) cycles, the latency is paid once.
InstrCost dmaCost(const Instr &in, const CycleParams &p) {
  bool isLoad = in.opcode() == Opcode::Load;
  auto f = [&](Field l, Field s) { return uint64_t(in.get(isLoad ? l : s)); };
  uint64_t n0 = f(Field::Load_n0, Field::Store_n0);
  uint64_t n1 = f(Field::Load_n1, Field::Store_n1);
  uint64_t s1 = f(Field::Load_s1, Field::Store_s1);
  uint64_t n2 = f(Field::Load_n2, Field::Store_n2);
  uint64_t s2 = f(Field::Load_s2, Field::Store_s2);
  uint64_t run = n0 * unitBytes(in, p);
  uint64_t bursts = n2 * n1, burstBytes = run;
  if (n1 == 1 || s1 == run) {
    bursts = n2;
    burstBytes = n1 * run;
    if (n2 == 1 || s2 == burstBytes) {
      bursts = 1;
      burstBytes *= n2;
    }
  }
  InstrCost c;
  c.queue = isLoad ? Queue::Load : Queue::Store;
  c.usesDdr = true;
  c.ddrBytes = n2 * n1 * run;
  c.cycles =
      p.dmaFixed + p.ddrLatency +
      bursts * uint64_t(std::ceil(double(burstBytes) / p.ddrBytesPerCycle));
  return c;
}

} // namespace

Expected<InstrCost> instrCost(const Instr &in, const CycleParams &p,
                              const CsrStats *csr) {
  const OpcodeInfo *info = opcodeInfo(in.opcodeValue());
  if (!info)
    return createStringError(inconvertibleErrorCode(),
                             "opcode %u has no timing rule",
                             unsigned(in.opcodeValue()));
  InstrCost c;
  c.queue = info->queue;
  auto g = [&](Field f) { return uint64_t(in.get(f)); };
  switch (in.opcode()) {
  case Opcode::Load:
  case Opcode::Store:
    return dmaCost(in, p);
  case Opcode::Gemm:
  case Opcode::GemmCsr:
  case Opcode::GemmWin: {
    // Section 2.1: one array step per (output pixel, tap, input block);
    // the residual add runs the post-processing stages a second time.
    // Section 2.5: GEMM_CSR's decoder first expands the stream into dense
    // rows, then the array runs the dense GEMM on them.
    // Section 2.6: GEMM_WIN reads its alignment rows (L per WBUF read),
    // then takes `slots` array steps per window of W steps (the window's W
    // input vectors read together; each PE takes one entry per step).
    bool isCsr = in.opcode() == Opcode::GemmCsr;
    bool isWin = in.opcode() == Opcode::GemmWin;
    if (isCsr && !csr)
      return createStringError(inconvertibleErrorCode(),
                               "GEMM_CSR is timed from its weights: time the "
                               "whole program");
    ArrayWork work;
    work.outH = g(Field::Gemm_out_h);
    work.outW = g(Field::Gemm_out_w);
    work.inW = g(Field::Gemm_in_w);
    work.strideH = g(Field::Gemm_stride_h);
    work.strideW = g(Field::Gemm_stride_w);
    work.steps = g(Field::Gemm_k_h) * g(Field::Gemm_k_w) * g(Field::Gemm_in_cb);
    if (isWin) {
      work.window = p.window;
      work.slots = g(Field::GemmWin_slots);
    }
    uint64_t steps = arraySteps(work, p);
    // The steps the array issues: a group's waits for its reads (the
    // difference) issue nothing.
    uint64_t issued = divideCeil(work.outH * work.outW, p.pixels) *
                      windowCount(work.steps, uint32_t(work.window)) *
                      work.slots;
    uint64_t before = isCsr   ? csr->decodeCycles
                      : isWin ? (g(Field::Gemm_in_cb) + p.L - 1) / p.L
                              : 0;
    c.macSlots = issued * p.L * p.Q * p.pixels;
    c.cycles = before + steps + p.gemmPipeline +
               (g(Field::Gemm_epilogue)
                    ? p.epilogueStages * (1 + g(Field::Gemm_residual)) +
                          (g(Field::Gemm_pool_k) ? p.gemmPoolStages : 0)
                    : 0);
    return c;
  }
  case Opcode::Pool:
    // Section 2.3: each input vector of the tile read once (partial maxima
    // / sums of the windows in progress kept in the unit), one output
    // written per cycle; or one window element per cycle.
    c.cycles = poolCycles(in, p);
    return c;
  case Opcode::Add:
    // Section 2.3: one output vector per cycle (two FBUF read ports).
    c.cycles = g(Field::Add_cb) * g(Field::Add_n) + p.eltwisePipeline;
    return c;
  case Opcode::Host:
  case Opcode::Sync:
  case Opcode::End:
    return c; // section 2.4: barriers take no device cycles
  }
  return c;
}

namespace {
Expected<Timeline> runModel(ArrayRef<Instr> code, const TargetConfig &target,
                            const std::vector<CsrStats> *csr);
} // namespace

Expected<Timeline> cycleModel(ArrayRef<Instr> code,
                              const TargetConfig &target) {
  return runModel(code, target, nullptr);
}

Expected<Timeline> cycleModel(const Program &p) {
  Expected<std::vector<uint32_t>> order = tokenSchedule(p.code);
  if (!order)
    return order.takeError();
  std::vector<CsrStats> csr(p.code.size());
  replayWbuf(p, *order, [&](uint32_t idx, const std::vector<uint64_t> &wtag) {
    const Instr &in = p.code[idx];
    if (in.opcode() != Opcode::GemmCsr)
      return;
    uint64_t K = uint64_t(in.get(Field::Gemm_k_h)) * in.get(Field::Gemm_k_w) *
                 in.get(Field::Gemm_in_cb) * p.target.L;
    uint64_t at = in.get(Field::Gemm_w_addr);
    size_t avail = wtag.size() - at;
    csr[idx] = {csrDecodeCycles(
        [&](uint64_t i) {
          return wbufStreamByte(p, wtag.data() + at, avail, i);
        },
        K, p.target.L, p.target.Q, WFmt(in.get(Field::Gemm_wfmt)), avail)};
  });
  return runModel(p.code, p.target, &csr);
}

namespace {
Expected<Timeline> runModel(ArrayRef<Instr> code, const TargetConfig &target,
                            const std::vector<CsrStats> *csr) {
  CycleParams p = CycleParams::fromTarget(target);
  Timeline tl;
  tl.cost.reserve(code.size());
  tl.time.resize(code.size());
  for (size_t i = 0; i < code.size(); ++i) {
    Expected<InstrCost> c = instrCost(code[i], p, csr ? &(*csr)[i] : nullptr);
    if (!c)
      return createStringError(inconvertibleErrorCode(), "instruction #%zu: %s",
                               i, toString(c.takeError()).c_str());
    tl.cost.push_back(*c);
  }
  // Section 3. End cycles of the pushes of each semaphore, in order; the
  // k-th pop of a semaphore takes the k-th push (one producer, one consumer).
  std::vector<uint64_t> pushes[4];
  size_t popped[4] = {0, 0, 0, 0};
  std::vector<uint32_t> queues[3];
  uint64_t segStart = 0, ddrFree = 0;
  size_t segBegin = 0;
  for (size_t end = 0; end <= code.size(); ++end) {
    bool barrier = end < code.size() && tl.cost[end].queue == Queue::Barrier;
    if (end < code.size() && !barrier)
      continue;
    for (auto &q : queues)
      q.clear();
    for (size_t i = segBegin; i < end; ++i)
      queues[size_t(tl.cost[i].queue)].push_back(uint32_t(i));
    size_t head[3] = {0, 0, 0};
    uint64_t free[3] = {segStart, segStart, segStart};
    uint64_t segEnd = segStart;
    for (;;) {
      // Among the heads whose tokens have been pushed, the one that can
      // start first; at a tie the one that was ready first (a LOAD and a
      // STORE waiting for the DDR channel take it in request order), then
      // load, compute, store.
      int best = -1;
      uint64_t bestStart = 0, bestReady = 0;
      for (int q = 0; q < 3; ++q) {
        if (head[q] == queues[q].size())
          continue;
        uint32_t idx = queues[q][head[q]];
        SemOps ops = semOps(Queue(q), code[idx].tokens());
        uint64_t start = free[q];
        bool ready = true;
        for (int s : ops.pop) {
          if (s < 0)
            continue;
          if (popped[s] == pushes[s].size()) {
            ready = false;
            break;
          }
          start = std::max(start, pushes[s][popped[s]]);
        }
        if (!ready)
          continue;
        uint64_t readyAt = start;
        if (tl.cost[idx].usesDdr)
          start = std::max(start, ddrFree);
        if (best < 0 || start < bestStart ||
            (start == bestStart && readyAt < bestReady)) {
          best = q;
          bestStart = start;
          bestReady = readyAt;
        }
      }
      if (best < 0)
        break;
      uint32_t idx = queues[best][head[best]++];
      SemOps ops = semOps(Queue(best), code[idx].tokens());
      for (int s : ops.pop)
        if (s >= 0)
          ++popped[s];
      uint64_t stop = bestStart + tl.cost[idx].cycles;
      for (int s : ops.push)
        if (s >= 0)
          pushes[s].push_back(stop);
      tl.time[idx] = {bestStart, stop};
      free[best] = stop;
      if (tl.cost[idx].usesDdr)
        ddrFree = stop;
      segEnd = std::max(segEnd, stop);
    }
    for (int q = 0; q < 3; ++q)
      if (head[q] != queues[q].size())
        return createStringError(
            inconvertibleErrorCode(),
            "token deadlock: instruction #%u heads the %s queue and waits "
            "for a token that is never pushed",
            queues[q][head[q]], queueName(Queue(q)));
    if (end < code.size()) {
      // Section 2.4: a barrier starts when everything earlier has ended.
      tl.time[end] = {segEnd, segEnd + tl.cost[end].cycles};
      segEnd = tl.time[end].end;
      if (code[end].opcode() == Opcode::Host)
        ++tl.hostSegments;
    }
    segStart = segEnd;
    ddrFree = std::max(ddrFree, segStart);
    segBegin = end + 1;
  }
  tl.totalCycles = segStart;
  return tl;
}
} // namespace

} // namespace dlprt

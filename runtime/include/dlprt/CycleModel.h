//===- CycleModel.h - Cycle model of the DLP (docs/cycle-model.md) -*- C++
//-*-===//
//
// Timing only: per-instruction cost (PE array, DDR, pool and element-wise
// units) and the three queues running in parallel under the dependency
// tokens of docs/isa.md section 2. Data-independent for dense programs, so
// it runs from the instruction stream alone (no functional simulation).
// Every rule is in docs/cycle-model.md; an RTL implementation matches it.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_CYCLEMODEL_H
#define DLPRT_CYCLEMODEL_H

#include "dlprt/Isa.h"
#include "dlprt/Target.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace dlprt {

/// Every timing parameter of the model. fromTarget derives all of them from
/// the target config (the one place a rate or a pipeline depth is defined;
/// a future config field, e.g. a CSR decode rate, is read there).
struct CycleParams {
  uint32_t L = 0, Q = 0;
  /// DDR channel bandwidth (bytes per DLP cycle) and first-byte latency
  /// paid once per DMA instruction.
  double ddrBytesPerCycle = 0;
  uint64_t ddrLatency = 0;
  /// A LOAD / STORE's fixed cycles besides latency and beats: dmaSetup
  /// cycles forming the burst lengths (products of the fields, one per
  /// cycle), the request register, and the last SRAM write (LOAD) / the
  /// acknowledgement (STORE) after the last beat.
  uint64_t dmaSetup = 0, dmaFixed = 0;
  /// PE array fill + drain of one GEMM: SRAM read, shift / multiply,
  /// log2(L) adder-tree levels, accumulate.
  uint64_t gemmPipeline = 0;
  /// Post-processing stages (requantize, clamp + FBUF write) a GEMM with
  /// `epilogue` adds to its drain.
  uint64_t epilogueStages = 0;
  /// Stages a GEMM's fused max pool (ISA v5) adds after them: the row's
  /// window maximum, then the combine with the line buffer and the write.
  uint64_t gemmPoolStages = 0;
  /// Fill + drain of the pool and element-wise units (read, combine,
  /// write; the pool's also its setup and reciprocal stages below); both
  /// take one L-lane vector per cycle.
  uint64_t poolPipeline = 0, eltwisePipeline = 0;
  /// The pool unit's setup before its first read (window geometry: six
  /// divisions by the strides, one quotient bit per cycle, then clamps,
  /// products, sums) and the depth of its average path's reciprocal
  /// (window rows and columns, their product, then a divider with one
  /// quotient bit per stage); both
  /// are part of poolPipeline.
  uint64_t poolSetup = 0, poolDivide = 0;
  /// The pool unit's streaming path (section 2.3): partial results of
  /// poolRows output rows x poolCols output columns in flight (each a
  /// power of two), output rows of at most poolMaxOutW vectors
  /// (2^ceil(FBUF address bits / 2), the width of a square tile filling
  /// FBUF); other shapes take the one-window-element-per-cycle path.
  uint64_t poolRows = 0, poolCols = 0, poolMaxOutW = 0;
  /// The streaming path exists (units.pool_streaming); without it every
  /// POOL takes the element-per-cycle path.
  bool poolStreaming = true;
  /// The window-sparse array's window (GEMM_WIN, section 2.6: input
  /// vectors read per cycle; 1 without it) and the stage its PEs' select
  /// adds to gemmPipeline (included there: every GEMM on that array passes
  /// it; 0 without one).
  uint32_t window = 1;
  uint64_t windowSelect = 0;
  /// Output pixels per array step (array.pixels, section 2.1): a GEMM's
  /// out_h * out_w pixels take ceil(out_h * out_w / pixels) groups of its
  /// pixel steps (raster order, groups crossing row ends).
  uint32_t pixels = 1;
  /// FBUF banks for the array's input reads (sram.feature_banks, section
  /// 2.1): a group's reads of one step in one bank take a cycle each.
  uint32_t fbufBanks = 1;

  static CycleParams fromTarget(const TargetConfig &t);
};

/// What a GEMM gives the array (section 2.1): `outH` x `outW` output
/// pixels whose windows start `strideH` input rows of `inW` vectors and
/// `strideW` vectors apart, `steps` steps each (taps x input channel
/// blocks) in windows of `window` steps (a GEMM_WIN's; 1: a dense GEMM),
/// each window `slots` array steps (1 for a dense GEMM).
struct ArrayWork {
  uint64_t outH = 1, outW = 1, inW = 1, strideH = 1, strideW = 1;
  uint64_t steps = 0, window = 1, slots = 1;
};

/// Section 2.1: the array steps (cycles between a GEMM's first step and
/// its drain) of `w`: per group of `p.pixels` pixels (raster order) and
/// per window, the longer of its slots and the reads its pixels make of
/// the busiest FBUF bank. The compiler weighs window against dense
/// weights with it.
uint64_t arraySteps(const ArrayWork &w, const CycleParams &p);

/// What one instruction costs, independent of when it runs.
struct InstrCost {
  isa::Queue queue = isa::Queue::Barrier;
  /// Cycles from start to end on its unit (0 for barriers).
  uint64_t cycles = 0;
  /// PE array MAC slots issued (L * Q * pixels per array step; GEMM only).
  uint64_t macSlots = 0;
  /// Bytes moved between DDR and an SRAM (LOAD / STORE only).
  uint64_t ddrBytes = 0;
  /// Holds the DDR channel for its whole duration (LOAD / STORE).
  bool usesDdr = false;
};

/// What the model needs of a GEMM_CSR's weights (its stream in WBUF).
struct CsrStats {
  /// Cycles of the CSR decoder on this stream (dlprt::csrDecodeCycles).
  uint64_t decodeCycles = 0;
};

/// The cost of `in`; an error for an opcode the model has no rule for, or
/// for a GEMM_CSR without `csr` (its cost depends on its weights).
llvm::Expected<InstrCost> instrCost(const isa::Instr &in, const CycleParams &p,
                                    const CsrStats *csr = nullptr);

/// Start and end cycle of one instruction ([start, end)).
struct InstrTime {
  uint64_t start = 0, end = 0;
};

/// The timed program: per instruction (indexed as the code) its cost and
/// its cycles, and the total (the end of the last instruction).
struct Timeline {
  std::vector<InstrCost> cost;
  std::vector<InstrTime> time;
  uint64_t totalCycles = 0;
  /// HOST instructions: zero device cycles each (host time is not modeled).
  uint32_t hostSegments = 0;
};

/// Runs the queues under their tokens (docs/cycle-model.md section 3):
/// an instruction starts when it heads its queue, its queue's previous
/// instruction has ended, every semaphore it pops holds a token pushed by
/// an instruction that has ended and (LOAD / STORE) the DDR channel is
/// free; barriers wait for everything earlier. Errors: an opcode without a
/// rule, or a deadlock (a program readBinary accepted never deadlocks).
llvm::Expected<Timeline> cycleModel(llvm::ArrayRef<isa::Instr> code,
                                    const TargetConfig &target);

struct Program;
/// As above for a whole (valid) program: also times GEMM_CSR, whose
/// weights it reads as the program's LOADs leave WBUF.
llvm::Expected<Timeline> cycleModel(const Program &p);

} // namespace dlprt

#endif // DLPRT_CYCLEMODEL_H

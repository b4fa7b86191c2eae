//===- Simulator.h - The bit-exact functional simulator ---------*- C++ -*-===//
//
// Executes a validated program on one image: FBUF / WBUF / PBUF / ABUF sized
// from the target, DDR regions const (the program's constData) and data
// (the caller's buffer of Program::dataBytes). The instruction order is the
// token replay's (dlprt/Schedule.h), so the simulator runs exactly an order
// the hardware may run. Arithmetic: docs/isa.md section 3 and
// docs/numerics.md; the int32 accumulator wraps (computed unsigned), so no
// program, however hostile, reaches undefined behaviour.
//
// Speed: WBUF is loaded only from the const region (a loader rule), so the
// weight rows every GEMM reads are known when the program is loaded. create()
// replays the schedule's WBUF loads and prepares, per GEMM instruction, its
// rows as packed int8 or int16 panels of the shared integer GEMM (dlprt/
// kernels/IGemm.h), all-zero rows dropped. At run time a GEMM checks that WBUF holds
// the rows the plan was made from (a source tag per row) and otherwise runs
// the generic path. Kernels run on up to setNumThreads() threads.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_SIMULATOR_H
#define DLPRT_SIMULATOR_H

#include "dlprt/Program.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace dlprt {

/// A zero-filled array whose pages are mapped on first touch (anonymous
/// memory): a machine pays only for the parts of its buffers a program uses.
/// kReadSlack readable bytes follow the last element (vector loads of the
/// simulator's gathers may read, not use, up to 32 bytes past a segment).
template <class T> class ZeroedArray {
public:
  static constexpr size_t kReadSlack = 64;
  explicit ZeroedArray(size_t n);
  ~ZeroedArray();
  ZeroedArray(const ZeroedArray &) = delete;
  ZeroedArray &operator=(const ZeroedArray &) = delete;
  T *data() { return p; }
  const T *data() const { return p; }
  size_t size() const { return n; }
  T &operator[](size_t i) { return p[i]; }
  const T &operator[](size_t i) const { return p[i]; }
  T *begin() { return p; }
  T *end() { return p + n; }
  const T *begin() const { return p; }
  const T *end() const { return p + n; }

private:
  T *p = nullptr;
  size_t n = 0;
};

/// On-chip buffers of one machine (docs/isa.md section 1).
struct MachineState {
  uint32_t L, Q;
  ZeroedArray<int8_t> fbuf;     ///< fbufVectors x L
  ZeroedArray<uint8_t> wcode;   ///< wbufRows x Q entries (pow2 code / int8)
  ZeroedArray<uint8_t> walign;  ///< wbufRows alignment shifts
  /// Per WBUF row, where its contents came from: 0 never loaded, else
  /// 1 + 4 * (CONST byte offset) + wfmt of the LOAD. A LOAD writes only
  /// the tag; wcode / walign are decoded from the tags when read
  /// (syncWeights; a row of CSR stream bytes reads as an int8 row).
  ZeroedArray<uint64_t> wtag;
  bool wcodeStale = false;
  ZeroedArray<int32_t> bias;    ///< paramEntries x Q
  ZeroedArray<int8_t> outShift; ///< paramEntries x Q, likewise below
  ZeroedArray<int8_t> actMin, actMax, aux;
  ZeroedArray<int32_t> abuf; ///< abufVectors x Q
  /// A pooling GEMM's epilogue tile (out_h x out_w x L), which its pool
  /// reads and the machine never writes to FBUF (docs/isa.md 3.3).
  std::vector<int8_t> poolTile;

  /// Every buffer zero.
  explicit MachineState(const TargetConfig &t);
  /// Zeroes every buffer (a program starts each image from zero).
  void reset();
  /// Units of each buffer that a run of a program can read holding what an
  /// earlier run wrote (read before written, written somewhere), as sorted
  /// disjoint [begin, end) ranges (a superset is fine): FBUF vectors, WBUF
  /// rows, PBUF entries, ABUF vectors.
  struct Footprint {
    std::vector<std::pair<uint64_t, uint64_t>> fbuf, wbuf, pbuf, abuf;
  };
  /// Zeroes the units of `f`: after a run of the program, the buffers then
  /// read as zero wherever the next run reads before writing.
  void reset(const Footprint &f, unsigned threads = 1);
  /// Decodes wcode / walign from the tags if a LOAD changed them since.
  void syncWeights(const Program &p);
};

/// Prepared operands of the GEMM instructions (SimGemm.cpp).
struct GemmPlan;
struct GemmPlans {
  /// By instruction index; null where no plan was made.
  std::vector<std::unique_ptr<GemmPlan>> byInstr;
  GemmPlans();
  ~GemmPlans();
  /// Plans on the Winograd path (tests).
  size_t winogradPlans() const;
  /// Plans whose ABUF writes are dead, so skipped (tests).
  size_t deadAccumulatorPlans() const;
};
/// Plans for every GEMM of the (valid) program `p` in schedule `order`,
/// made on up to `threads` threads.
std::shared_ptr<const GemmPlans>
planGemms(const Program &p, const std::vector<uint32_t> &order,
          unsigned threads = 1);

class Simulator {
public:
  /// Validates `p` (validateProgram) and computes its schedule. `p` must
  /// outlive the simulator and its clones. With `validated`, the caller
  /// vouches that validateProgram(p) already succeeded (readBinary does),
  /// and the program is not validated again.
  static llvm::Expected<std::unique_ptr<Simulator>>
  create(const Program &p, bool validated = false);
  /// A machine of its own for the same program (one per thread), without
  /// validating again.
  std::unique_ptr<Simulator> clone() const;

  /// Runs the whole program once: zeroes the on-chip buffers, then executes
  /// every instruction in schedule order on `data`, which holds at least
  /// touchedDataBytes(program()) bytes of DDR region `data` (the caller
  /// writes the inputs first and reads the outputs after).
  void run(uint8_t *data);

  /// Whether run() has been called on this machine.
  bool hasRun() const { return !fresh; }

  /// Threads the kernels of one run may use (default 1).
  void setNumThreads(unsigned n) { threads = n ? n : 1; }

  /// Host segments (flags indexed like program().host) that run() skips:
  /// their outputs are written before the run (Session: packedInputs).
  /// Clones skip the same.
  void skipHostSegments(std::shared_ptr<const std::vector<char>> segs) {
    skipped = std::move(segs);
  }

  const Program &program() const { return p; }
  const std::vector<uint32_t> &schedule() const { return *order; }
  /// The buffers after the last run (tests, debugging).
  const MachineState &state() const {
    s.syncWeights(p);
    return s;
  }

private:
  Simulator(const Program &p, std::shared_ptr<const std::vector<uint32_t>> o,
            std::shared_ptr<const GemmPlans> plans,
            std::shared_ptr<const MachineState::Footprint> fp)
      : p(p), order(std::move(o)), plans(std::move(plans)),
        footprint(std::move(fp)), s(p.target) {}
  void execute(uint32_t index, uint8_t *data);
  void dma(const isa::Instr &in, uint8_t *data);
  void pool(const isa::Instr &in);
  void add(const isa::Instr &in);

  const Program &p;
  std::shared_ptr<const std::vector<uint32_t>> order;
  std::shared_ptr<const GemmPlans> plans;
  std::shared_ptr<const MachineState::Footprint> footprint;
  std::shared_ptr<const std::vector<char>> skipped;
  mutable MachineState s; // state() decodes WBUF lazily
  /// Whether the buffers are zero (a new machine): the first run skips
  /// the reset.
  bool fresh = true;
  /// Scratch of POOL / ADD (grow-only).
  std::vector<int8_t> scratch;
  unsigned threads = 1;
};

/// One past the furthest byte of DDR region `data` that any tensor,
/// LOAD or STORE of the (valid) program can touch: the simulator needs only
/// that much of the region, however large Program::dataBytes is.
uint64_t touchedDataBytes(const Program &p);

/// The bytes of DDR region `data` (sorted, disjoint [begin, end) ranges
/// below touchedDataBytes) that the (valid) program, run in `order` after
/// its inputs were written, may read before writing them: a LOAD's runs,
/// a HOST segment's input tensors, and at the end every tensor (outputs,
/// dumps), less the bytes a STORE, a PackTaps segment or the inputs wrote
/// earlier. Only these need zeroing between runs on one region: every
/// other byte is either never written (still zero) or written before any
/// read of the run (what each run writes does not depend on the data).
std::vector<std::pair<uint64_t, uint64_t>>
dataReadBeforeWritten(const Program &p, const std::vector<uint32_t> &order);

/// Per model input of the (valid) program `p` run in `order`: the index
/// (into p.host) of the PackTaps segment that can be computed straight
/// from the input's int8 values (packTapsFromInt8) before the run, the
/// segment then skipped and the input tensor's DDR bytes never written;
/// -1 where that would not leave every other byte the run reads or writes
/// as it was. That needs: an int8 input of one channel block, read by no
/// DMA and no other segment, not an output, its bytes overlapping no other
/// input's; the segment's output of one channel block, touched by nothing
/// the schedule runs before the segment and overlapping no input; one
/// HOST instruction running the segment. (A network's first layer packed
/// for the array: its three channels' DDR vectors are 95 % padding.)
std::vector<int64_t> packedInputs(const Program &p,
                                  const std::vector<uint32_t> &order);

/// Executes one GEMM instruction on `s` (docs/isa.md 3.3) on up to
/// `threads` threads, with `plan` (may be null) when WBUF holds the rows it
/// was made from.
void executeGemm(const Program &p, const isa::Instr &in, MachineState &s,
                 const GemmPlan *plan = nullptr, unsigned threads = 1);

/// The element-wise add of docs/isa.md 3.5 on one channel block of `s`:
/// FBUF vectors [out, out + n) from [a, a + n) and [b, b + n) (no b: the
/// unary requantize / clamp) under PBUF entry `entry`. In place (out = a
/// or out = b) is allowed.
void addBlock(const TargetConfig &t, MachineState &s, uint64_t a,
              std::optional<uint64_t> b, uint64_t out, uint64_t n,
              uint64_t entry);

} // namespace dlprt

#endif // DLPRT_SIMULATOR_H

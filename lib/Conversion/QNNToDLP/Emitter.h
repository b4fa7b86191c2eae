//===- Emitter.h - Instruction emission with token placement ----*- C++ -*-===//
//
// Appends dlp instruction ops to a program and places the dependency tokens
// (docs/isa.md section 2) from what each instruction reads and writes: for
// every earlier instruction of another queue (since the last barrier) whose
// accesses conflict with the new one's, the latest instruction of that
// queue pushes a token the new one pops — unless an earlier token on that
// channel already orders them (the instruction that popped it precedes the
// new one in its queue). Loads and stores share no token channel: a
// conflict between them becomes a SYNC barrier unless tokens already order
// them through the compute queue (the compute instruction the new one
// waits for had itself waited for the conflicting one). Every push is popped by the
// instruction that needed it, so the semaphores are balanced at every
// barrier and at END.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_CONVERSION_QNNTODLP_EMITTER_H
#define DLP_CONVERSION_QNNTODLP_EMITTER_H

#include "DLP/DLPOps.h"
#include "dlprt/Target.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <utility>
#include <vector>

namespace dlp::conv {

/// Address spaces an instruction touches.
enum class Space : uint8_t { FBuf, WBuf, PBuf, ABuf, Ddr };

/// [begin, end) of a space (DDR: bytes of region data; buffers: units).
struct Access {
  Space space;
  int64_t begin, end;
  bool write;
};

using Fields = std::vector<std::pair<llvm::StringRef, int64_t>>;

class Emitter {
public:
  Emitter(const dlprt::TargetConfig &target, mlir::OpBuilder &builder)
      : t(target), b(builder) {}

  /// Appends an instruction with `fields` (every field of the opcode) at
  /// `loc`, after placing the tokens its accesses need.
  mlir::Operation *emit(dlprt::isa::Opcode op, mlir::Location loc,
                        const Fields &fields, std::vector<Access> accesses);
  /// A barrier (HOST, SYNC, END): forgets everything before it.
  mlir::Operation *barrier(dlprt::isa::Opcode op, mlir::Location loc,
                           const Fields &fields = {});

  unsigned numInstructions() const { return count; }
  unsigned numSyncs() const { return syncs; }

private:
  struct Rec {
    mlir::Operation *op;
    dlprt::isa::Queue queue;
    std::vector<Access> accesses;
    /// A compute instruction: the latest load and store (indices in
    /// `recent`, -1 none) that tokens order before it, with every earlier
    /// one of their queues.
    int loadsDone = -1, storesDone = -1;
  };
  const dlprt::TargetConfig &t;
  mlir::OpBuilder &b;
  std::vector<Rec> recent; ///< instructions since the last barrier
  /// Indices in `recent` per queue.
  std::vector<int> byQueue[3];
  /// Disjoint [begin, end) ranges, merged.
  struct Ranges {
    std::map<int64_t, int64_t> iv;
    void add(int64_t begin, int64_t end);
    bool overlaps(int64_t begin, int64_t end) const;
  };
  /// Per queue, space and (read, write): what its instructions since the
  /// last barrier touched (for loads against stores, which share no token
  /// channel: a conflict with one that tokens do not order yet is a
  /// SYNC).
  Ranges touched[3][5][2];
  /// Whether `accesses` conflict with anything queue q touched.
  bool touches(dlprt::isa::Queue q, const std::vector<Access> &accesses) const;
  /// Index in `recent` of the latest push on each channel (from, to), -1
  /// for none. Channels: 0 load->compute, 1 compute->load, 2
  /// compute->store, 3 store->compute.
  int lastPush[4] = {-1, -1, -1, -1};
  unsigned count = 0, syncs = 0;
  /// Interned attribute and op names (a lowering builds thousands of ops
  /// with the same few names; the tile search lowers a model several times).
  llvm::StringMap<mlir::StringAttr> names;
  llvm::DenseMap<uint8_t, mlir::OperationName> opNames;

  void resetTokens();
  mlir::StringAttr name(llvm::StringRef n);
  /// The op of `op` with `fields` and the unit attributes `flags`.
  mlir::Operation *build(dlprt::isa::Opcode op, mlir::Location loc,
                         const Fields &fields,
                         llvm::ArrayRef<llvm::StringRef> flags = {});
};

} // namespace dlp::conv

#endif // DLP_CONVERSION_QNNTODLP_EMITTER_H

//===- Emitter.cpp - Instruction emission with token placement ------------===//

#include "Emitter.h"

using namespace mlir;
using namespace dlp::conv;
namespace risa = dlprt::isa;

namespace {
bool conflicts(const std::vector<Access> &a, const std::vector<Access> &b) {
  for (const Access &x : a)
    for (const Access &y : b)
      if (x.space == y.space && (x.write || y.write) && x.begin < y.end &&
          y.begin < x.end)
        return true;
  return false;
}

/// Channel index of (from, to), -1 when the queues are not neighbours.
int channel(risa::Queue from, risa::Queue to) {
  using Q = risa::Queue;
  if (from == Q::Load && to == Q::Compute)
    return 0;
  if (from == Q::Compute && to == Q::Load)
    return 1;
  if (from == Q::Compute && to == Q::Store)
    return 2;
  if (from == Q::Store && to == Q::Compute)
    return 3;
  return -1;
}

/// Whether `to` is `from`'s next queue (else its previous).
bool isNext(risa::Queue from, risa::Queue to) {
  using Q = risa::Queue;
  return (from == Q::Load && to == Q::Compute) ||
         (from == Q::Compute && to == Q::Store);
}

Operation *build(OpBuilder &b, risa::Opcode op, Location loc,
                 const Fields &fields) {
  const risa::OpcodeInfo *info = risa::opcodeInfo(uint8_t(op));
  OperationState st(loc, "dlp." + std::string(info->mnemonic));
  for (auto &[name, value] : fields)
    st.addAttribute(name, b.getI64IntegerAttr(value));
  return b.create(st);
}
} // namespace

void Emitter::resetTokens() {
  recent.clear();
  for (int &p : lastPush)
    p = -1;
}

Operation *Emitter::barrier(risa::Opcode op, Location loc,
                            const Fields &fields) {
  resetTokens();
  ++count;
  return build(b, op, loc, fields);
}

Operation *Emitter::emit(risa::Opcode opc, Location loc, const Fields &fields,
                         std::vector<Access> accesses) {
  risa::Queue q = risa::opcodeInfo(uint8_t(opc))->queue;
  // The latest conflicting instruction of each other queue.
  int latest[3] = {-1, -1, -1};
  latest[int(q)] = -2; // not searched
  for (int i = int(recent.size()) - 1;
       i >= 0 && (latest[0] == -1 || latest[1] == -1 || latest[2] == -1);
       --i) {
    risa::Queue rq = recent[i].queue;
    if (latest[int(rq)] != -1)
      continue;
    if (conflicts(recent[i].accesses, accesses))
      latest[int(rq)] = i;
  }
  latest[int(q)] = -1;
  // A load-store conflict has no token channel: a barrier orders it.
  for (int other = 0; other < 3; ++other)
    if (latest[other] >= 0 && channel(risa::Queue(other), q) < 0) {
      barrier(risa::Opcode::Sync, loc);
      ++syncs;
      for (int &l : latest)
        l = -1;
      break;
    }
  std::vector<StringRef> pops;
  for (int other = 0; other < 3; ++other) {
    if (latest[other] < 0)
      continue;
    risa::Queue from = risa::Queue(other);
    int ch = channel(from, q);
    if (lastPush[ch] >= latest[other])
      continue; // ordered through an earlier token of this channel
    // The conflicting instruction itself pushes and this one pops: it then
    // waits for that instruction only, not for later ones of its queue (a
    // weight load into a bank waits for the GEMM that last read the bank,
    // so loads run a tile ahead). Tokens of a channel are counted, so the
    // k-th pop takes the k-th push: pushers are chosen in program order
    // (every earlier pusher of the channel is at most lastPush[ch], below
    // this one), which keeps pops and pushes matched.
    int pusher = latest[other];
    recent[pusher].op->setAttr(isNext(from, q) ? "push_next" : "push_prev",
                               b.getUnitAttr());
    lastPush[ch] = pusher;
    pops.push_back(isNext(from, q) ? "pop_prev" : "pop_next");
  }
  Operation *op = build(b, opc, loc, fields);
  for (StringRef p : pops)
    op->setAttr(p, b.getUnitAttr());
  recent.push_back({op, q, std::move(accesses)});
  ++count;
  return op;
}

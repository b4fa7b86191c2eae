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

} // namespace

StringAttr Emitter::name(StringRef n) {
  auto [it, inserted] = names.try_emplace(n);
  if (inserted)
    it->second = b.getStringAttr(n);
  return it->second;
}

Operation *Emitter::build(risa::Opcode op, Location loc, const Fields &fields,
                          ArrayRef<StringRef> flags) {
  auto it = opNames.find(uint8_t(op));
  if (it == opNames.end())
    it = opNames
             .try_emplace(uint8_t(op),
                          OperationName("dlp." + std::string(risa::opcodeInfo(
                                                     uint8_t(op))
                                                     ->mnemonic),
                                        b.getContext()))
             .first;
  OperationState st(loc, it->second);
  for (auto &[n, value] : fields)
    st.addAttribute(name(n), b.getI64IntegerAttr(value));
  for (StringRef f : flags)
    st.addAttribute(name(f), b.getUnitAttr());
  return b.create(st);
}

void Emitter::Ranges::add(int64_t begin, int64_t end) {
  // Merge with every range that overlaps or touches [begin, end).
  auto it = iv.upper_bound(begin);
  if (it != iv.begin() && std::prev(it)->second >= begin)
    --it;
  while (it != iv.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    it = iv.erase(it);
  }
  iv.emplace(begin, end);
}

bool Emitter::Ranges::overlaps(int64_t begin, int64_t end) const {
  auto it = iv.upper_bound(begin);
  if (it != iv.begin() && std::prev(it)->second > begin)
    return true;
  return it != iv.end() && it->first < end;
}

bool Emitter::touches(risa::Queue q, const std::vector<Access> &accesses) const {
  for (const Access &x : accesses) {
    const Ranges *r = touched[int(q)][int(x.space)];
    if (r[1].overlaps(x.begin, x.end) ||
        (x.write && r[0].overlaps(x.begin, x.end)))
      return true;
  }
  return false;
}

void Emitter::resetTokens() {
  recent.clear();
  for (auto &v : byQueue)
    v.clear();
  for (auto &perQueue : touched)
    for (auto &perSpace : perQueue)
      for (Ranges &r : perSpace)
        r.iv.clear();
  for (int &p : lastPush)
    p = -1;
}

Operation *Emitter::barrier(risa::Opcode op, Location loc,
                            const Fields &fields) {
  resetTokens();
  ++count;
  return build(op, loc, fields);
}

Operation *Emitter::emit(risa::Opcode opc, Location loc, const Fields &fields,
                         std::vector<Access> accesses) {
  risa::Queue q = risa::opcodeInfo(uint8_t(opc))->queue;
  // The latest conflicting instruction of each neighbouring queue that no
  // token orders yet: one after the latest push on the channel (the
  // instruction that popped it precedes this one in its queue, so that
  // push and everything before it in the other queue are ordered).
  int latest[3] = {-1, -1, -1};
  for (int other = 0; other < 3; ++other) {
    int ch = other == int(q) ? -1 : channel(risa::Queue(other), q);
    if (ch < 0)
      continue;
    const std::vector<int> &idx = byQueue[other];
    for (auto it = idx.rbegin(); it != idx.rend() && *it > lastPush[ch]; ++it)
      if (conflicts(recent[*it].accesses, accesses)) {
        latest[other] = *it;
        break;
      }
  }
  // A load-store conflict has no token channel: a barrier orders it, unless
  // tokens already do. A load (store) waits for the compute instructions up
  // to the latest one whose push it or an earlier one of its queue pops,
  // and those waited for the stores (loads) up to their storesDone
  // (loadsDone): a conflict with one of those is ordered.
  bool sync = false;
  if (q != risa::Queue::Compute && q != risa::Queue::Barrier) {
    risa::Queue other =
        q == risa::Queue::Load ? risa::Queue::Store : risa::Queue::Load;
    if (touches(other, accesses)) {
      int c = std::max(lastPush[channel(risa::Queue::Compute, q)],
                       latest[int(risa::Queue::Compute)]);
      int done = c < 0 ? -1
                 : q == risa::Queue::Load ? recent[c].storesDone
                                          : recent[c].loadsDone;
      const std::vector<int> &idx = byQueue[int(other)];
      for (auto it = idx.rbegin(); it != idx.rend() && *it > done && !sync;
           ++it)
        sync = conflicts(recent[*it].accesses, accesses);
    }
  }
  if (sync) {
    barrier(risa::Opcode::Sync, loc);
    ++syncs;
    for (int &l : latest)
      l = -1;
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
    recent[pusher].op->setAttr(name(isNext(from, q) ? "push_next" : "push_prev"),
                               b.getUnitAttr());
    lastPush[ch] = pusher;
    pops.push_back(isNext(from, q) ? "pop_prev" : "pop_next");
  }
  Operation *op = build(opc, loc, fields, pops);
  for (const Access &x : accesses)
    touched[int(q)][int(x.space)][x.write].add(x.begin, x.end);
  byQueue[int(q)].push_back(int(recent.size()));
  recent.push_back({op, q, std::move(accesses)});
  if (q == risa::Queue::Compute) {
    recent.back().loadsDone = lastPush[channel(risa::Queue::Load, q)];
    recent.back().storesDone = lastPush[channel(risa::Queue::Store, q)];
  }
  ++count;
  return op;
}

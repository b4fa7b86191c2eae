//===- Schedule.cpp - Token replay of the three queues (isa.md 2) ---------===//

#include "dlprt/Schedule.h"

#include "llvm/ADT/Twine.h"

#include <string>

using namespace llvm;
using namespace dlprt::isa;

namespace dlprt {

namespace {

constexpr const char *kSemNames[] = {"load->compute", "compute->load",
                                     "compute->store", "store->compute"};
constexpr const char *kQueueNames[] = {"load", "compute", "store"};

Queue queueOf(const Instr &i) {
  const OpcodeInfo *info = opcodeInfo(i.opcodeValue());
  return info ? info->queue : Queue::Barrier;
}

std::string describe(ArrayRef<Instr> code, uint32_t idx) {
  const OpcodeInfo *info = opcodeInfo(code[idx].opcodeValue());
  return "instruction #" + std::to_string(idx) + " (" +
         std::string(info ? info->mnemonic : "?") + ")";
}

} // namespace

SemOps semOps(Queue q, uint8_t t) {
  SemOps ops;
  auto add = [](int(&list)[2], int sem) { list[list[0] < 0 ? 0 : 1] = sem; };
  switch (q) {
  case Queue::Load:
    if (t & PopNext)
      add(ops.pop, ComputeToLoad);
    if (t & PushNext)
      add(ops.push, LoadToCompute);
    break;
  case Queue::Compute:
    if (t & PopPrev)
      add(ops.pop, LoadToCompute);
    if (t & PopNext)
      add(ops.pop, StoreToCompute);
    if (t & PushPrev)
      add(ops.push, ComputeToLoad);
    if (t & PushNext)
      add(ops.push, ComputeToStore);
    break;
  case Queue::Store:
    if (t & PopPrev)
      add(ops.pop, ComputeToStore);
    if (t & PushPrev)
      add(ops.push, StoreToCompute);
    break;
  case Queue::Barrier:
    break;
  }
  return ops;
}

const char *semName(int sem) { return kSemNames[sem]; }

const char *queueName(Queue q) {
  return q == Queue::Barrier ? "barrier" : kQueueNames[int(q)];
}

bool tokensValidFor(Queue q, uint8_t t) {
  switch (q) {
  case Queue::Load:
    return (t & (PopPrev | PushPrev)) == 0;
  case Queue::Store:
    return (t & (PopNext | PushNext)) == 0;
  case Queue::Compute:
    return true;
  case Queue::Barrier:
    return t == 0;
  }
  return false;
}

Expected<std::vector<uint32_t>> tokenSchedule(ArrayRef<Instr> code) {
  std::vector<uint32_t> order;
  order.reserve(code.size());
  uint64_t sem[4] = {0, 0, 0, 0};
  std::vector<uint32_t> queues[3];
  size_t segBegin = 0;
  for (size_t end = 0; end <= code.size(); ++end) {
    bool barrier = end < code.size() && queueOf(code[end]) == Queue::Barrier;
    if (end < code.size() && !barrier)
      continue;
    // Instructions [segBegin, end) precede the barrier at `end` (if any).
    for (auto &q : queues)
      q.clear();
    for (size_t i = segBegin; i < end; ++i)
      queues[size_t(queueOf(code[i]))].push_back(uint32_t(i));
    size_t head[3] = {0, 0, 0};
    for (bool progress = true; progress;) {
      progress = false;
      for (int q = 0; q < 3; ++q) {
        while (head[q] < queues[q].size()) {
          const Instr &in = code[queues[q][head[q]]];
          SemOps ops = semOps(Queue(q), in.tokens());
          bool ready = true;
          for (int s : ops.pop)
            ready &= s < 0 || sem[s] > 0;
          if (!ready)
            break;
          for (int s : ops.pop)
            if (s >= 0)
              --sem[s];
          for (int s : ops.push)
            if (s >= 0)
              ++sem[s];
          order.push_back(queues[q][head[q]++]);
          progress = true;
        }
      }
    }
    std::string blocked;
    for (int q = 0; q < 3; ++q) {
      if (head[q] == queues[q].size())
        continue;
      uint32_t idx = queues[q][head[q]];
      SemOps ops = semOps(Queue(q), code[idx].tokens());
      blocked += std::string(blocked.empty() ? "" : "; ") + kQueueNames[q] +
                 " queue head " + describe(code, idx) + " waits on";
      for (int s : ops.pop)
        if (s >= 0 && sem[s] == 0)
          blocked += std::string(" ") + kSemNames[s];
    }
    if (!blocked.empty())
      return createStringError(
          inconvertibleErrorCode(), "token deadlock before %s: %s",
          end < code.size() ? describe(code, uint32_t(end)).c_str()
                            : "the end of the stream",
          blocked.c_str());
    if (end < code.size()) {
      if (code[end].opcode() == Opcode::End)
        for (int s = 0; s < 4; ++s)
          if (sem[s])
            return createStringError(
                inconvertibleErrorCode(),
                "%s: unbalanced tokens: semaphore %s is %llu at END (must "
                "be 0)",
                describe(code, uint32_t(end)).c_str(), kSemNames[s],
                (unsigned long long)sem[s]);
      order.push_back(uint32_t(end));
    }
    segBegin = end + 1;
  }
  return order;
}

} // namespace dlprt

//===- Schedule.h - Token replay of the three queues ------------*- C++ -*-===//
//
// docs/isa.md section 2, the token protocol alone: the loader replays it to
// prove a stream deadlock-free and balanced, and the functional simulator
// executes the same order.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_SCHEDULE_H
#define DLPRT_SCHEDULE_H

#include "dlprt/Isa.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace dlprt {

/// The four semaphores between neighbouring queues (docs/isa.md 2).
enum Sem { LoadToCompute, ComputeToLoad, ComputeToStore, StoreToCompute };
/// "load->compute", ... for messages.
const char *semName(int sem);
/// "load", "compute", "store" or "barrier".
const char *queueName(isa::Queue q);

/// Semaphores popped and pushed by an instruction of queue `q` with token
/// flags `t` (-1: unused slot). The one mapping of flags to semaphores: the
/// loader's replay and the cycle model both use it.
struct SemOps {
  int pop[2] = {-1, -1};
  int push[2] = {-1, -1};
};
SemOps semOps(isa::Queue q, uint8_t t);

/// Whether `tokens` (isa::Token flags) are valid for an instruction of
/// queue `q`: load has only a next (compute), store only a prev (compute),
/// barriers none.
bool tokensValidFor(isa::Queue q, uint8_t tokens);

/// A legal execution order of `code` (instruction indices): barriers wait
/// for every earlier instruction; between them the queues advance
/// greedily, load first, then compute, then store. Because each semaphore
/// has one producer and one consumer queue, whether the stream deadlocks
/// does not depend on the order chosen. Errors: a deadlock (naming every
/// blocked queue head and what it waits for) or a semaphore not zero at
/// END. Token flags must already be valid (tokensValidFor) and opcodes
/// known.
llvm::Expected<std::vector<uint32_t>>
tokenSchedule(llvm::ArrayRef<isa::Instr> code);

} // namespace dlprt

#endif // DLPRT_SCHEDULE_H

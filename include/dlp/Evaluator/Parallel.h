//===- Parallel.h - Fork-join loops of the evaluator ------------*- C++ -*-===//
#ifndef DLP_EVALUATOR_PARALLEL_H
#define DLP_EVALUATOR_PARALLEL_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace llvm {
class ThreadPoolInterface;
} // namespace llvm

namespace dlp::eval {

/// Runs `fn(i)` for every i in [0, numTasks) on at most `numThreads` threads:
/// up to numThreads - 1 pool tasks plus the calling thread, all claiming
/// indices from one shared counter. So no more threads run than asked for,
/// and the call completes even when the pool is busy or the caller is itself
/// a pool worker. Returns after every `fn` call finished. Inline when `pool`
/// is null or there is a single task or thread.
void parallelForTasks(llvm::ThreadPoolInterface *pool, int64_t numThreads,
                      int64_t numTasks, llvm::function_ref<void(int64_t)> fn);

} // namespace dlp::eval

#endif // DLP_EVALUATOR_PARALLEL_H

//===- Parallel.h - Fork-join loops of the integer kernels ------*- C++ -*-===//
//
// Shared by the runtime's kernels, the simulator and the compiler's
// evaluators (dlp/Evaluator/Parallel.h re-exports it).
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_PARALLEL_H
#define DLPRT_KERNELS_PARALLEL_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstddef>
#include <cstdint>

namespace dlprt::kernels {

/// Runs `fn(i)` for every i in [0, numTasks) on at most `numThreads` threads
/// (the calling thread and a process-wide team, Parallel.cpp): each thread
/// takes one contiguous block of the indices (the caller the first), then
/// what the others have not started. Returns after every `fn` call
/// finished.
/// Runs inline when there is a single task or thread, inside another loop
/// (nested loops run on the thread that reaches them) and when the team is
/// busy with another thread's loop.
void parallelForTasks(int64_t numThreads, int64_t numTasks,
                      llvm::function_ref<void(int64_t)> fn);

/// Runs fn(begin, end) over [0, n) in up to 4 chunks per thread (inline
/// when single-threaded or n < 2).
void parallelForRange(int64_t numThreads, int64_t n,
                      llvm::function_ref<void(int64_t, int64_t)> fn);

/// std::memcpy(dst, src, bytes) (src null: std::memset(dst, 0, bytes)) in
/// pieces of at least 256 KiB on up to numThreads threads: a large copy is
/// bound by one core's share of the memory bandwidth.
void parallelCopy(void *dst, const void *src, size_t bytes,
                  int64_t numThreads);

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_PARALLEL_H

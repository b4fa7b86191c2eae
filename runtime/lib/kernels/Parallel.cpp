//===- Parallel.cpp - Fork-join loops of the evaluator --------------------===//

#include "dlp/Evaluator/Parallel.h"

#include <algorithm>
#include <atomic>
#include <omp.h>

using namespace dlp;

void eval::parallelForTasks(int64_t numThreads, int64_t numTasks,
                            llvm::function_ref<void(int64_t)> fn) {
  int64_t team = std::min(numThreads, numTasks);
  if (team <= 1 || omp_in_parallel()) {
    for (int64_t i = 0; i < numTasks; ++i)
      fn(i);
    return;
  }
  std::atomic<int64_t> next{0};
#pragma omp parallel num_threads(team)
  for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < numTasks;
       i = next.fetch_add(1, std::memory_order_relaxed))
    fn(i);
}

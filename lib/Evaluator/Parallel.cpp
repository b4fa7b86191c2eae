//===- Parallel.cpp - Fork-join loops of the evaluator --------------------===//

#include "dlp/Evaluator/Parallel.h"

#include "llvm/Support/ThreadPool.h"

#include <algorithm>
#include <atomic>

using namespace dlp;

void eval::parallelForTasks(llvm::ThreadPoolInterface *pool,
                            int64_t numThreads, int64_t numTasks,
                            llvm::function_ref<void(int64_t)> fn) {
  int64_t helpers = std::min(numThreads, numTasks) - 1;
  if (!pool || helpers <= 0) {
    for (int64_t i = 0; i < numTasks; ++i)
      fn(i);
    return;
  }
  std::atomic<int64_t> next{0};
  auto worker = [&next, numTasks, fn]() {
    for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < numTasks;
         i = next.fetch_add(1, std::memory_order_relaxed))
      fn(i);
  };
  llvm::ThreadPoolTaskGroup group(*pool);
  for (int64_t h = 0; h < helpers; ++h)
    group.async(worker);
  worker();
  group.wait();
}

//===- Parallel.cpp - Fork-join loops of the integer kernels --------------===//
//
// A process-wide team of worker threads that block on a condition variable
// between loops. Measured on this VM (resnet18 on the simulator, batch 1, 2
// threads): an OpenMP team under libgomp's default wait policy ran 300-700
// ms per image, erratically, against 36 ms with OMP_WAIT_POLICY=passive or
// active; blocking workers give the passive figure without depending on the
// environment.
//
// A worker that finishes a loop first spins briefly (kSpin) for the next
// one before it blocks: a program's loops come back to back (one per GEMM
// instruction, tens of microseconds each), and a wake-up through the
// condition variable costs about as much as such a loop.
//
// A loop's indices are cut into one contiguous block per participant (the
// caller first, then the workers in the order they join, by ticket); each
// drains its own block, then claims what is left of the others' (so a
// worker that wakes late never delays the caller: the caller closes the
// ticket window when every block is empty). The blocks give successive
// loops the same split — the rows a thread wrote in one GEMM are the rows
// it reads in the next copy or GEMM — which keeps the data in its cache
// (squeezenet1_1 at 2 threads: each GEMM 1.4-1.5x faster than on 1 thread
// with one shared counter handing out interleaved chunks). One loop runs at
// a time: a loop that finds the team busy (another thread's, or a nested
// one) runs inline.
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/Parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace {

/// Most threads a loop runs on (the caller and kMaxParts - 1 workers).
constexpr int kMaxParts = 64;

/// How long an idle worker polls for the next loop before it blocks.
constexpr std::chrono::microseconds kSpin(200);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class Team {
public:
  ~Team() {
    {
      std::lock_guard<std::mutex> lk(m);
      stop = true;
    }
    cv.notify_all();
    for (std::thread &t : workers)
      t.join();
  }

  /// Runs the loop on the caller and up to `helpers` workers; false when
  /// the team is busy.
  bool run(int64_t helpers, int64_t numTasks,
           llvm::function_ref<void(int64_t)> fn) {
    std::unique_lock<std::mutex> busy(runLock, std::try_to_lock);
    if (!busy.owns_lock())
      return false;
    {
      std::lock_guard<std::mutex> lk(m);
      while (int64_t(workers.size()) < helpers)
        workers.emplace_back([this] { work(); });
      job = &fn;
      tasks = numTasks;
      parts = int(helpers) + 1;
      for (int p = 0; p < parts; ++p) {
        block[p].next.store(numTasks * p / parts, std::memory_order_relaxed);
        block[p].end = numTasks * (p + 1) / parts;
      }
      finished.store(0, std::memory_order_relaxed);
      wanted.store(int(helpers), std::memory_order_relaxed);
      tickets.store(0, std::memory_order_release);
      ++generation;
      published.store(generation, std::memory_order_release);
    }
    cv.notify_all();
    drain(0);
    int started = std::min(tickets.exchange(INT_MAX / 2), wanted.load());
    // The workers' last tasks end within microseconds: poll, and only
    // after kSpin give the core away (a yield is a system call, slow
    // under a hypervisor).
    auto done = [&] {
      return finished.load(std::memory_order_acquire) == started;
    };
    if (!spinUntil(done))
      while (!done())
        std::this_thread::yield();
    return true;
  }

private:
  /// Participant `self`'s block, then the others' remainders.
  void drain(int self) {
    for (int k = 0; k < parts; ++k) {
      Block &b = block[(self + k) % parts];
      for (int64_t i = b.next.fetch_add(1, std::memory_order_relaxed);
           i < b.end; i = b.next.fetch_add(1, std::memory_order_relaxed))
        (*job)(i);
    }
  }

  /// Polls `ready` for up to kSpin; whether it held.
  template <typename Pred> static bool spinUntil(Pred ready) {
    auto until = std::chrono::steady_clock::now() + kSpin;
    for (int i = 0; !ready(); ++i) {
      cpuRelax();
      if (i % 64 == 63 && std::chrono::steady_clock::now() > until)
        return false;
    }
    return true;
  }

  void work() {
    uint64_t seen = 0;
    for (;;) {
      // Poll first, then block.
      spinUntil(
          [&] { return published.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [&] { return stop || generation != seen; });
        if (stop)
          return;
        seen = generation;
      }
      int ticket = tickets.fetch_add(1, std::memory_order_acq_rel);
      if (ticket >= wanted)
        continue;
      inTeam = true;
      drain(ticket + 1);
      inTeam = false;
      finished.fetch_add(1, std::memory_order_release);
    }
  }

public:
  static thread_local bool inTeam;

private:
  std::mutex runLock, m;
  std::condition_variable cv;
  std::vector<std::thread> workers;
  uint64_t generation = 0;
  /// `generation` for the pollers (written under m, read without it).
  std::atomic<uint64_t> published{0};
  bool stop = false;
  const llvm::function_ref<void(int64_t)> *job = nullptr;
  int64_t tasks = 0;
  std::atomic<int> wanted{0};
  /// Each participant's block of indices: the next unclaimed one, the end.
  struct alignas(64) Block {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  Block block[kMaxParts];
  int parts = 1;
  std::atomic<int> tickets{INT_MAX / 2}, finished{0};
};

thread_local bool Team::inTeam = false;

Team &team() {
  static Team t;
  return t;
}

} // namespace

void dlprt::kernels::parallelForTasks(int64_t numThreads, int64_t numTasks,
                                      llvm::function_ref<void(int64_t)> fn) {
  int64_t n = std::min({numThreads, numTasks, int64_t(kMaxParts)});
  if (n <= 1 || Team::inTeam || !team().run(n - 1, numTasks, fn))
    for (int64_t i = 0; i < numTasks; ++i)
      fn(i);
}

void dlprt::kernels::parallelForRange(
    int64_t numThreads, int64_t n,
    llvm::function_ref<void(int64_t, int64_t)> fn) {
  if (numThreads <= 1 || n < 2) {
    if (n > 0)
      fn(0, n);
    return;
  }
  int64_t chunks = std::min<int64_t>(n, numThreads * 4);
  parallelForTasks(numThreads, chunks, [&](int64_t c) {
    fn(n * c / chunks, n * (c + 1) / chunks);
  });
}

void dlprt::kernels::parallelCopy(void *dst, const void *src, size_t bytes,
                                  int64_t numThreads) {
  constexpr size_t kPiece = size_t(256) << 10;
  int64_t pieces = int64_t(std::max<size_t>(bytes / kPiece, 1));
  parallelForRange(std::min(numThreads, pieces), pieces,
                   [&](int64_t p0, int64_t p1) {
    size_t b = bytes * size_t(p0) / size_t(pieces),
           e = bytes * size_t(p1) / size_t(pieces);
    char *d = static_cast<char *>(dst) + b;
    if (src)
      std::memcpy(d, static_cast<const char *>(src) + b, e - b);
    else
      std::memset(d, 0, e - b);
  });
}

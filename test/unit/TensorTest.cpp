//===- TensorTest.cpp - Evaluator tensor buffers and fork-join loop -------===//

#include "dlp/Evaluator/Parallel.h"
#include "dlp/Evaluator/Tensor.h"

#include "gtest/gtest.h"

#include <atomic>
#include <vector>

using namespace dlp::eval;

TEST(Tensor, AllocatedBufferIsAlignedAndOwned) {
  Tensor t = Tensor::alloc({3, 5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  EXPECT_EQ(t.numElements(), 15);
  EXPECT_TRUE(t.isUniquelyOwned());
  Tensor copy = t;
  EXPECT_FALSE(t.isUniquelyOwned());
  EXPECT_FALSE(copy.isUniquelyOwned());
  copy = Tensor();
  EXPECT_TRUE(t.isUniquelyOwned());
  // A reshaped view shares the buffer.
  Tensor view = t.reshaped({15});
  EXPECT_EQ(view.data(), t.data());
  EXPECT_FALSE(t.isUniquelyOwned());
}

TEST(Tensor, ExternalViewIsNeverWritable) {
  auto keep = std::make_shared<std::vector<float>>(4, 1.0f);
  Tensor v = Tensor::view({4}, keep->data(), keep);
  keep.reset(); // the view is now the only owner, but it is still a view
  EXPECT_FALSE(v.isUniquelyOwned());
  EXPECT_EQ(v.data()[3], 1.0f);
}

TEST(Tensor, FreedBuffersAreReusedBySize) {
  const float *first;
  {
    Tensor t = Tensor::alloc({1024});
    first = t.data();
  }
  Tensor again = Tensor::alloc({1024});
  EXPECT_EQ(again.data(), first);
  // A different size does not take it.
  Tensor other = Tensor::alloc({2048});
  EXPECT_NE(other.data(), first);
}

TEST(Tensor, ZerosAreZero) {
  Tensor t = Tensor::alloc({256});
  for (int i = 0; i < 256; ++i)
    t.mutableData()[i] = 7.0f;
  t = Tensor();
  Tensor z = Tensor::zeros({256}); // may reuse the dirty buffer above
  for (int i = 0; i < 256; ++i)
    ASSERT_EQ(z.data()[i], 0.0f);
}

TEST(Parallel, EveryTaskRunsExactlyOnce) {
  for (int64_t tasks : {0, 1, 2, 3, 17, 1000}) {
    for (int64_t threads : {1, 2, 4}) {
      std::vector<std::atomic<int>> hits(tasks);
      parallelForTasks(threads, tasks, [&](int64_t i) { ++hits[i]; });
      for (int64_t i = 0; i < tasks; ++i)
        ASSERT_EQ(hits[i].load(), 1) << tasks << " tasks, " << threads
                                     << " threads, task " << i;
    }
  }
}

TEST(Parallel, NestedLoopsComplete) {
  std::atomic<int64_t> sum{0};
  parallelForTasks(2, 8, [&](int64_t i) {
    parallelForTasks(2, 8, [&](int64_t j) { sum += i * 8 + j; });
  });
  EXPECT_EQ(sum.load(), 63 * 64 / 2);
}

TEST(Parallel, OneThreadRunsInline) {
  std::vector<int64_t> order;
  parallelForTasks(1, 5, [&](int64_t i) { order.push_back(i); });
  EXPECT_EQ(order, (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

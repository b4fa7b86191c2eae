//===- NNShapesTest.cpp - Unit tests of the nn shape rules ----------------===//

#include "NN/NNShapes.h"

#include <gtest/gtest.h>

using namespace dlp::nn::shapes;
using V = std::vector<int64_t>;

static V ok(const ShapeResult &r) {
  EXPECT_TRUE(r.ok) << r.error;
  return V(r.shape.begin(), r.shape.end());
}

TEST(NNShapes, Broadcast) {
  EXPECT_EQ(ok(broadcast({1, 8, 4, 4}, {8, 1, 1})), (V{1, 8, 4, 4}));
  EXPECT_EQ(ok(broadcast({kDynamic, 3}, {1, 3})), (V{kDynamic, 3}));
  EXPECT_EQ(ok(broadcast({}, {2, 2})), (V{2, 2}));
  ShapeResult r = broadcast({1, 3}, {1, 4});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("do not broadcast"), std::string::npos);
}

TEST(NNShapes, ConvAndGroups) {
  // resnet stem: 7x7/2 pad 3 on 224 -> 112.
  EXPECT_EQ(ok(conv({1, 3, 224, 224}, {64, 3, 7, 7}, {2, 2}, {3, 3, 3, 3},
                    {1, 1}, 1)),
            (V{1, 64, 112, 112}));
  // depthwise
  EXPECT_EQ(ok(conv({kDynamic, 32, 8, 8}, {32, 1, 3, 3}, {1, 1}, {1, 1, 1, 1},
                    {1, 1}, 32)),
            (V{kDynamic, 32, 8, 8}));
  // dilation 2: effective kernel 5 on 7 -> 3
  EXPECT_EQ(ok(conv({1, 1, 7}, {1, 1, 3}, {1}, {0, 0}, {2}, 1)), (V{1, 1, 3}));
  EXPECT_FALSE(conv({1, 4, 8, 8}, {8, 3, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1).ok);
  EXPECT_FALSE(conv({1, 4, 2, 2}, {8, 4, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1).ok);
}

TEST(NNShapes, PoolCeilMode) {
  EXPECT_EQ(windowOutputSize(4, 3, 2, 0, 0, 1, true), 2);
  EXPECT_EQ(windowOutputSize(4, 3, 2, 0, 0, 1, false), 1);
  // torch: a window starting in the end padding is dropped.
  EXPECT_EQ(windowOutputSize(5, 2, 2, 0, 1, 1, true), 3);
  EXPECT_EQ(windowOutputSize(4, 2, 2, 0, 1, 1, true), 2);
}

TEST(NNShapes, Reshape) {
  EXPECT_EQ(ok(reshape({2, 3, 4}, {0, -1}, false)), (V{2, 12}));
  EXPECT_EQ(ok(reshape({kDynamic, 512, 1, 1}, {0, -1}, false)),
            (V{kDynamic, 512}));
  EXPECT_EQ(ok(reshape({2, 0}, {0, 5}, true)), (V{0, 5}));
  EXPECT_FALSE(reshape({2, 3}, {4, -1}, false).ok);
  EXPECT_FALSE(reshape({2, 3}, {-1, -1}, false).ok);
}

TEST(NNShapes, Slice) {
  // Negative step runs backwards from the clamped start.
  SliceAxis s = resolveSliceAxis(10, -1, -11, -1);
  EXPECT_EQ(s.start, 9);
  EXPECT_EQ(s.count, 10);
  s = resolveSliceAxis(10, 1, INT64_MAX, 3);
  EXPECT_EQ(s.start, 1);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(ok(slice({2, 4}, {1}, {3}, {1}, {1})), (V{2, 2}));
  EXPECT_FALSE(slice({2, 4}, {1}, {3}, {1}, {0}).ok);
}

TEST(NNShapes, SqueezeUnsqueezeFlatten) {
  EXPECT_EQ(ok(squeeze({1, 8, 1, 1}, {2, 3})), (V{1, 8}));
  EXPECT_FALSE(squeeze({1, 8}, {1}).ok);
  EXPECT_EQ(ok(unsqueeze({8}, {0, 2})), (V{1, 8, 1}));
  EXPECT_EQ(ok(flatten({2, 3, 4}, 0)), (V{1, 24}));
  EXPECT_EQ(ok(flatten({kDynamic, 3, 4}, 1)), (V{kDynamic, 12}));
}

TEST(NNShapes, MatMulAndGemm) {
  EXPECT_EQ(ok(matmul({2, 3, 4}, {4, 5})), (V{2, 3, 5}));
  EXPECT_EQ(ok(matmul({4}, {4, 5})), (V{5}));
  EXPECT_FALSE(matmul({3, 4}, {5, 6}).ok);
  std::vector<int64_t> cStorage = {10};
  llvm::ArrayRef<int64_t> c(cStorage);
  EXPECT_EQ(ok(gemm({1, 512}, {10, 512}, &c, false, true)), (V{1, 10}));
}

//===- ResourceReleaserTest.cpp - Freeing dropped dense_resource blobs ----===//

#include "dlp/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;

TEST(ResourceReleaser, FreesOnlyDroppedBlobs) {
  MLIRContext ctx;
  ctx.loadDialect<arith::ArithDialect, func::FuncDialect>();
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  std::vector<float> kept(16, 1.0f), dropped(256, 2.0f);
  Value keptV = dlp::createFloatConstant(b, loc, {16}, kept, "kept");
  Value droppedV = dlp::createFloatConstant(b, loc, {256}, dropped, "dropped");
  auto keptAttr = cast<DenseResourceElementsAttr>(
      keptV.getDefiningOp<arith::ConstantOp>().getValue());
  auto droppedAttr = cast<DenseResourceElementsAttr>(
      droppedV.getDefiningOp<arith::ConstantOp>().getValue());

  dlp::ResourceReleaser releaser(module->getOperation());
  EXPECT_EQ(releaser.releaseDropped(), 0u); // nothing dropped yet
  droppedV.getDefiningOp()->erase();
  EXPECT_EQ(releaser.releaseDropped(), 256 * sizeof(float));
  // The dropped blob is empty (reads as missing), the kept one intact.
  EXPECT_FALSE(dlp::readFloatConstant(droppedAttr).has_value());
  std::optional<dlp::FloatConstant> k = dlp::readFloatConstant(keptAttr);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->data.size(), 16u);
  EXPECT_EQ(k->data[15], 1.0f);
  // Releasing again frees nothing more.
  EXPECT_EQ(releaser.releaseDropped(), 0u);
}

TEST(Constants, FillInPlace) {
  MLIRContext ctx;
  ctx.loadDialect<arith::ArithDialect>();
  ElementsAttr attr = dlp::createFloatResourceAttr(
      &ctx, {2, 3}, "filled", [](MutableArrayRef<float> d) {
        for (size_t i = 0; i < d.size(); ++i)
          d[i] = float(i) * 0.5f;
      });
  std::optional<dlp::FloatConstant> c = dlp::readFloatConstant(attr);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->shape, (SmallVector<int64_t>{2, 3}));
  EXPECT_EQ(c->data[5], 2.5f);
}

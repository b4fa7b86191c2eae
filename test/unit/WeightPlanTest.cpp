//===- WeightPlanTest.cpp - The weight plan's sample budget ---------------===//
//
// dlp::quant::planSampleLimit: how many calibration samples' feature maps
// (float and quantized-so-far model) fit the plan's memory budget.
//
//===----------------------------------------------------------------------===//

#include "dlp/Quant/WeightPlan.h"
#include "NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

namespace {
TEST(WeightPlan, SampleLimitFromTheLargestFeatureMap) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::arith::ArithDialect, mlir::func::FuncDialect,
                  dlp::nn::NNDialect>();
  // The relu's 64 x 112 x 112 floats per sample are the largest result
  // (the constant's 64 x 3 x 7 x 7 weights do not count: held once).
  const char *src = R"mlir(
    func.func @main(%x: tensor<?x3x224x224xf32>) -> tensor<?x64x112x112xf32> {
      %w = arith.constant dense<0.5> : tensor<64x3x7x7xf32>
      %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>}
          : (tensor<?x3x224x224xf32>, tensor<64x3x7x7xf32>) -> tensor<?x64x112x112xf32>
      %r = nn.relu %c : tensor<?x64x112x112xf32>
      return %r : tensor<?x64x112x112xf32>
    })mlir";
  mlir::OwningOpRef<mlir::ModuleOp> m =
      mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
  ASSERT_TRUE(m);
  auto func = *m->getOps<mlir::func::FuncOp>().begin();
  // 4 tensors of 802816 floats per sample: 12845056 bytes.
  EXPECT_EQ(dlp::quant::planSampleLimit(func, int64_t(1) << 31), 167);
  EXPECT_EQ(dlp::quant::planSampleLimit(func, 12845056 * 3), 3);
  EXPECT_EQ(dlp::quant::planSampleLimit(func, 1000), 1); // at least one
}
} // namespace

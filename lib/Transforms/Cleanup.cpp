//===- Cleanup.cpp - Remove nn.identity and nn.dropout --------------------===//

#include "dlp/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dlp {
#define GEN_PASS_DEF_NNCLEANUP
#include "dlp/Transforms/Passes.h.inc"
} // namespace dlp

using namespace mlir;
using namespace dlp;

namespace {
/// Replaces a pass-through op by its operand.
template <typename OpTy>
struct ForwardOperand : OpRewritePattern<OpTy> {
  ForwardOperand(MLIRContext *ctx, llvm::Statistic &count)
      : OpRewritePattern<OpTy>(ctx), count(count) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, op.getInput());
    ++count;
    return success();
  }
  llvm::Statistic &count;
};

struct NNCleanupPass : dlp::impl::NNCleanupBase<NNCleanupPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ForwardOperand<nn::IdentityOp>, ForwardOperand<nn::DropoutOp>>(
        &getContext(), numRemoved);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

//===- FoldBatchNorm.cpp - Fold nn.batch_norm into conv / fc --------------===//

#include "dlp/Support/Constants.h"
#include "dlp/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace dlp {
#define GEN_PASS_DEF_NNFOLDBATCHNORM
#include "dlp/Transforms/Passes.h.inc"
} // namespace dlp

using namespace mlir;
using namespace dlp;

namespace {
/// Folds bn(producer(x, W, b)) when W, b and the BN parameters are constant.
/// `ProducerOp` has operands (input, weight, optional bias) whose weight's
/// leading dimension is the output channel.
template <typename ProducerOp>
struct FoldIntoProducer : OpRewritePattern<nn::BatchNormOp> {
  FoldIntoProducer(MLIRContext *ctx, llvm::Statistic &count)
      : OpRewritePattern<nn::BatchNormOp>(ctx), count(count) {}

  LogicalResult matchAndRewrite(nn::BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto producer = bn.getInput().getDefiningOp<ProducerOp>();
    if (!producer || !producer->hasOneUse())
      return rewriter.notifyMatchFailure(bn, "no single-use producer");
    std::optional<FloatConstant> w = readFloatConstant(producer.getWeight());
    std::optional<FloatConstant> gamma = readFloatConstant(bn.getScale()),
                                 beta = readFloatConstant(bn.getBias()),
                                 mean = readFloatConstant(bn.getMean()),
                                 var = readFloatConstant(bn.getVar());
    if (!w || !gamma || !beta || !mean || !var)
      return rewriter.notifyMatchFailure(bn, "non-constant parameters");
    std::optional<FloatConstant> bias;
    if (producer.getBias()) {
      bias = readFloatConstant(producer.getBias());
      if (!bias)
        return rewriter.notifyMatchFailure(bn, "non-constant bias");
    }
    int64_t channels = w->shape[0];
    if (static_cast<int64_t>(gamma->data.size()) != channels)
      return rewriter.notifyMatchFailure(bn, "channel count mismatch");
    int64_t perChannel = w->data.size() / channels;
    float eps = bn.getEpsilon().convertToFloat();

    std::vector<double> scale(channels);
    std::vector<float> newB(channels);
    for (int64_t m = 0; m < channels; ++m) {
      // Computed in double, stored in float: one rounding per weight.
      double s = gamma->data[m] / std::sqrt(double(var->data[m]) + eps);
      scale[m] = s;
      double b0 = bias ? bias->data[m] : 0.0;
      newB[m] = static_cast<float>((b0 - mean->data[m]) * s + beta->data[m]);
    }
    rewriter.setInsertionPoint(producer);
    Location loc = producer.getLoc();
    Value wv = createFloatConstant(
        rewriter, loc, w->shape, "bn_folded_w", [&](MutableArrayRef<float> nw) {
          for (int64_t m = 0; m < channels; ++m)
            for (int64_t i = 0; i < perChannel; ++i)
              nw[m * perChannel + i] =
                  static_cast<float>(w->data[m * perChannel + i] * scale[m]);
        });
    Value bv = createFloatConstant(rewriter, loc, {channels}, newB,
                                   "bn_folded_b");
    rewriter.modifyOpInPlace(producer, [&] {
      producer.getWeightMutable().assign(wv);
      producer.getBiasMutable().assign(bv);
    });
    rewriter.replaceOp(bn, producer.getResult());
    ++count;
    return success();
  }
  llvm::Statistic &count;
};

struct NNFoldBatchNormPass
    : dlp::impl::NNFoldBatchNormBase<NNFoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoProducer<nn::ConvOp>,
                 FoldIntoProducer<nn::FullyConnectedOp>>(&getContext(),
                                                         numFolded);
    ResourceReleaser releaser(getOperation());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
    releaser.releaseDropped();
  }
};
} // namespace

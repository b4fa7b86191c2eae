//===- CanonicalizeFC.cpp - Form nn.fully_connected -----------------------===//

#include "dlp/Support/Constants.h"
#include "dlp/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dlp {
#define GEN_PASS_DEF_NNCANONICALIZEFC
#include "dlp/Transforms/Passes.h.inc"
} // namespace dlp

using namespace mlir;
using namespace dlp;

namespace {
/// Looks through a Flatten(axis=1) or a batch-preserving Reshape to 2-D:
/// fully_connected flattens its input itself.
Value lookThroughFlatten(Value a) {
  if (auto flat = a.getDefiningOp<nn::FlattenOp>())
    if (flat.getAxis() == 1)
      return flat.getInput();
  if (auto rs = a.getDefiningOp<nn::ReshapeOp>()) {
    auto in = cast<RankedTensorType>(rs.getInput().getType());
    auto out = cast<RankedTensorType>(rs.getType());
    if (out.getRank() == 2 && in.getRank() >= 2) {
      bool batchKept = (rs.getShape()[0] == 0 && !rs.getAllowzero()) ||
                       (!in.isDynamicDim(0) && in.getDimSize(0) == out.getDimSize(0));
      if (batchKept)
        return rs.getInput();
    }
  }
  return a;
}

/// Expands a bias constant broadcastable to [1, n] into n values * scale.
std::optional<std::vector<float>> biasVector(const FloatConstant &c, int64_t n,
                                             float scale) {
  int64_t numel = c.data.size();
  bool rowLike = c.shape.size() <= 1 ||
                 (c.shape.size() == 2 && c.shape[0] == 1);
  if (!rowLike || (numel != n && numel != 1))
    return std::nullopt;
  std::vector<float> out(n);
  for (int64_t i = 0; i < n; ++i)
    out[i] = c.data[numel == 1 ? 0 : i] * scale;
  return out;
}

struct GemmToFC : OpRewritePattern<nn::GemmOp> {
  GemmToFC(MLIRContext *ctx, llvm::Statistic &count)
      : OpRewritePattern<nn::GemmOp>(ctx), count(count) {}
  LogicalResult matchAndRewrite(nn::GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTransA())
      return rewriter.notifyMatchFailure(op, "transposed A");
    std::optional<FloatConstant> b = readFloatConstant(op.getB());
    if (!b)
      return rewriter.notifyMatchFailure(op, "B is not constant");
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t n = outType.getDimSize(1);
    int64_t k = op.getTransB() ? b->shape[1] : b->shape[0];
    float alpha = op.getAlpha().convertToFloat();
    std::optional<std::vector<float>> bias;
    if (op.getC()) {
      std::optional<FloatConstant> c = readFloatConstant(op.getC());
      if (!c)
        return rewriter.notifyMatchFailure(op, "C is not constant");
      bias = biasVector(*c, n, op.getBeta().convertToFloat());
      if (!bias)
        return rewriter.notifyMatchFailure(op, "C is not a row bias");
    }
    // Weight stored P x K = N x K: B itself when it is already transposed
    // and unscaled (torch's Linear), else a new constant written in place.
    Location loc = op.getLoc();
    Value wv = op.getB();
    if (!op.getTransB() || alpha != 1.0f) {
      bool transB = op.getTransB();
      wv = createFloatConstant(
          rewriter, loc, {n, k}, "fc_w", [&](MutableArrayRef<float> w) {
            for (int64_t i = 0; i < n; ++i)
              for (int64_t j = 0; j < k; ++j)
                w[i * k + j] = alpha * (transB ? b->data[i * k + j]
                                               : b->data[j * n + i]);
          });
    }
    Value bv;
    if (bias)
      bv = createFloatConstant(rewriter, loc, {n}, *bias, "fc_b");
    Value x = lookThroughFlatten(op.getA());
    rewriter.replaceOpWithNewOp<nn::FullyConnectedOp>(op, outType, x, wv, bv);
    ++count;
    return success();
  }
  llvm::Statistic &count;
};

/// matmul(x, W) [+ bias] with 2-D x and constant K x N weight.
struct MatMulToFC : OpRewritePattern<nn::MatMulOp> {
  MatMulToFC(MLIRContext *ctx, llvm::Statistic &count)
      : OpRewritePattern<nn::MatMulOp>(ctx), count(count) {}
  LogicalResult matchAndRewrite(nn::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    std::optional<FloatConstant> b = readFloatConstant(op.getRhs());
    if (lhsType.getRank() != 2 || !b || b->shape.size() != 2)
      return rewriter.notifyMatchFailure(op, "not a 2-D x constant matmul");
    int64_t k = b->shape[0], n = b->shape[1];
    // Absorb a following bias add.
    Operation *root = op;
    std::optional<std::vector<float>> bias;
    if (op->hasOneUse()) {
      if (auto add = dyn_cast<nn::AddOp>(*op->getUsers().begin())) {
        Value other = add.getLhs() == op.getResult() ? add.getRhs() : add.getLhs();
        if (std::optional<FloatConstant> c = readFloatConstant(other))
          if ((bias = biasVector(*c, n, 1.0f)) &&
              add.getType() == op.getType())
            root = add;
      }
    }
    rewriter.setInsertionPoint(root);
    Location loc = op.getLoc();
    Value wv = createFloatConstant(
        rewriter, loc, {n, k}, "fc_w", [&](MutableArrayRef<float> w) {
          for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < k; ++j)
              w[i * k + j] = b->data[j * n + i];
        });
    Value bv;
    if (root != op.getOperation())
      bv = createFloatConstant(rewriter, loc, {n}, *bias, "fc_b");
    Value x = lookThroughFlatten(op.getLhs());
    rewriter.replaceOpWithNewOp<nn::FullyConnectedOp>(root, op.getType(), x,
                                                      wv, bv);
    if (root != op.getOperation())
      rewriter.eraseOp(op);
    ++count;
    return success();
  }
  llvm::Statistic &count;
};

struct NNCanonicalizeFCPass
    : dlp::impl::NNCanonicalizeFCBase<NNCanonicalizeFCPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<GemmToFC, MatMulToFC>(&getContext(), numRewritten);
    ResourceReleaser releaser(getOperation());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
    releaser.releaseDropped();
  }
};
} // namespace

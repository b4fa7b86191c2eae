//===- FoldConstants.cpp - Evaluate nn ops on constant operands -----------===//

#include "dlp/Evaluator/Evaluator.h"
#include "dlp/Support/Constants.h"
#include "dlp/Transforms/Passes.h"

namespace dlp {
#define GEN_PASS_DEF_NNFOLDCONSTANTS
#include "dlp/Transforms/Passes.h.inc"
} // namespace dlp

using namespace mlir;
using namespace dlp;

namespace {
struct NNFoldConstantsPass
    : dlp::impl::NNFoldConstantsBase<NNFoldConstantsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<nn::NNDialect>(op->getDialect()))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      if (!type || !type.hasStaticShape() ||
          type.getNumElements() > maxElements)
        continue;
      SmallVector<eval::Tensor> inputs;
      for (Value v : op->getOperands()) {
        std::optional<FloatConstant> c = readFloatConstant(v);
        if (!c)
          break;
        inputs.push_back(eval::constantTensor(std::move(*c)));
      }
      if (inputs.size() != op->getNumOperands())
        continue;
      eval::ExecContext ctx;
      eval::Tensor out = eval::evaluateOp(op, inputs, ctx);
      if (!ctx.error.empty()) {
        op->emitError("constant folding failed: ") << ctx.error;
        return signalPassFailure();
      }
      OpBuilder b(op);
      Value folded = createFloatConstant(
          b, op->getLoc(), out.shape(),
          ArrayRef<float>(out.data(), out.numElements()), "folded");
      op->getResult(0).replaceAllUsesWith(folded);
      op->erase();
      ++numFolded;
    }
  }
};
} // namespace

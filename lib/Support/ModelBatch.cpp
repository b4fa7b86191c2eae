//===- ModelBatch.cpp - The batch a model function is written for ---------===//

#include "dlp/Support/ModelBatch.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

int64_t dlp::modelBatch(func::FuncOp f) {
  ArrayRef<Type> inputs = f.getFunctionType().getInputs();
  int64_t batch = ShapedType::kDynamic;
  for (auto [i, type] : llvm::enumerate(inputs)) {
    auto t = dyn_cast<RankedTensorType>(type);
    int64_t d = t && t.getRank() ? t.getDimSize(0) : ShapedType::kDynamic;
    if (ShapedType::isDynamic(d) || (i && d != batch))
      return ShapedType::kDynamic;
    batch = d;
  }
  return batch;
}

bool dlp::runsAsOneImage(func::FuncOp f) {
  int64_t batch = modelBatch(f);
  if (batch == 1 || f->hasAttr(kWholeBatchAttr))
    return true;
  if (ShapedType::isDynamic(batch) || batch < 1)
    return false;
  WalkResult r = f.walk([](Operation *op) {
    Dialect *d = op->getDialect();
    return d && d->getNamespace() == "qnn" ? WalkResult::interrupt()
                                           : WalkResult::advance();
  });
  return !r.wasInterrupted();
}

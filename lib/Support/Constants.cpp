//===- Constants.cpp - Reading and creating float tensor constants --------===//

#include "dlp/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

std::optional<dlp::FloatConstant> dlp::readFloatConstant(Attribute attr) {
  auto shaped = dyn_cast_or_null<TypedAttr>(attr);
  if (!shaped)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(shaped.getType());
  if (!type || !type.getElementType().isF32())
    return std::nullopt;
  FloatConstant c;
  c.shape.assign(type.getShape().begin(), type.getShape().end());
  if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = res.tryGetAsArrayRef();
    if (!data || static_cast<int64_t>(data->size()) != type.getNumElements())
      return std::nullopt;
    c.data = *data;
    return c;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (!dense.isSplat()) {
      ArrayRef<char> raw = dense.getRawData();
      c.data = ArrayRef<float>(reinterpret_cast<const float *>(raw.data()),
                               type.getNumElements());
      return c;
    }
    c.storage.assign(type.getNumElements(), dense.getSplatValue<float>());
    c.data = c.storage;
    return c;
  }
  return std::nullopt;
}

std::optional<dlp::FloatConstant> dlp::readFloatConstant(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return std::nullopt;
  return readFloatConstant(cst.getValue());
}

ElementsAttr dlp::createFloatResourceAttr(MLIRContext *ctx,
                                          ArrayRef<int64_t> shape,
                                          ArrayRef<float> data,
                                          StringRef nameHint) {
  return createFloatResourceAttr(
      ctx, shape, nameHint, [&](MutableArrayRef<float> out) {
        assert(out.size() == data.size() && "data does not match the shape");
        llvm::copy(data, out.begin());
      });
}

ElementsAttr dlp::createFloatResourceAttr(
    MLIRContext *ctx, ArrayRef<int64_t> shape, StringRef nameHint,
    llvm::function_ref<void(MutableArrayRef<float>)> fill) {
  auto type = RankedTensorType::get(shape, Float32Type::get(ctx));
  int64_t n = type.getNumElements();
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      n * sizeof(float), alignof(float), /*dataIsMutable=*/true);
  MutableArrayRef<char> bytes = blob.getMutableData();
  fill(MutableArrayRef<float>(reinterpret_cast<float *>(bytes.data()), n));
  return DenseResourceElementsAttr::get(type, nameHint, std::move(blob));
}

Value dlp::createFloatConstant(
    OpBuilder &b, Location loc, ArrayRef<int64_t> shape, StringRef nameHint,
    llvm::function_ref<void(MutableArrayRef<float>)> fill) {
  ElementsAttr attr =
      createFloatResourceAttr(b.getContext(), shape, nameHint, fill);
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
}

namespace {
using BlobEntry = DialectResourceBlobManager::BlobEntry;
void collectResources(Operation *root, llvm::DenseSet<BlobEntry *> &out) {
  root->walk([&](Operation *op) {
    for (NamedAttribute attr : op->getAttrs())
      if (auto res = dyn_cast<DenseResourceElementsAttr>(attr.getValue()))
        if (BlobEntry *entry = res.getRawHandle().getResource())
          out.insert(entry);
  });
}
} // namespace

dlp::ResourceReleaser::ResourceReleaser(Operation *root) : root(root) {
  collectResources(root, before);
}

size_t dlp::ResourceReleaser::releaseDropped() {
  llvm::DenseSet<BlobEntry *> after;
  collectResources(root, after);
  size_t freed = 0;
  for (BlobEntry *entry : before) {
    if (after.contains(entry) || !entry->getBlob())
      continue;
    freed += entry->getBlob()->getData().size();
    entry->setBlob(AsmResourceBlob());
  }
  before = std::move(after);
  return freed;
}

Value dlp::createFloatConstant(OpBuilder &b, Location loc,
                               ArrayRef<int64_t> shape, ArrayRef<float> data,
                               StringRef nameHint) {
  ElementsAttr attr =
      createFloatResourceAttr(b.getContext(), shape, data, nameHint);
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
}

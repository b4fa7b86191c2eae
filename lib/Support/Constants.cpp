//===- Constants.cpp - Reading and creating float tensor constants --------===//

#include "dlp/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace {
template <typename T, typename ResourceAttrT>
std::optional<dlp::ConstantData<T>> readConstant(Attribute attr,
                                                 function_ref<bool(Type)> isElt) {
  auto shaped = dyn_cast_or_null<TypedAttr>(attr);
  if (!shaped)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(shaped.getType());
  if (!type || !isElt(type.getElementType()))
    return std::nullopt;
  dlp::ConstantData<T> c;
  c.shape.assign(type.getShape().begin(), type.getShape().end());
  if (auto res = dyn_cast<ResourceAttrT>(attr)) {
    std::optional<ArrayRef<T>> data = res.tryGetAsArrayRef();
    if (!data || static_cast<int64_t>(data->size()) != type.getNumElements())
      return std::nullopt;
    c.data = *data;
    return c;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (!dense.isSplat()) {
      ArrayRef<char> raw = dense.getRawData();
      c.data = ArrayRef<T>(reinterpret_cast<const T *>(raw.data()),
                           type.getNumElements());
      return c;
    }
    c.storage.assign(type.getNumElements(), dense.getSplatValue<T>());
    c.data = c.storage;
    return c;
  }
  return std::nullopt;
}

template <typename T>
ElementsAttr createResourceAttr(MLIRContext *ctx, ArrayRef<int64_t> shape,
                                Type elt, StringRef nameHint,
                                function_ref<void(MutableArrayRef<T>)> fill) {
  auto type = RankedTensorType::get(shape, elt);
  int64_t n = type.getNumElements();
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      n * sizeof(T), alignof(T), /*dataIsMutable=*/true);
  MutableArrayRef<char> bytes = blob.getMutableData();
  fill(MutableArrayRef<T>(reinterpret_cast<T *>(bytes.data()), n));
  return DenseResourceElementsAttr::get(type, nameHint, std::move(blob));
}
} // namespace

std::optional<dlp::FloatConstant> dlp::readFloatConstant(Attribute attr) {
  return readConstant<float, DenseF32ResourceElementsAttr>(
      attr, [](Type t) { return t.isF32(); });
}
std::optional<dlp::ConstantData<int8_t>> dlp::readI8Constant(Attribute attr) {
  return readConstant<int8_t, DenseI8ResourceElementsAttr>(
      attr, [](Type t) { return t.isInteger(8); });
}
std::optional<dlp::ConstantData<int32_t>>
dlp::readI32Constant(Attribute attr) {
  return readConstant<int32_t, DenseI32ResourceElementsAttr>(
      attr, [](Type t) { return t.isInteger(32); });
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
  return createResourceAttr<float>(ctx, shape, Float32Type::get(ctx), nameHint,
                                   fill);
}
ElementsAttr dlp::createI8ResourceAttr(
    MLIRContext *ctx, ArrayRef<int64_t> shape, StringRef nameHint,
    llvm::function_ref<void(MutableArrayRef<int8_t>)> fill) {
  return createResourceAttr<int8_t>(ctx, shape, IntegerType::get(ctx, 8),
                                    nameHint, fill);
}
ElementsAttr dlp::createI8ResourceAttr(MLIRContext *ctx,
                                       ArrayRef<int64_t> shape,
                                       StringRef nameHint,
                                       std::vector<int8_t> &&data) {
  auto type = RankedTensorType::get(shape, IntegerType::get(ctx, 8));
  assert(type.getNumElements() == int64_t(data.size()) &&
         "data does not match the shape");
  auto *owned = new std::vector<int8_t>(std::move(data));
  AsmResourceBlob blob(
      ArrayRef<char>(reinterpret_cast<const char *>(owned->data()),
                     owned->size()),
      alignof(int8_t),
      [owned](void *, size_t, size_t) { delete owned; },
      /*dataIsMutable=*/true);
  return DenseResourceElementsAttr::get(type, nameHint, std::move(blob));
}
ElementsAttr dlp::createI32ResourceAttr(
    MLIRContext *ctx, ArrayRef<int64_t> shape, StringRef nameHint,
    llvm::function_ref<void(MutableArrayRef<int32_t>)> fill) {
  return createResourceAttr<int32_t>(ctx, shape, IntegerType::get(ctx, 32),
                                     nameHint, fill);
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

//===- UnrollBatch.cpp - One program for a whole static batch -------------===//
//
// A quantized model of one static batch N > 1 runs image by image, which a
// batch-mixing op (a reduction or normalization over axis 0, ...) cannot.
// unrollBatch makes every int8 feature map of batch N one of batch 1 per
// image: a quantize of a batch-N float tensor becomes, per image, a slice
// of axis 0 then the quantize; a quantized op reading batch-N maps becomes
// one op per image; a dequantize becomes the per-image dequantizes
// concatenated along axis 0. The float ops keep the whole batch (host
// segments take any axis) and the program is the whole batch
// (dlp::runsAsOneImage). Slicing and concatenating floats that hold int8
// values times powers of two, and quantizing them again at the same
// scales, is exact: the integers are the quantized evaluator's.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "DLP/DLPProgram.h"
#include "NN/NNOps.h"
#include "dlp/Support/ModelBatch.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace dlp;

namespace {

/// An int8 feature map (not a weight constant, whose axis 0 may equal the
/// batch by chance).
bool isFmap(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && isa_and_nonnull<qnn::FmapAttr>(r.getEncoding());
}

bool hasBatch(Type t, int64_t n) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.getRank() > 0 && r.getDimSize(0) == n;
}

Type withBatch1(Type t) {
  auto r = cast<RankedTensorType>(t);
  SmallVector<int64_t> shape(r.getShape());
  shape[0] = 1;
  return RankedTensorType::get(shape, r.getElementType(), r.getEncoding());
}

/// `name (image i)` at the op's location: the layer name of image i's op
/// (GoldenChain.cpp matches the images of a layer by it).
Location imageLoc(Operation *op, StringRef name, int64_t i) {
  return NameLoc::get(StringAttr::get(op->getContext(),
                                      name + " (image " + Twine(i) + ")"),
                      op->getLoc());
}
Location imageLoc(Operation *op, int64_t i) {
  return imageLoc(op, conv::layerName(op), i);
}

/// A model input's ONNX name, else the layer name of the value's op.
std::string nameOf(func::FuncOp f, Value v) {
  if (auto a = dyn_cast<BlockArgument>(v)) {
    if (auto n = f.getArgAttrOfType<StringAttr>(a.getArgNumber(), "onnx.name"))
      return n.str();
    return "input " + std::to_string(a.getArgNumber());
  }
  return conv::layerName(v.getDefiningOp());
}

} // namespace

LogicalResult dlp::conv::unrollBatch(func::FuncOp f) {
  int64_t n = modelBatch(f);
  if (ShapedType::isDynamic(n) || n <= 1)
    return f.emitError() << "cannot unroll the batch: the inputs do not share "
                            "one static batch above 1";
  MLIRContext *ctx = f.getContext();
  OpBuilder b(ctx);
  // Each int8 map of batch n: its images.
  DenseMap<Value, SmallVector<Value>> images;
  SmallVector<Operation *> ops;
  for (Operation &op : f.getBody().front())
    ops.push_back(&op);
  SmallVector<Operation *> dead;
  for (Operation *op : ops) {
    b.setInsertionPoint(op);
    if (auto q = dyn_cast<qnn::QuantizeOp>(op)) {
      if (!hasBatch(q.getInput().getType(), n))
        continue;
      SmallVector<Value> per;
      std::string in = nameOf(f, q.getInput());
      for (int64_t i = 0; i < n; ++i) {
        Value s = nn::SliceOp::create(
            b, imageLoc(op, in, i), withBatch1(q.getInput().getType()),
            q.getInput(), b.getDenseI64ArrayAttr({i}),
            b.getDenseI64ArrayAttr({i + 1}), b.getDenseI64ArrayAttr({0}),
            b.getDenseI64ArrayAttr({1}));
        Operation *c = b.clone(*op);
        c->setOperand(0, s);
        // A model input's quantize is unnamed: named after the input.
        c->setLoc(imageLoc(op, device::locationName(op->getLoc()).empty()
                                   ? in
                                   : conv::layerName(op),
                           i));
        c->getResult(0).setType(withBatch1(q.getType()));
        per.push_back(c->getResult(0));
      }
      images[q.getResult()] = per;
      dead.push_back(op);
      continue;
    }
    if (auto d = dyn_cast<qnn::DequantizeOp>(op)) {
      auto it = images.find(d.getInput());
      if (it == images.end())
        continue;
      SmallVector<Value> per;
      for (int64_t i = 0; i < n; ++i) {
        Operation *c = b.clone(*op);
        c->setOperand(0, it->second[size_t(i)]);
        c->setLoc(imageLoc(op, i));
        c->getResult(0).setType(withBatch1(d.getType()));
        per.push_back(c->getResult(0));
      }
      Value cat = nn::ConcatOp::create(b, op->getLoc(), d.getType(), per,
                                       b.getI64IntegerAttr(0));
      d.getResult().replaceAllUsesWith(cat);
      dead.push_back(op);
      continue;
    }
    if (!op->getDialect() || op->getDialect()->getNamespace() != "qnn")
      continue;
    bool batched = llvm::any_of(op->getOperands(), [&](Value v) {
      return images.count(v) != 0;
    });
    if (!batched)
      continue;
    for (Value v : op->getOperands())
      if (isFmap(v.getType()) && hasBatch(v.getType(), n) && !images.count(v))
        return op->emitError()
               << "cannot unroll the batch of '" << op->getName() << "' ('"
               << layerName(op) << "'): an operand of batch " << n
               << " that is not a per-image map";
    for (Value r : op->getResults())
      if (!hasBatch(r.getType(), n))
        return op->emitError()
               << "cannot unroll the batch of '" << op->getName() << "' ('"
               << layerName(op)
               << "'): its result does not keep the batch axis";
    if (auto cat = dyn_cast<qnn::ConcatOp>(op); cat && cat.getAxis() == 0)
      return op->emitError() << "cannot unroll the batch of a concat along "
                                "the batch axis ('"
                             << layerName(op) << "')";
    for (int64_t i = 0; i < n; ++i) {
      Operation *c = b.clone(*op);
      for (OpOperand &o : c->getOpOperands())
        if (auto it = images.find(o.get()); it != images.end())
          o.set(it->second[size_t(i)]);
      c->setLoc(imageLoc(op, i));
      for (auto [r, orig] : llvm::zip(c->getResults(), op->getResults())) {
        r.setType(withBatch1(orig.getType()));
        images[orig].push_back(r);
      }
    }
    dead.push_back(op);
  }
  for (Operation *op : llvm::reverse(dead)) {
    if (!op->use_empty())
      return op->emitError() << "cannot unroll the batch of '"
                             << op->getName() << "' ('" << layerName(op)
                             << "'): a batch-" << n
                             << " map is used where no image is";
    op->erase();
  }
  f->setAttr(kWholeBatchAttr, UnitAttr::get(ctx));
  return success();
}

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
  int64_t batch = modelBatch(f);
  if (ShapedType::isDynamic(batch) || batch <= 1)
    return f.emitError() << "cannot unroll the batch: the inputs do not share "
                            "one static batch above 1";
  MLIRContext *ctx = f.getContext();
  OpBuilder b(ctx);
  // Each int8 map of axis 0 above 1: its images (rows of axis 0: the batch,
  // or e.g. two batches concatenated in float before a quantize; quantized
  // ops treat every row of axis 0 apart).
  DenseMap<Value, SmallVector<Value>> images;
  auto rows = [](Type t) { return cast<RankedTensorType>(t).getDimSize(0); };
  auto unrollable = [&](Type t) {
    auto r = dyn_cast<RankedTensorType>(t);
    return r && r.getRank() > 0 && !r.isDynamicDim(0) && r.getDimSize(0) > 1;
  };
  auto refuse = [&](Operation *op, const Twine &why) {
    return op->emitError() << "cannot unroll the batch of '" << op->getName()
                           << "' ('" << layerName(op) << "'): " << why;
  };
  SmallVector<Operation *> ops;
  for (Operation &op : f.getBody().front())
    ops.push_back(&op);
  SmallVector<Operation *> dead;
  for (Operation *op : ops) {
    b.setInsertionPoint(op);
    if (auto q = dyn_cast<qnn::QuantizeOp>(op)) {
      if (!unrollable(q.getInput().getType()))
        continue;
      int64_t n = rows(q.getInput().getType());
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
      for (auto [i, image] : llvm::enumerate(it->second)) {
        Operation *c = b.clone(*op);
        c->setOperand(0, image);
        c->setLoc(imageLoc(op, int64_t(i)));
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
    int64_t n = 0;
    for (Value v : op->getOperands()) {
      auto it = images.find(v);
      if (it == images.end()) {
        if (isFmap(v.getType()) && unrollable(v.getType()))
          return refuse(op, "an operand of " + Twine(rows(v.getType())) +
                                " rows on axis 0 that is not split per row");
        continue;
      }
      if (n && int64_t(it->second.size()) != n)
        return refuse(op, "operands of different rows on axis 0");
      n = int64_t(it->second.size());
    }
    if (!n)
      continue;
    for (Value r : op->getResults())
      if (!unrollable(r.getType()) || rows(r.getType()) != n)
        return refuse(op, "its result does not keep axis 0");
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
      return refuse(op, "a map of several rows on axis 0 is used where no "
                        "row is");
    op->erase();
  }
  // Every quantized map now holds one row of axis 0 (the program's tensors
  // are stored per image).
  WalkResult w = f.walk([&](Operation *op) {
    if (!op->getDialect() || op->getDialect()->getNamespace() != "qnn")
      return WalkResult::advance();
    auto types = llvm::concat<const Type>(op->getOperandTypes(),
                                          op->getResultTypes());
    for (Type t : types)
      if (isFmap(t) && cast<RankedTensorType>(t).getRank() > 0 &&
          cast<RankedTensorType>(t).getDimSize(0) != 1) {
        (void)refuse(op, "a map of several (or unknown) rows on axis 0 that "
                         "could not be split");
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  if (w.wasInterrupted())
    return failure();
  f->setAttr(kWholeBatchAttr, UnitAttr::get(ctx));
  return success();
}

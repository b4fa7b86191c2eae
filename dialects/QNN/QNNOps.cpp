//===- QNNOps.cpp - qnn op verifiers ---------------------------------------===//
//
// Shapes are checked with the nn shape rules (NNShapes); scales with the
// rules of docs/numerics.md (derived accumulator scale, shift bounds, add
// alignment bound, pooling keeps the scale, concat keeps each channel's).
//
//===----------------------------------------------------------------------===//

#include "QNN/QNNOps.h"
#include "NN/NNShapes.h"
#include "dlp/Support/Constants.h"

#include "dlprt/Numerics.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace dlp::qnn;
namespace shp = dlp::nn::shapes;

namespace {
RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }
FmapAttr fmapOf(Value v) { return encodingOf<FmapAttr>(v.getType()); }

/// The scaled dimension of a tensor has as many entries as its encoding.
LogicalResult checkExtent(Operation *op, RankedTensorType type, int64_t dim,
                          int64_t extent, StringRef what) {
  if (type.getRank() <= dim)
    return op->emitOpError() << what << " must have rank > " << dim;
  if (!type.isDynamicDim(dim) && type.getDimSize(dim) != extent)
    return op->emitOpError()
           << what << " has " << type.getDimSize(dim) << " entries along dim "
           << dim << " but its scale encoding describes " << extent;
  return success();
}

LogicalResult checkFmap(Operation *op, Value v, StringRef what) {
  return checkExtent(op, typeOf(v), 1, fmapOf(v).extent(), what);
}

/// Every operand and the result are feature maps of consistent extent.
LogicalResult checkFmaps(Operation *op) {
  for (auto [i, v] : llvm::enumerate(op->getOperands()))
    if (fmapOf(v) && failed(checkFmap(op, v, "operand #" + std::to_string(i))))
      return failure();
  for (Value v : op->getResults())
    if (fmapOf(v) && failed(checkFmap(op, v, "result")))
      return failure();
  return success();
}

LogicalResult checkShape(Operation *op, const shp::ShapeResult &r) {
  if (!r.ok)
    return op->emitOpError() << r.error;
  ArrayRef<int64_t> declared = typeOf(op->getResult(0)).getShape();
  bool match = declared.size() == r.shape.size();
  for (size_t i = 0; match && i < declared.size(); ++i)
    match = declared[i] == r.shape[i] || declared[i] == ShapedType::kDynamic ||
            r.shape[i] == ShapedType::kDynamic;
  if (!match)
    return op->emitOpError() << "result shape " << shp::toString(declared)
                             << " does not match the inferred "
                             << shp::toString(r.shape);
  return success();
}

LogicalResult checkActBounds(Operation *op,
                             std::optional<ArrayRef<int32_t>> lo,
                             std::optional<ArrayRef<int32_t>> hi) {
  int64_t channels = typeOf(op->getResult(0)).getDimSize(1);
  for (auto b : {lo, hi})
    if (b && b->size() != 1 &&
        (ShapedType::isDynamic(channels) ||
         static_cast<int64_t>(b->size()) != channels))
      return op->emitOpError()
             << "activation bounds need 1 or " << channels << " entries, got "
             << b->size();
  int64_t n = std::max(lo ? lo->size() : 1, hi ? hi->size() : 1);
  for (int64_t c = 0; c < n; ++c) {
    int32_t l = actBound(lo, c, -128), h = actBound(hi, c, 127);
    if (l < -128 || h > 127 || l > h)
      return op->emitOpError()
             << "activation bounds [" << l << ", " << h << "] of channel " << c
             << " must satisfy -128 <= act_min <= act_max <= 127";
  }
  return success();
}

LogicalResult checkSameScales(Operation *op, FmapAttr in, FmapAttr out) {
  if (in != out)
    return op->emitOpError()
           << "result scale " << out << " must equal the input scale " << in;
  return success();
}

/// Weight, bias and accumulator checks shared by conv and fully_connected:
/// the bias carries the derived accumulator scale, every shift of section 3
/// lies in [0, 31].
LogicalResult checkMac(Operation *op, Value input, Value weight, Value bias,
                       int64_t inPerGroup, int64_t group) {
  RankedTensorType wt = typeOf(weight);
  Attribute wenc = wt.getEncoding();
  int64_t numOut = wt.getDimSize(0);
  int64_t extent = isa<Pow2Attr>(wenc) ? cast<Pow2Attr>(wenc).extent()
                                       : cast<Int8WAttr>(wenc).extent();
  if (failed(checkExtent(op, wt, 0, extent, "weight")))
    return failure();
  FmapAttr in = fmapOf(input);
  SmallVector<int32_t> acc =
      accumulatorFracs(in, wenc, numOut, inPerGroup, group);
  int64_t outPerGroup = numOut / group;
  // The smallest input fractional bits of each group.
  SmallVector<int32_t> groupMin(group, INT32_MAX);
  for (int64_t g = 0; g < group; ++g)
    for (int64_t i = g * inPerGroup; i < (g + 1) * inPerGroup; ++i)
      groupMin[g] = std::min(groupMin[g], in.at(i));
  for (int64_t o = 0; o < numOut; ++o) {
    // Largest shift: the largest weight (2^n1, or an int8 weight with shift
    // F_o - f_i - g_o) applied to the input channel with the smallest f.
    int32_t fmin = groupMin[o / outPerGroup];
    int64_t shMax = int64_t(acc[o]) - fmin + weightLsb(wenc, o) +
                    (isa<Pow2Attr>(wenc) ? dlprt::num::kPow2Span : 0);
    if (shMax > 31)
      return op->emitOpError()
             << "output channel " << o << " needs an accumulation shift of "
             << shMax << " (> 31): its input channels' fractional bits span "
             << acc[o] + weightLsb(wenc, o) - fmin << " bits";
  }
  if (!bias)
    return success();
  RankedTensorType bt = typeOf(bias);
  if (bt.getRank() != 1 || bt.getDimSize(0) != numOut)
    return op->emitOpError() << "bias must have shape [" << numOut << "]";
  AccAttr benc = cast<AccAttr>(bt.getEncoding());
  if (benc.extent() != numOut)
    return op->emitOpError() << "bias scale has " << benc.extent()
                             << " entries, expected " << numOut;
  for (int64_t o = 0; o < numOut; ++o)
    if (benc.at(o) != acc[o])
      return op->emitOpError()
             << "bias of output channel " << o << " has " << benc.at(o)
             << " fractional bits, but the accumulator has " << acc[o];
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// Constants and conversions
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult ConstantOp::verify() {
  RankedTensorType type = getOutput().getType();
  auto valueType = dyn_cast<RankedTensorType>(getValue().getType());
  if (!valueType || valueType.getShape() != type.getShape() ||
      valueType.getElementType() != type.getElementType() ||
      valueType.getEncoding())
    return emitOpError("value type ")
           << getValue().getType()
           << " must be the result type without its encoding";
  Attribute enc = type.getEncoding();
  if (!isa_and_nonnull<Pow2Attr, Int8WAttr, AccAttr>(enc))
    return emitOpError("result needs a #qnn.pow2, #qnn.int8w or #qnn.acc "
                       "encoding");
  if (isa<AccAttr>(enc) != type.getElementType().isInteger(32) ||
      isa<AccAttr>(enc) == type.getElementType().isInteger(8))
    return emitOpError("weights are i8, biases (#qnn.acc) i32");
  int64_t extent = llvm::TypeSwitch<Attribute, int64_t>(enc)
                       .Case<Pow2Attr, Int8WAttr, AccAttr>(
                           [](auto a) { return a.extent(); });
  if (failed(checkExtent(*this, type, 0, extent, "constant")))
    return failure();
  if (isa<AccAttr>(enc))
    return success();
  std::optional<dlp::ConstantData<int8_t>> data = dlp::readI8Constant(getValue());
  if (!data)
    return success(); // e.g. an elided blob: nothing to check
  bool pow2 = isa<Pow2Attr>(enc);
  // One branch-free pass (it vectorizes) decides; only an invalid constant
  // is searched for its first bad element.
  const int8_t *p = data->data.data();
  size_t n = data->data.size();
  unsigned bad = 0;
  if (pow2)
    for (size_t i = 0; i < n; ++i) {
      uint8_t c = uint8_t(p[i]);
      bad |= (c > 15) | (c == 8);
    }
  else
    for (size_t i = 0; i < n; ++i)
      bad |= p[i] == -128;
  if (!bad)
    return success();
  for (auto [i, v] : llvm::enumerate(data->data)) {
    if (pow2 ? dlprt::num::pow2CodeValid(static_cast<uint8_t>(v)) && v >= 0
             : v != -128)
      continue;
    return emitOpError() << "element #" << i << " is " << int(v) << ", not a "
                         << (pow2 ? "pow2-4 code (0-15 except 8)"
                                  : "int8 weight (|q| <= 127)");
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  if (getInput().getType().getShape() != getOutput().getType().getShape())
    return emitOpError("result shape must equal the input shape");
  return checkFmaps(*this);
}

LogicalResult DequantizeOp::verify() {
  if (getInput().getType().getShape() != getOutput().getType().getShape())
    return emitOpError("result shape must equal the input shape");
  return checkFmaps(*this);
}

LogicalResult RequantizeOp::verify() {
  if (getInput().getType().getShape() != getOutput().getType().getShape())
    return emitOpError("result shape must equal the input shape");
  return checkFmaps(*this);
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::verify() {
  if (failed(checkFmaps(*this)) ||
      failed(checkActBounds(*this, getActMin(), getActMax())))
    return failure();
  RankedTensorType xt = getInput().getType(), wt = getWeight().getType();
  if (failed(checkShape(*this, shp::conv(xt.getShape(), wt.getShape(),
                                         getStrides(), getPads(),
                                         getDilations(), getGroup()))))
    return failure();
  if (xt.isDynamicDim(1))
    return emitOpError("input channel count must be static");
  return checkMac(*this, getInput(), getWeight(), getBias(), wt.getDimSize(1),
                  getGroup());
}

LogicalResult FullyConnectedOp::verify() {
  if (failed(checkFmaps(*this)) ||
      failed(checkActBounds(*this, getActMin(), getActMax())))
    return failure();
  RankedTensorType xt = getInput().getType(), wt = getWeight().getType();
  if (xt.getRank() != 2 || wt.getRank() != 2)
    return emitOpError("input and weight must be 2-D (flatten first)");
  if (failed(checkShape(*this, shp::fullyConnected(xt.getShape(),
                                                   wt.getShape(), nullptr))))
    return failure();
  return checkMac(*this, getInput(), getWeight(), getBias(), wt.getDimSize(1),
                  1);
}

LogicalResult MaxPoolOp::verify() {
  if (failed(checkFmaps(*this)) ||
      failed(checkShape(*this, shp::pool(getInput().getType().getShape(),
                                         getKernelShape(), getStrides(),
                                         getPads(), getDilations(),
                                         getCeilMode()))))
    return failure();
  return checkSameScales(*this, fmapOf(getInput()), fmapOf(getOutput()));
}

LogicalResult AvgPoolOp::verify() {
  if (failed(checkFmaps(*this)) ||
      failed(checkShape(*this, shp::pool(getInput().getType().getShape(),
                                         getKernelShape(), getStrides(),
                                         getPads(), {}, getCeilMode()))))
    return failure();
  return checkSameScales(*this, fmapOf(getInput()), fmapOf(getOutput()));
}

LogicalResult GlobalAvgPoolOp::verify() {
  if (failed(checkFmaps(*this)) ||
      failed(checkShape(*this,
                        shp::globalPool(getInput().getType().getShape()))))
    return failure();
  return checkSameScales(*this, fmapOf(getInput()), fmapOf(getOutput()));
}

LogicalResult AddOp::verify() {
  if (failed(checkFmaps(*this)) ||
      failed(checkActBounds(*this, getActMin(), getActMax())))
    return failure();
  ArrayRef<int64_t> a = getLhs().getType().getShape();
  if (a != getRhs().getType().getShape() ||
      a != getOutput().getType().getShape())
    return emitOpError("operands and result must have the same shape");
  if (a.size() < 2 || a[1] == ShapedType::kDynamic)
    return emitOpError("operands need a static channel dimension");
  FmapAttr fa = fmapOf(getLhs()), fb = fmapOf(getRhs());
  for (int64_t c = 0; c < a[1]; ++c)
    if (std::abs(fa.at(c) - fb.at(c)) > 22)
      return emitOpError() << "channel " << c << " aligns operands with "
                           << fa.at(c) << " and " << fb.at(c)
                           << " fractional bits: a shift over 22 could "
                              "overflow int32";
  return success();
}

LogicalResult ClampOp::verify() {
  if (failed(checkFmaps(*this)) ||
      failed(checkActBounds(*this, getActMin(), getActMax())))
    return failure();
  if (getInput().getType() != getOutput().getType())
    return emitOpError("result type must equal the input type");
  return success();
}

LogicalResult TableOp::verify() {
  if (failed(checkFmaps(*this)))
    return failure();
  RankedTensorType xt = getInput().getType(), yt = getOutput().getType();
  if (xt.getShape() != yt.getShape())
    return emitOpError("result shape must equal the input shape");
  auto in = encodingOf<FmapAttr>(xt), out = encodingOf<FmapAttr>(yt);
  if (in.getBlock() != out.getBlock() ||
      in.getValues().size() != out.getValues().size())
    return emitOpError("input and result must have as many scale entries "
                       "with the same block");
  size_t want = in.getValues().size() * 256;
  if (getTable().size() != static_cast<int64_t>(want))
    return emitOpError("table has ")
           << getTable().size() << " entries; expected " << want
           << " (256 per scale entry of the input)";
  return success();
}

LogicalResult ChannelMulOp::verify() {
  if (failed(checkFmaps(*this)))
    return failure();
  ArrayRef<int64_t> x = getInput().getType().getShape(),
                    g = getGate().getType().getShape();
  if (getOutput().getType().getShape() != x)
    return emitOpError("result shape must equal the input shape");
  if (x.size() != 4 || g.size() != 4 || g[1] != x[1] || g[2] != 1 ||
      g[3] != 1 || (g[0] != x[0] && g[0] != 1))
    return emitOpError("expected an N x C x H x W input and an N x C x 1 x 1 "
                       "(or 1 x C x 1 x 1) gate");
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  if (failed(checkFmaps(*this)))
    return failure();
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : getInputs())
    shapes.push_back(typeOf(v).getShape());
  int64_t axis = getAxis();
  if (failed(checkShape(*this, shp::concat(shapes, axis))))
    return failure();
  FmapAttr out = fmapOf(getOutput());
  if (axis != 1) {
    for (Value v : getInputs())
      if (failed(checkSameScales(*this, fmapOf(v), out)))
        return failure();
    return success();
  }
  // Along channels: the result's scales are the inputs' in order.
  int64_t c = 0;
  for (Value v : getInputs()) {
    FmapAttr in = fmapOf(v);
    RankedTensorType t = typeOf(v);
    if (t.isDynamicDim(1))
      return emitOpError("inputs need a static channel dimension");
    for (int64_t k = 0; k < t.getDimSize(1); ++k, ++c)
      if (in.at(k) != out.at(c))
        return emitOpError() << "result channel " << c << " has scale "
                             << out.at(c) << " but comes from a channel with "
                             << in.at(k);
  }
  return success();
}

LogicalResult FlattenOp::verify() {
  if (failed(checkFmaps(*this)) ||
      failed(checkShape(*this,
                        shp::flatten(getInput().getType().getShape(), 1))))
    return failure();
  RankedTensorType xt = getInput().getType();
  int64_t inner = 1;
  for (int64_t d = 2; d < xt.getRank(); ++d) {
    if (xt.isDynamicDim(d))
      return emitOpError("spatial dimensions must be static");
    inner *= xt.getDimSize(d);
  }
  FmapAttr in = fmapOf(getInput()), out = fmapOf(getOutput());
  if (out.getValues() != in.getValues() ||
      out.getBlock() != in.getBlock() * inner)
    return emitOpError() << "result scale must be the input's with block "
                         << in.getBlock() * inner;
  return success();
}

#define GET_OP_CLASSES
#include "QNN/QNNOps.cpp.inc"

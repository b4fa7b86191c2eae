//===- FoldOps.cpp - ONNX ops evaluated at import time --------------------===//
//
// Constant, ConstantOfShape, Shape, Gather and Cast appear in exported shape
// subgraphs (e.g. torch's `x.view(x.size(0), -1)`, F.pad's padding
// arithmetic); they are evaluated here on import-time constants and never
// reach the nn dialect.
//
//===----------------------------------------------------------------------===//

#include "ImporterContext.h"

#include <cmath>

using namespace mlir;
using namespace dlp;
using namespace dlp::onnximport;
using onnx::TensorProto;

namespace {
LogicalResult buildConstant(NodeContext &nc) {
  const onnx::AttributeProto *a = nullptr;
  for (const onnx::AttributeProto &attr : nc.node.attribute()) {
    if (a)
      return nc.error() << "expected exactly one value attribute";
    a = &attr;
  }
  if (!a)
    return nc.error() << "no value attribute";
  StringRef name = a->name();
  if (name == "value") {
    TensorProto copy = a->t();
    auto c = std::make_shared<ConstTensor>();
    if (std::string err = decodeTensor(copy, *c); !err.empty())
      return nc.error() << err;
    nc.setOutput(0, c);
  } else if (name == "value_float") {
    nc.setOutput(0, ConstTensor::fromFloats({}, {a->f()}));
  } else if (name == "value_floats") {
    std::vector<float> v(a->floats().begin(), a->floats().end());
    int64_t n = v.size();
    nc.setOutput(0, ConstTensor::fromFloats({n}, std::move(v)));
  } else if (name == "value_int") {
    nc.setOutput(0, ConstTensor::fromInts({}, {a->i()}));
  } else if (name == "value_ints") {
    std::vector<int64_t> v(a->ints().begin(), a->ints().end());
    int64_t n = v.size();
    nc.setOutput(0, ConstTensor::fromInts({n}, std::move(v)));
  } else {
    return nc.error() << "attribute '" << name << "' is not supported";
  }
  return success();
}

LogicalResult buildShape(NodeContext &nc) {
  if (failed(nc.checkAttrs({"start", "end"})))
    return failure();
  SmallVector<int64_t> dims;
  if (auto c = nc.constInput(0)) {
    dims.assign(c->dims.begin(), c->dims.end());
  } else {
    FailureOr<Value> x = nc.input(0);
    if (failed(x))
      return failure();
    dims.assign(NodeContext::shapeOf(*x));
  }
  int64_t rank = dims.size();
  int64_t start = nc.attrInt("start", 0), end = nc.attrInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  // A dynamic axis 0 (the batch) folds symbolically (kSymbolicBatch).
  if (!dims.empty() && ShapedType::isDynamic(dims[0]))
    dims[0] = kSymbolicBatch;
  std::vector<int64_t> out(dims.begin() + start, dims.begin() + end);
  for (int64_t d : out)
    if (ShapedType::isDynamic(d))
      return nc.error() << "cannot fold Shape of a tensor with dynamic "
                           "extents; pin the model input's dimensions with "
                           "--input-shape NAME=D0xD1x... (dlpc, dlp-eval), "
                           "export with static shapes or use Flatten";
  int64_t n = out.size();
  nc.setOutput(0, ConstTensor::fromInts({n}, std::move(out)));
  return success();
}

/// Most index lists a run-time Gather can take before it is refused (each
/// irregular index is a slice of its own).
constexpr size_t kMaxGatherSlices = 1024;

/// Gather of run-time data at import-time indices (a torch `x[:, 0]`, a
/// channel selection): a strided slice where the indices step evenly,
/// else a concat of one-element slices; then the indices' shape in place of
/// the axis (a squeeze for a scalar index, a reshape for N-d indices).
LogicalResult gatherRuntimeData(NodeContext &nc, const ConstTensor &idx) {
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = NodeContext::shapeOf(*x);
  int64_t rank = xs.size();
  FailureOr<int64_t> axis = nc.normAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t extent = xs[*axis];
  if (ShapedType::isDynamic(extent))
    return nc.error() << "a gather along the dynamic batch axis is not "
                         "supported";
  if (idx.hasSymbolicBatch())
    return nc.error() << "indices that depend on the dynamic batch are not "
                         "supported";
  SmallVector<int64_t> k;
  for (int64_t v : idx.ints) {
    if (v < -extent || v >= extent)
      return nc.error() << "index " << v << " out of range for extent "
                        << extent;
    k.push_back(v < 0 ? v + extent : v);
  }
  if (k.empty())
    return nc.error() << "an empty index list is not supported";
  int64_t step = k.size() > 1 ? k[1] - k[0] : 1;
  bool even = step != 0;
  for (size_t i = 1; i < k.size() && even; ++i)
    even = k[i] - k[i - 1] == step;
  bool last = idx.dims.size() == 1;
  // n indices from `start`, `st` apart: the node's result when `part` is
  // empty, else "<node>/<part>".
  auto sliceAt = [&](StringRef part, int64_t start, int64_t n,
                     int64_t st) -> FailureOr<Value> {
    // ONNX slice bounds: an end before index 0 walking backwards is
    // written below -extent (clamped to "before the first").
    int64_t end = start + n * st;
    if (end < 0)
      end = -extent - 1;
    DenseI64ArrayAttr b = nc.i64s({start}), e = nc.i64s({end}),
                      a = nc.i64s({*axis}), s = nc.i64s({st});
    return part.empty() ? nc.create<nn::SliceOp>(*x, b, e, a, s)
                        : nc.createPart<nn::SliceOp>(part, *x, b, e, a, s);
  };
  FailureOr<Value> y;
  if (even) {
    y = sliceAt(last ? "" : "slice", k[0], int64_t(k.size()), step);
  } else {
    if (k.size() > kMaxGatherSlices)
      return nc.error() << k.size() << " irregular indices (at most "
                        << kMaxGatherSlices << " are supported)";
    SmallVector<Value> parts;
    for (size_t i = 0; i < k.size(); ++i) {
      FailureOr<Value> s = sliceAt("index" + std::to_string(i), k[i], 1, 1);
      if (failed(s))
        return failure();
      parts.push_back(*s);
    }
    auto ax = nc.b.getI64IntegerAttr(*axis);
    y = last ? nc.create<nn::ConcatOp>(parts, ax)
             : nc.createPart<nn::ConcatOp>("gathered", parts, ax);
  }
  if (failed(y))
    return failure();
  if (idx.dims.empty()) {
    y = nc.create<nn::SqueezeOp>(*y, nc.i64s({*axis}));
  } else if (!last) {
    // Reshape's 0 copies an axis before `axis` (the dynamic batch).
    SmallVector<int64_t> out(xs.begin(), xs.begin() + *axis);
    for (int64_t &d : out)
      if (ShapedType::isDynamic(d))
        d = 0;
    out.append(idx.dims.begin(), idx.dims.end());
    out.append(xs.begin() + *axis + 1, xs.end());
    y = nc.create<nn::ReshapeOp>(*y, nc.i64s(out), nc.b.getBoolAttr(false));
  }
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildGather(NodeContext &nc) {
  if (failed(nc.checkAttrs({"axis"})))
    return failure();
  auto data = nc.constInput(0), idx = nc.constInput(1);
  if (!idx)
    return nc.error() << "indices computed at run time are not supported "
                         "(only import-time constant indices)";
  if (!idx->isInteger())
    return nc.error() << "indices must be integers";
  if (!data)
    return gatherRuntimeData(nc, *idx);
  int64_t rank = data->dims.size();
  FailureOr<int64_t> axis = nc.normAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t outer = 1, inner = 1, extent = data->dims[*axis];
  for (int64_t i = 0; i < *axis; ++i)
    outer *= data->dims[i];
  for (int64_t i = *axis + 1; i < rank; ++i)
    inner *= data->dims[i];
  SmallVector<int64_t> outDims(data->dims.begin(), data->dims.begin() + *axis);
  outDims.append(idx->dims.begin(), idx->dims.end());
  outDims.append(data->dims.begin() + *axis + 1, data->dims.end());
  std::vector<int64_t> srcIndex;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k : idx->ints) {
      if (k < -extent || k >= extent)
        return nc.error() << "index " << k << " out of range for extent "
                          << extent;
      int64_t kk = k < 0 ? k + extent : k;
      for (int64_t i = 0; i < inner; ++i)
        srcIndex.push_back((o * extent + kk) * inner + i);
    }
  if (data->isFloat()) {
    std::vector<float> v;
    for (int64_t s : srcIndex)
      v.push_back(data->floats[s]);
    nc.setOutput(0, ConstTensor::fromFloats(outDims, std::move(v)));
  } else {
    std::vector<int64_t> v;
    for (int64_t s : srcIndex)
      v.push_back(data->ints[s]);
    nc.setOutput(0, ConstTensor::fromInts(outDims, std::move(v)));
  }
  return success();
}

LogicalResult buildCast(NodeContext &nc) {
  if (failed(nc.checkAttrs({"to", "saturate"})))
    return failure();
  int64_t to = nc.attrInt("to", 0);
  bool toFloat = to == TensorProto::FLOAT || to == TensorProto::DOUBLE;
  bool toInt = to == TensorProto::INT64 || to == TensorProto::INT32 ||
               to == TensorProto::INT16 || to == TensorProto::INT8;
  if (auto c = nc.constInput(0)) {
    std::vector<int64_t> ints;
    std::vector<float> floats;
    for (int64_t i = 0, e = c->numElements(); i < e; ++i) {
      if (toFloat)
        floats.push_back(static_cast<float>(c->at(i)));
      else if (toInt)
        ints.push_back(static_cast<int64_t>(std::trunc(c->at(i))));
    }
    if (toFloat)
      nc.setOutput(0, ConstTensor::fromFloats(c->dims, std::move(floats)));
    else if (toInt)
      nc.setOutput(0, ConstTensor::fromInts(c->dims, std::move(ints)));
    else
      return nc.error() << "cast of a constant to " << dtypeName(to)
                        << " is not supported";
    return success();
  }
  if (to != TensorProto::FLOAT)
    return nc.error() << "cast of a float32 tensor to " << dtypeName(to)
                      << " is not supported";
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  nc.setOutput(0, *x); // float32 -> float32 is the identity
  return success();
}

/// ConstantOfShape: a tensor of the shape its (import-time) input gives,
/// every element `value` (a one-element tensor; float 0 by default), as
/// torch exports in the padding arithmetic of F.pad.
LogicalResult buildConstantOfShape(NodeContext &nc) {
  if (failed(nc.checkAttrs({"value"})))
    return failure();
  auto shape = nc.constInput(0);
  if (!shape)
    return nc.error() << "the shape must be an import-time constant";
  if (!shape->isInteger() || shape->dims.size() != 1)
    return nc.error() << "the shape must be a 1-D integer tensor";
  SmallVector<int64_t> dims(shape->ints.begin(), shape->ints.end());
  // A leading dynamic batch (torch's zeros_like / full of a batched shape):
  // one sample, the same constant broadcast over the batch by its users.
  if (!dims.empty() && dims[0] == kSymbolicBatch)
    dims[0] = 1;
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d == kSymbolicBatch)
      return nc.error() << "the shape holds the dynamic batch past axis 0; "
                           "pin the model input's dimensions with "
                           "--input-shape NAME=D0xD1x... (dlpc, dlp-eval)";
    if (d < 0)
      return nc.error() << "dimension " << d << " is negative";
    if (d > (int64_t(1) << 31) / std::max<int64_t>(n, 1))
      return nc.error() << "the shape holds more than 2^31 elements";
    n *= d;
  }
  ConstTensor fill = *ConstTensor::fromFloats({}, {0.0f});
  if (const onnx::AttributeProto *a = nc.attr("value")) {
    TensorProto copy = a->t();
    if (std::string err = decodeTensor(copy, fill); !err.empty())
      return nc.error() << "value: " << err;
    if (fill.numElements() != 1)
      return nc.error() << "value must hold one element, not "
                        << fill.numElements();
  }
  if (fill.isFloat())
    nc.setOutput(0, ConstTensor::fromFloats(
                        dims, std::vector<float>(size_t(n), fill.floats[0])));
  else if (fill.isInteger())
    nc.setOutput(0, ConstTensor::fromInts(
                        dims, std::vector<int64_t>(size_t(n), fill.ints[0])));
  else
    return nc.error() << "value of type " << dtypeName(fill.dtype)
                      << " is not supported";
  return success();
}

const OpTableEntry kTable[] = {
    {"Cast", 6, 17, buildCast},
    {"Constant", 1, 17, buildConstant},
    {"ConstantOfShape", 9, 17, buildConstantOfShape},
    {"Gather", 1, 17, buildGather},
    {"Shape", 1, 17, buildShape},
};
} // namespace

ArrayRef<OpTableEntry> dlp::onnximport::foldOpTable() { return kTable; }

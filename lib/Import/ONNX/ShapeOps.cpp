//===- ShapeOps.cpp - ONNX shape-manipulation builders --------------------===//
//
// Reshape/Slice/Squeeze/... take their shape operands from import-time
// constants. On integer constants (shape subgraphs) they fold instead of
// building ops.
//
//===----------------------------------------------------------------------===//

#include "ImporterContext.h"
#include "NN/NNShapes.h"

using namespace mlir;
using namespace dlp;
using namespace dlp::onnximport;
namespace shp = dlp::nn::shapes;

namespace {
/// An integer constant input that is the operand, for folding.
std::shared_ptr<ConstTensor> intData(NodeContext &nc) {
  std::shared_ptr<ConstTensor> c = nc.constInput(0);
  return c && c->isInteger() ? c : nullptr;
}

LogicalResult buildConcat(NodeContext &nc) {
  if (failed(nc.checkAttrs({"axis"})))
    return failure();
  if (!nc.attr("axis"))
    return nc.error() << "attribute 'axis' is required";
  // Fold 1-D integer concatenation (shape vectors).
  bool allInt = true;
  for (int i = 0; i < nc.numInputs(); ++i) {
    auto c = nc.constInput(i);
    allInt &= c && c->isInteger() && c->dims.size() == 1;
  }
  if (allInt) {
    std::vector<int64_t> v;
    for (int i = 0; i < nc.numInputs(); ++i) {
      auto c = nc.constInput(i);
      v.insert(v.end(), c->ints.begin(), c->ints.end());
    }
    int64_t n = v.size();
    nc.setOutput(0, ConstTensor::fromInts({n}, std::move(v)));
    return success();
  }
  SmallVector<Value> ins;
  for (int i = 0; i < nc.numInputs(); ++i) {
    FailureOr<Value> v = nc.input(i);
    if (failed(v))
      return failure();
    ins.push_back(*v);
  }
  FailureOr<int64_t> axis = nc.normAxis(
      nc.attrInt("axis", 0), NodeContext::shapeOf(ins[0]).size());
  if (failed(axis))
    return failure();
  FailureOr<Value> y =
      nc.create<nn::ConcatOp>(ins, nc.b.getI64IntegerAttr(*axis));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildFlatten(NodeContext &nc) {
  if (failed(nc.checkAttrs({"axis"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  int64_t rank = NodeContext::shapeOf(*x).size();
  int64_t axis = nc.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return nc.error() << "axis " << nc.attrInt("axis", 1)
                      << " is out of range for rank " << rank;
  FailureOr<Value> y = nc.create<nn::FlattenOp>(*x, nc.b.getI64IntegerAttr(axis));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildReshape(NodeContext &nc) {
  if (failed(nc.checkAttrs({"allowzero"})))
    return failure();
  FailureOr<SmallVector<int64_t>> shape =
      nc.constInts(1, "shape", /*allowBatch=*/true);
  if (failed(shape))
    return failure();
  bool allowZero = nc.attrInt("allowzero", 0) != 0;
  // The dynamic batch (x.reshape(x.shape[0], -1)): axis 0 copied from the
  // input by Reshape's 0 rule.
  for (size_t i = 0; i < shape->size(); ++i)
    if ((*shape)[i] == kSymbolicBatch) {
      FailureOr<Value> x = nc.input(0);
      if (failed(x))
        return failure();
      if (i != 0 || allowZero || NodeContext::shapeOf(*x).empty() ||
          !ShapedType::isDynamic(NodeContext::shapeOf(*x)[0]))
        return nc.error() << "the dynamic batch used other than as axis 0 of "
                             "a reshape of the batched tensor; pin it with "
                             "--input-shape NAME=D0xD1x... (dlpc, dlp-eval)";
      (*shape)[i] = 0;
    }
  if (auto c = intData(nc)) {
    shp::ShapeResult r = shp::reshape(c->dims, *shape, allowZero);
    if (!r.ok)
      return nc.error() << r.error;
    nc.setOutput(0, ConstTensor::fromInts(r.shape, c->ints));
    return success();
  }
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = nc.create<nn::ReshapeOp>(*x, nc.i64s(*shape),
                                                nc.b.getBoolAttr(allowZero));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildTranspose(NodeContext &nc) {
  if (failed(nc.checkAttrs({"perm"})))
    return failure();
  // An integer constant (padding arithmetic, e.g. torch's F.pad) folds.
  if (std::shared_ptr<ConstTensor> c = intData(nc)) {
    int64_t rank = int64_t(c->dims.size());
    SmallVector<int64_t> perm = nc.attrInts("perm");
    if (!nc.attr("perm"))
      for (int64_t i = rank - 1; i >= 0; --i)
        perm.push_back(i);
    SmallVector<int64_t> seen(rank, 0);
    if (int64_t(perm.size()) != rank ||
        llvm::any_of(perm, [&](int64_t p) {
          return p < 0 || p >= rank || seen[p]++;
        }))
      return nc.error() << "perm is not a permutation of the " << rank
                        << " axes";
    SmallVector<int64_t> dims, stride(rank, 1);
    for (int64_t d = rank - 2; d >= 0; --d)
      stride[d] = stride[d + 1] * c->dims[d + 1];
    for (int64_t p : perm)
      dims.push_back(c->dims[p]);
    std::vector<int64_t> out;
    SmallVector<int64_t> idx(rank, 0);
    for (int64_t e = 0, n = c->numElements(); e < n; ++e) {
      int64_t at = 0;
      for (int64_t d = 0; d < rank; ++d)
        at += idx[d] * stride[perm[d]];
      out.push_back(c->ints[at]);
      for (int64_t d = rank - 1; d >= 0 && ++idx[d] == dims[d]; --d)
        idx[d] = 0;
    }
    nc.setOutput(0, ConstTensor::fromInts(dims, std::move(out)));
    return success();
  }
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  int64_t rank = NodeContext::shapeOf(*x).size();
  SmallVector<int64_t> perm = nc.attrInts("perm");
  if (!nc.attr("perm"))
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  FailureOr<Value> y = nc.create<nn::TransposeOp>(*x, nc.i64s(perm));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input after.
FailureOr<SmallVector<int64_t>> squeezeAxes(NodeContext &nc, bool &present) {
  present = true;
  if (nc.opset() < 13) {
    if (failed(nc.checkAttrs({"axes"})))
      return failure();
    present = nc.attr("axes") != nullptr;
    return nc.attrInts("axes");
  }
  if (failed(nc.checkAttrs({})))
    return failure();
  if (!nc.hasInput(1)) {
    present = false;
    return SmallVector<int64_t>();
  }
  return nc.constInts(1, "axes");
}

LogicalResult buildSqueeze(NodeContext &nc) {
  bool present;
  FailureOr<SmallVector<int64_t>> axes = squeezeAxes(nc, present);
  if (failed(axes))
    return failure();
  std::shared_ptr<ConstTensor> c = intData(nc);
  Value x;
  SmallVector<int64_t> shape;
  if (c) {
    shape.assign(c->dims.begin(), c->dims.end());
  } else {
    FailureOr<Value> v = nc.input(0);
    if (failed(v))
      return failure();
    x = *v;
    shape.assign(NodeContext::shapeOf(x));
  }
  if (!present) {
    for (auto [i, d] : llvm::enumerate(shape)) {
      if (ShapedType::isDynamic(d))
        return nc.error() << "squeeze without axes needs static extents";
      if (d == 1)
        axes->push_back(i);
    }
  }
  FailureOr<SmallVector<int64_t>> norm = nc.normAxes(*axes, shape.size());
  if (failed(norm))
    return failure();
  if (c) {
    shp::ShapeResult r = shp::squeeze(c->dims, *norm);
    if (!r.ok)
      return nc.error() << r.error;
    nc.setOutput(0, ConstTensor::fromInts(r.shape, c->ints));
    return success();
  }
  FailureOr<Value> y = nc.create<nn::SqueezeOp>(x, nc.i64s(*norm));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildUnsqueeze(NodeContext &nc) {
  bool present;
  FailureOr<SmallVector<int64_t>> axes = squeezeAxes(nc, present);
  if (failed(axes))
    return failure();
  if (!present)
    return nc.error() << "axes are required";
  std::shared_ptr<ConstTensor> c = intData(nc);
  Value x;
  int64_t rank;
  if (c) {
    rank = c->dims.size();
  } else {
    FailureOr<Value> v = nc.input(0);
    if (failed(v))
      return failure();
    x = *v;
    rank = NodeContext::shapeOf(x).size();
  }
  FailureOr<SmallVector<int64_t>> norm =
      nc.normAxes(*axes, rank + static_cast<int64_t>(axes->size()));
  if (failed(norm))
    return failure();
  if (c) {
    shp::ShapeResult r = shp::unsqueeze(c->dims, *norm);
    if (!r.ok)
      return nc.error() << r.error;
    nc.setOutput(0, ConstTensor::fromInts(r.shape, c->ints));
    return success();
  }
  FailureOr<Value> y = nc.create<nn::UnsqueezeOp>(x, nc.i64s(*norm));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildSlice(NodeContext &nc) {
  SmallVector<int64_t> starts, ends, axes, steps;
  if (nc.opset() < 10) {
    if (failed(nc.checkAttrs({"starts", "ends", "axes"})))
      return failure();
    starts = nc.attrInts("starts");
    ends = nc.attrInts("ends");
    axes = nc.attrInts("axes");
  } else {
    if (failed(nc.checkAttrs({})))
      return failure();
    auto s = nc.constInts(1, "starts"), e = nc.constInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (nc.hasInput(3)) {
      auto a = nc.constInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (nc.hasInput(4)) {
      auto st = nc.constInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  std::shared_ptr<ConstTensor> c = intData(nc);
  Value x;
  SmallVector<int64_t> shape;
  if (c) {
    shape.assign(c->dims.begin(), c->dims.end());
  } else {
    FailureOr<Value> v = nc.input(0);
    if (failed(v))
      return failure();
    x = *v;
    shape.assign(NodeContext::shapeOf(x));
  }
  for (int64_t &a : axes) {
    FailureOr<int64_t> n = nc.normAxis(a, shape.size());
    if (failed(n))
      return failure();
    a = *n;
  }
  if (c) {
    shp::ShapeResult r = shp::slice(c->dims, starts, ends, axes, steps);
    if (!r.ok)
      return nc.error() << r.error;
    // Per axis, the first index and the step (the whole axis where not
    // sliced); the output in row-major order.
    int64_t rank = int64_t(c->dims.size());
    SmallVector<int64_t> first(rank, 0), step(rank, 1), count(c->dims);
    for (size_t i = 0; i < axes.size(); ++i) {
      shp::SliceAxis a = shp::resolveSliceAxis(c->dims[axes[i]], starts[i],
                                               ends[i], steps[i]);
      first[axes[i]] = a.start;
      step[axes[i]] = a.step;
      count[axes[i]] = a.count;
    }
    SmallVector<int64_t> stride(rank, 1);
    for (int64_t d = rank - 2; d >= 0; --d)
      stride[d] = stride[d + 1] * c->dims[d + 1];
    int64_t n = 1;
    for (int64_t k : count)
      n *= k;
    std::vector<int64_t> out;
    out.reserve(size_t(n));
    SmallVector<int64_t> idx(rank, 0);
    for (int64_t e = 0; e < n; ++e) {
      int64_t at = 0;
      for (int64_t d = 0; d < rank; ++d)
        at += (first[d] + idx[d] * step[d]) * stride[d];
      out.push_back(c->ints[at]);
      for (int64_t d = rank - 1; d >= 0 && ++idx[d] == count[d]; --d)
        idx[d] = 0;
    }
    nc.setOutput(0, ConstTensor::fromInts(r.shape, std::move(out)));
    return success();
  }
  FailureOr<Value> y = nc.create<nn::SliceOp>(
      x, nc.i64s(starts), nc.i64s(ends), nc.i64s(axes), nc.i64s(steps));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildPad(NodeContext &nc) {
  SmallVector<int64_t> pads;
  float value = 0.0f;
  std::string mode = nc.attrString("mode", "constant");
  if (nc.opset() < 11) {
    if (failed(nc.checkAttrs({"mode", "pads", "value"})))
      return failure();
    pads = nc.attrInts("pads");
    value = nc.attrFloat("value", 0.0f);
  } else {
    if (failed(nc.checkAttrs({"mode"})))
      return failure();
    auto p = nc.constInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (nc.hasInput(2)) {
      FailureOr<double> v = nc.constScalar(2, "constant_value");
      if (failed(v))
        return failure();
      value = static_cast<float>(*v);
    }
    if (nc.hasInput(3))
      return nc.error() << "the axes input is not supported";
  }
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = nc.create<nn::PadOp>(*x, nc.i64s(pads),
                                            nc.b.getStringAttr(mode),
                                            nc.f32(value));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// DepthToSpace (`ToSpace`) / SpaceToDepth of an N x C x H x W map with
/// block b: a reshape to 6-D, a transpose and a reshape back, as ONNX
/// defines them (DepthToSpace's DCR and CRD modes).
template <bool ToSpace>
LogicalResult buildDepthSpace(NodeContext &nc) {
  if (failed(nc.checkAttrs(ToSpace ? ArrayRef<StringRef>{"blocksize", "mode"}
                                   : ArrayRef<StringRef>{"blocksize"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = NodeContext::shapeOf(*x);
  int64_t b = nc.attrInt("blocksize", 0);
  if (xs.size() != 4)
    return nc.error() << "the input must have rank 4 (has " << xs.size()
                      << ")";
  if (b < 1)
    return nc.error() << "blocksize must be at least 1 (is " << b << ")";
  if (llvm::any_of(xs.drop_front(), ShapedType::isDynamic))
    return nc.error() << "a dynamic C, H or W is not supported";
  int64_t c = xs[1], h = xs[2], w = xs[3];
  // Reshape's 0 copies the (possibly dynamic) batch.
  SmallVector<int64_t> mid, perm, out;
  if (ToSpace) {
    std::string mode = nc.attrString("mode", "DCR");
    if (mode != "DCR" && mode != "CRD")
      return nc.error() << "mode must be DCR or CRD (is " << mode << ")";
    if (c % (b * b))
      return nc.error() << "the channels (" << c
                        << ") are not a multiple of blocksize^2";
    if (mode == "DCR") {
      mid = {0, b, b, c / (b * b), h, w};
      perm = {0, 3, 4, 1, 5, 2};
    } else {
      mid = {0, c / (b * b), b, b, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    }
    out = {0, c / (b * b), h * b, w * b};
  } else {
    if (h % b || w % b)
      return nc.error() << "the height and width (" << h << ", " << w
                        << ") are not multiples of the blocksize " << b;
    mid = {0, c, h / b, b, w / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    out = {0, c * b * b, h / b, w / b};
  }
  auto no = nc.b.getBoolAttr(false);
  FailureOr<Value> r = nc.createPart<nn::ReshapeOp>("blocks", *x, nc.i64s(mid), no);
  if (failed(r))
    return failure();
  FailureOr<Value> t =
      nc.createPart<nn::TransposeOp>("moved", *r, nc.i64s(perm));
  if (failed(t))
    return failure();
  FailureOr<Value> y = nc.create<nn::ReshapeOp>(*t, nc.i64s(out), no);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// Tile (torch's repeat): along each axis with a repeat count r > 1, a
/// concat of r copies (parts "<node>/axis<d>" but the last).
LogicalResult buildTile(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> reps = nc.constInts(1, "repeats");
  if (failed(reps))
    return failure();
  int64_t rank = NodeContext::shapeOf(*x).size();
  if (int64_t(reps->size()) != rank)
    return nc.error() << "repeats has " << reps->size()
                      << " entries for an input of rank " << rank;
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < rank; ++d) {
    if ((*reps)[d] < 1)
      return nc.error() << "repeat count " << (*reps)[d] << " on axis " << d
                        << " (must be at least 1)";
    if ((*reps)[d] > 4096)
      return nc.error() << "repeat count " << (*reps)[d] << " on axis " << d
                        << " (at most 4096 are supported)";
    if ((*reps)[d] > 1)
      axes.push_back(d);
  }
  Value y = *x;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t d = axes[i];
    SmallVector<Value> copies(size_t((*reps)[d]), y);
    auto ax = nc.b.getI64IntegerAttr(d);
    FailureOr<Value> c =
        i + 1 == axes.size()
            ? nc.create<nn::ConcatOp>(copies, ax)
            : nc.createPart<nn::ConcatOp>("axis" + std::to_string(d), copies,
                                          ax);
    if (failed(c))
      return failure();
    y = *c;
  }
  nc.setOutput(0, y);
  return success();
}

const OpTableEntry kTable[] = {
    {"Concat", 4, 17, buildConcat},
    {"Tile", 6, 17, buildTile},
    {"DepthToSpace", 1, 17, buildDepthSpace<true>},
    {"SpaceToDepth", 1, 17, buildDepthSpace<false>},
    {"Flatten", 1, 17, buildFlatten},
    {"Pad", 2, 17, buildPad},
    {"Reshape", 5, 17, buildReshape},
    {"Slice", 1, 17, buildSlice},
    {"Squeeze", 1, 17, buildSqueeze},
    {"Transpose", 1, 17, buildTranspose},
    {"Unsqueeze", 1, 17, buildUnsqueeze},
};
} // namespace

ArrayRef<OpTableEntry> dlp::onnximport::shapeOpTable() { return kTable; }

//===- ReduceLogicOps.cpp - ONNX reductions, comparisons and Where --------===//
//
// Reduce* become nn reductions over normalized axes (ReduceSumSquare, L1,
// L2, LogSum and LogSumExp with their transforms as parts at
// "<node>/<part>"). Comparisons and Where compute on float
// masks (an ONNX bool tensor is 1.0 / 0.0 in the nn dialect); on integer
// constants (shape subgraphs) they fold at import time.
//
//===----------------------------------------------------------------------===//

#include "ImporterContext.h"

using namespace mlir;
using namespace dlp;
using namespace dlp::onnximport;

namespace {
//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// What a Reduce* node computes: an nn reduction of a transformed input,
/// then a final transform (ONNX's definitions, as onnxruntime computes
/// them).
enum class Red { Mean, Sum, SumSquare, Max, Min, L1, L2, LogSum, LogSumExp };

/// Reduce*. Axes are an attribute, or (ReduceSum from opset 13) an optional
/// input with noop_with_empty_axes.
template <Red R>
LogicalResult buildReduce(NodeContext &nc) {
  bool axesInput = R == Red::Sum && nc.opset() >= 13;
  SmallVector<int64_t> axes;
  bool noop = false;
  if (axesInput) {
    if (failed(nc.checkAttrs({"keepdims", "noop_with_empty_axes"})))
      return failure();
    noop = nc.attrInt("noop_with_empty_axes", 0) != 0;
    if (nc.hasInput(1)) {
      FailureOr<SmallVector<int64_t>> a = nc.constInts(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else {
    if (failed(nc.checkAttrs({"axes", "keepdims"})))
      return failure();
    axes = nc.attrInts("axes");
  }
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  int64_t rank = NodeContext::shapeOf(*x).size();
  // No axes: the identity with noop_with_empty_axes, else every axis.
  if (axes.empty() && (noop || rank == 0)) {
    nc.setOutput(0, *x);
    return success();
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  FailureOr<SmallVector<int64_t>> norm = nc.normAxes(axes, rank);
  if (failed(norm))
    return failure();
  axes = *norm;
  bool keepdims = nc.attrInt("keepdims", 1) != 0;
  BoolAttr keep = nc.b.getBoolAttr(keepdims), kept = nc.b.getBoolAttr(true);
  DenseI64ArrayAttr ax = nc.i64s(axes);
  FailureOr<Value> y;
  switch (R) {
  case Red::Mean:
    y = nc.create<nn::ReduceMeanOp>(*x, ax, keep);
    break;
  case Red::Sum:
    y = nc.create<nn::ReduceSumOp>(*x, ax, keep);
    break;
  case Red::Max:
    y = nc.create<nn::ReduceMaxOp>(*x, ax, keep);
    break;
  case Red::Min:
    y = nc.create<nn::ReduceMinOp>(*x, ax, keep);
    break;
  case Red::SumSquare:
  case Red::L2: {
    FailureOr<Value> sq = nc.createPart<nn::MulOp>("square", *x, *x);
    if (failed(sq))
      return failure();
    if (R == Red::SumSquare) {
      y = nc.create<nn::ReduceSumOp>(*sq, ax, keep);
      break;
    }
    FailureOr<Value> s = nc.createPart<nn::ReduceSumOp>("sum", *sq, ax, keep);
    if (failed(s))
      return failure();
    y = nc.create<nn::SqrtOp>(*s);
    break;
  }
  case Red::L1: {
    FailureOr<Value> a = nc.createPart<nn::AbsOp>("abs", *x);
    if (failed(a))
      return failure();
    y = nc.create<nn::ReduceSumOp>(*a, ax, keep);
    break;
  }
  case Red::LogSum: {
    FailureOr<Value> s = nc.createPart<nn::ReduceSumOp>("sum", *x, ax, keep);
    if (failed(s))
      return failure();
    y = nc.create<nn::LogOp>(*s);
    break;
  }
  case Red::LogSumExp: {
    // max + log(sum(exp(x - max))), the max kept as size-1 axes for the
    // subtraction and squeezed to the result's shape.
    FailureOr<Value> m = nc.createPart<nn::ReduceMaxOp>("max", *x, ax, kept);
    if (failed(m))
      return failure();
    FailureOr<Value> d = nc.createPart<nn::SubOp>("shifted", *x, *m);
    if (failed(d))
      return failure();
    FailureOr<Value> e = nc.createPart<nn::ExpOp>("exp", *d);
    if (failed(e))
      return failure();
    FailureOr<Value> s = nc.createPart<nn::ReduceSumOp>("sum", *e, ax, keep);
    if (failed(s))
      return failure();
    FailureOr<Value> l = nc.createPart<nn::LogOp>("log_sum", *s);
    if (failed(l))
      return failure();
    FailureOr<Value> mo =
        keepdims ? m : nc.createPart<nn::SqueezeOp>("max_out", *m, ax);
    if (failed(mo))
      return failure();
    y = nc.create<nn::AddOp>(*l, *mo);
    break;
  }
  }
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// ArgMax / ArgMin (`IsMax`): the first (or with select_last_index the
/// last) position of the extreme along `axis`, as float indices (exact up
/// to 2^24): where(x == extreme(x), arange, sentinel) reduced by min (or
/// max), each part at "<node>/<part>".
template <bool IsMax>
LogicalResult buildArgExtreme(NodeContext &nc) {
  if (failed(nc.checkAttrs({"axis", "keepdims", "select_last_index"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = NodeContext::shapeOf(*x);
  int64_t rank = xs.size();
  if (rank == 0)
    return nc.error() << "the input must have rank 1 or more";
  FailureOr<int64_t> axis = nc.normAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t extent = xs[*axis];
  if (ShapedType::isDynamic(extent))
    return nc.error() << "the axis has a dynamic extent; pin it with "
                         "--input-shape";
  if (extent > (int64_t(1) << 24))
    return nc.error() << "the axis is longer than 2^24 (float indices)";
  bool last = nc.attrInt("select_last_index", 0) != 0;
  auto keep = nc.b.getBoolAttr(true);
  auto ax = nc.i64s({*axis});
  FailureOr<Value> m =
      IsMax ? nc.createPart<nn::ReduceMaxOp>("extreme", *x, ax, keep)
            : nc.createPart<nn::ReduceMinOp>("extreme", *x, ax, keep);
  if (failed(m))
    return failure();
  FailureOr<Value> eq = nc.createPart<nn::EqualOp>("equal", *x, *m);
  // The extreme is NaN where a NaN is on the axis: those positions hit
  // (x != x), as numpy's argmax takes the first NaN.
  FailureOr<Value> self = nc.createPart<nn::EqualOp>("not_nan", *x, *x);
  FailureOr<Value> one = nc.floatConstant("one", {}, {1.0f});
  if (failed(eq) || failed(self) || failed(one))
    return failure();
  FailureOr<Value> nan = nc.createPart<nn::SubOp>("nan", *one, *self);
  if (failed(nan))
    return failure();
  FailureOr<Value> hit = nc.createPart<nn::MaxOp>("hit", *eq, *nan);
  if (failed(hit))
    return failure();
  // Positions along the axis, broadcast over the axes after it.
  SmallVector<int64_t> dims = {extent};
  dims.append(size_t(rank - 1 - *axis), 1);
  std::vector<float> pos(static_cast<size_t>(extent));
  for (int64_t i = 0; i < extent; ++i)
    pos[size_t(i)] = float(i);
  FailureOr<Value> idx = nc.floatConstant("positions", dims, std::move(pos));
  FailureOr<Value> none =
      nc.floatConstant("none", {}, {last ? -1.0f : float(extent)});
  if (failed(idx) || failed(none))
    return failure();
  FailureOr<Value> cand = nc.createPart<nn::WhereOp>("candidates", *hit,
                                                     *idx, *none);
  if (failed(cand))
    return failure();
  auto keepOut = nc.b.getBoolAttr(nc.attrInt("keepdims", 1) != 0);
  FailureOr<Value> y = last ? nc.create<nn::ReduceMaxOp>(*cand, ax, keepOut)
                            : nc.create<nn::ReduceMinOp>(*cand, ax, keepOut);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

//===----------------------------------------------------------------------===//
// Comparisons and Where
//===----------------------------------------------------------------------===//

enum class Cmp { Eq, Lt, Le, Gt, Ge };

template <Cmp C> LogicalResult buildCompare(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  auto holds = [](int64_t a, int64_t b) {
    switch (C) {
    case Cmp::Eq:
      return a == b;
    case Cmp::Lt:
      return a < b;
    case Cmp::Le:
      return a <= b;
    case Cmp::Gt:
      return a > b;
    case Cmp::Ge:
      return a >= b;
    }
    return false;
  };
  if (auto c = foldInts(
          {nc.constInput(0), nc.constInput(1)},
          [&](ArrayRef<int64_t> v) -> int64_t { return holds(v[0], v[1]); })) {
    c->dtype = onnx::TensorProto::BOOL;
    nc.setOutput(0, c);
    return success();
  }
  FailureOr<Value> a = nc.floatInput(0), b = nc.floatInput(1);
  if (failed(a) || failed(b))
    return failure();
  // a > b is b < a, a >= b is b <= a.
  FailureOr<Value> y;
  if constexpr (C == Cmp::Eq)
    y = nc.create<nn::EqualOp>(*a, *b);
  else if constexpr (C == Cmp::Lt)
    y = nc.create<nn::LessOp>(*a, *b);
  else if constexpr (C == Cmp::Le)
    y = nc.create<nn::LessEqualOp>(*a, *b);
  else if constexpr (C == Cmp::Gt)
    y = nc.create<nn::LessOp>(*b, *a);
  else
    y = nc.create<nn::LessEqualOp>(*b, *a);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildWhere(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  if (auto c =
          foldInts({nc.constInput(0), nc.constInput(1), nc.constInput(2)},
                   [](ArrayRef<int64_t> v) { return v[0] ? v[1] : v[2]; })) {
    nc.setOutput(0, c);
    return success();
  }
  // The condition as a float mask; X and Y are float data.
  FailureOr<Value> cond = nc.floatInput(0), x = nc.input(1), y = nc.input(2);
  if (failed(cond) || failed(x) || failed(y))
    return failure();
  FailureOr<Value> r = nc.create<nn::WhereOp>(*cond, *x, *y);
  if (failed(r))
    return failure();
  nc.setOutput(0, *r);
  return success();
}

const OpTableEntry kTable[] = {
    {"Equal", 7, 17, buildCompare<Cmp::Eq>},
    {"Greater", 7, 17, buildCompare<Cmp::Gt>},
    {"GreaterOrEqual", 12, 17, buildCompare<Cmp::Ge>},
    {"Less", 7, 17, buildCompare<Cmp::Lt>},
    {"LessOrEqual", 12, 17, buildCompare<Cmp::Le>},
    {"ArgMax", 1, 17, buildArgExtreme<true>},
    {"ArgMin", 1, 17, buildArgExtreme<false>},
    {"ReduceL1", 1, 17, buildReduce<Red::L1>},
    {"ReduceL2", 1, 17, buildReduce<Red::L2>},
    {"ReduceLogSum", 1, 17, buildReduce<Red::LogSum>},
    {"ReduceLogSumExp", 1, 17, buildReduce<Red::LogSumExp>},
    {"ReduceMax", 1, 17, buildReduce<Red::Max>},
    {"ReduceMean", 1, 17, buildReduce<Red::Mean>},
    {"ReduceMin", 1, 17, buildReduce<Red::Min>},
    {"ReduceSum", 1, 17, buildReduce<Red::Sum>},
    {"ReduceSumSquare", 1, 17, buildReduce<Red::SumSquare>},
    {"Where", 9, 17, buildWhere},
};
} // namespace

ArrayRef<OpTableEntry> dlp::onnximport::reduceLogicOpTable() { return kTable; }

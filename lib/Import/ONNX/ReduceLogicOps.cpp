//===- ReduceLogicOps.cpp - ONNX reductions, comparisons and Where --------===//
//
// ReduceMean / ReduceSum (/ ReduceSumSquare as mul + reduce_sum) become nn
// reductions over normalized axes. Comparisons and Where compute on float
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

/// ReduceMean / ReduceSum / ReduceSumSquare. Axes are an attribute, or
/// (ReduceSum from opset 13) an optional input with noop_with_empty_axes.
template <typename OpTy, bool Square = false>
LogicalResult buildReduce(NodeContext &nc) {
  bool axesInput =
      std::is_same_v<OpTy, nn::ReduceSumOp> && !Square && nc.opset() >= 13;
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
  for (int64_t &a : axes) {
    FailureOr<int64_t> n = nc.normAxis(a, rank);
    if (failed(n))
      return failure();
    a = *n;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return nc.error() << "axes name an axis twice";
  Value in = *x;
  if constexpr (Square) {
    FailureOr<Value> sq = nc.create<nn::MulOp>(*x, *x);
    if (failed(sq))
      return failure();
    in = *sq;
  }
  FailureOr<Value> y = nc.create<OpTy>(
      in, nc.i64s(axes), nc.b.getBoolAttr(nc.attrInt("keepdims", 1) != 0));
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
    {"ReduceMean", 1, 17, buildReduce<nn::ReduceMeanOp>},
    {"ReduceSum", 1, 17, buildReduce<nn::ReduceSumOp>},
    {"ReduceSumSquare", 1, 17, buildReduce<nn::ReduceSumOp, true>},
    {"ReduceMax", 1, 17, buildReduce<nn::ReduceMaxOp>},
    {"ReduceMin", 1, 17, buildReduce<nn::ReduceMinOp>},
    {"Where", 9, 17, buildWhere},
};
} // namespace

ArrayRef<OpTableEntry> dlp::onnximport::reduceLogicOpTable() { return kTable; }

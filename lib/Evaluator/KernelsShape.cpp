//===- KernelsShape.cpp - Concat, transpose, slice, pad -------------------===//

#include "Kernels.h"
#include "dlprt/kernels/Float.h"
#include "NN/NNShapes.h"

#include <cstring>

using namespace dlp;
using namespace dlp::eval;
using namespace dlp::eval::kernels;
using llvm::ArrayRef;
namespace shp = dlp::nn::shapes;

namespace {
/// Row-major strides of `shape`.
llvm::SmallVector<int64_t, 6> stridesOf(ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t, 6> s(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Calls fn(outIndex, multiIndex) over every element of `shape`.
template <typename Fn>
void forEachIndex(ArrayRef<int64_t> shape, Fn fn) {
  int64_t n = shp::numElements(shape);
  llvm::SmallVector<int64_t, 6> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(i, ArrayRef<int64_t>(idx));
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}
} // namespace

Tensor kernels::concat(int64_t axis, ArrayRef<Tensor> in, ExecContext &ctx) {
  llvm::SmallVector<ArrayRef<int64_t>> shapes;
  for (const Tensor &t : in)
    shapes.push_back(t.shape());
  shp::ShapeResult r = shp::concat(shapes, axis);
  if (!r.ok)
    return fail(ctx, r.error);
  Tensor y = Tensor::alloc(r.shape);
  int64_t outer = shp::numElements(ArrayRef<int64_t>(r.shape).take_front(axis));
  int64_t inner = shp::numElements(ArrayRef<int64_t>(r.shape).drop_front(axis + 1));
  std::vector<const float *> ins;
  std::vector<int64_t> rows;
  for (const Tensor &t : in) {
    ins.push_back(t.data());
    rows.push_back(t.dim(axis) * inner);
  }
  dlprt::kernels::concatRows(ins, rows, outer, y.mutableData());
  return y;
}

Tensor kernels::transpose(ArrayRef<int64_t> perm, const Tensor &x,
                          ExecContext &ctx) {
  shp::ShapeResult r = shp::transpose(x.shape(), perm);
  if (!r.ok)
    return fail(ctx, r.error);
  Tensor y = Tensor::alloc(r.shape);
  dlprt::kernels::transpose(
      x.data(), std::vector<int64_t>(x.shape().begin(), x.shape().end()),
      std::vector<int64_t>(perm.begin(), perm.end()), y.mutableData());
  return y;
}

Tensor kernels::slice(nn::SliceOp op, const Tensor &x, ExecContext &ctx) {
  shp::ShapeResult r = shp::slice(x.shape(), op.getStarts(), op.getEnds(),
                                  op.getAxes(), op.getSteps());
  if (!r.ok)
    return fail(ctx, r.error);
  int64_t rank = x.rank();
  llvm::SmallVector<int64_t, 6> start(rank, 0), step(rank, 1);
  for (size_t i = 0; i < op.getAxes().size(); ++i) {
    int64_t a = op.getAxes()[i];
    shp::SliceAxis s = shp::resolveSliceAxis(x.dim(a), op.getStarts()[i],
                                             op.getEnds()[i], op.getSteps()[i]);
    start[a] = s.start;
    step[a] = s.step;
  }
  Tensor y = Tensor::alloc(r.shape);
  dlprt::kernels::stridedSlice(
      x.data(), std::vector<int64_t>(x.shape().begin(), x.shape().end()),
      std::vector<int64_t>(start.begin(), start.end()),
      std::vector<int64_t>(step.begin(), step.end()), y.mutableData(),
      std::vector<int64_t>(r.shape.begin(), r.shape.end()));
  return y;
}

Tensor kernels::pad(nn::PadOp op, const Tensor &x, ExecContext &ctx) {
  shp::ShapeResult r = shp::pad(x.shape(), op.getPads());
  if (!r.ok)
    return fail(ctx, r.error);
  int64_t rank = x.rank();
  ArrayRef<int64_t> pads = op.getPads();
  llvm::StringRef mode = op.getMode();
  float value = op.getValue().convertToFloat();
  for (int64_t d = 0; d < rank; ++d)
    if (mode != "constant" && x.dim(d) == 0 && r.shape[d] > 0)
      return fail(ctx, "cannot " + mode.str() + "-pad an empty axis");
  Tensor y = Tensor::alloc(r.shape);
  llvm::SmallVector<int64_t, 6> st = stridesOf(x.shape());
  const float *xd = x.data();
  float *yd = y.mutableData();
  forEachIndex(r.shape, [&](int64_t o, ArrayRef<int64_t> idx) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t i = idx[d] - pads[d], n = x.dim(d);
      if (i < 0 || i >= n) {
        if (mode == "constant") {
          yd[o] = value;
          return;
        }
        if (mode == "edge") {
          i = i < 0 ? 0 : n - 1;
        } else { // reflect (without repeating the edge)
          int64_t period = 2 * (n - 1);
          if (period == 0) {
            i = 0;
          } else {
            i = ((i % period) + period) % period;
            if (i >= n)
              i = period - i;
          }
        }
      }
      off += i * st[d];
    }
    yd[o] = xd[off];
  });
  return y;
}

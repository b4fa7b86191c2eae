//===- KernelsShape.cpp - Concat, transpose, slice, pad -------------------===//

#include "Kernels.h"
#include "dlprt/kernels/Float.h"
#include "dlprt/kernels/FloatLinalg.h"
#include "NN/NNShapes.h"

#include <cstring>

using namespace dlp;
using namespace dlp::eval;
using namespace dlp::eval::kernels;
using llvm::ArrayRef;
namespace shp = dlp::nn::shapes;
namespace rk = dlprt::kernels;

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
  auto m = mode == "constant" ? rk::FloatPadMode::Constant
           : mode == "edge"   ? rk::FloatPadMode::Edge
                              : rk::FloatPadMode::Reflect;
  Tensor y = Tensor::alloc(r.shape);
  rk::floatPad(x.data(), x.shape(), pads, m, value, y.mutableData());
  return y;
}

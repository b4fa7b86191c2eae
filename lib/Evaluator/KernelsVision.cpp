//===- KernelsVision.cpp - Reductions, where, expand, resize, deconv ------===//
//
// Shapes come from NNShapes; the arithmetic is the runtime's float kernels
// (dlprt/kernels/FloatVision.h).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "NN/NNShapes.h"
#include "dlprt/kernels/FloatVision.h"


using namespace dlp;
using namespace dlp::eval;
using namespace dlp::eval::kernels;
using llvm::ArrayRef;
namespace shp = dlp::nn::shapes;
namespace rk = dlprt::kernels;

Tensor kernels::reduce(ArrayRef<int64_t> axes, bool keepDims,
                       rk::FloatReduceOp op,
                       const Tensor &x, ExecContext &ctx) {
  shp::ShapeResult r = shp::reduce(x.shape(), axes, keepDims);
  if (!r.ok)
    return fail(ctx, r.error);
  Tensor y = Tensor::alloc(r.shape);
  rk::floatReduce(x.data(), x.shape(), axes, op, y.mutableData());
  return y;
}

Tensor kernels::expand(ArrayRef<int64_t> shape, const Tensor &x,
                       ExecContext &ctx) {
  shp::ShapeResult r = shp::broadcast(x.shape(), shape);
  if (!r.ok)
    return fail(ctx, r.error);
  Tensor y = Tensor::alloc(r.shape);
  rk::floatExpand(x.data(), x.shape(), r.shape, y.mutableData());
  return y;
}

Tensor kernels::where(ArrayRef<Tensor> in, ExecContext &ctx) {
  shp::ShapeResult r =
      shp::broadcast3(in[0].shape(), in[1].shape(), in[2].shape());
  if (!r.ok)
    return fail(ctx, r.error);
  Tensor y = Tensor::alloc(r.shape);
  rk::floatWhere(in[0].data(), in[0].shape(), in[1].data(), in[1].shape(),
                 in[2].data(), in[2].shape(), r.shape, y.mutableData());
  return y;
}

Tensor kernels::resize(nn::ResizeOp op, const Tensor &x, ExecContext &ctx) {
  shp::ShapeResult r = shp::resize(x.shape(), op.getSizes(), op.getScales());
  if (!r.ok)
    return fail(ctx, r.error);
  rk::ResizeParams p;
  rk::setResizeModes(p, op.getMode(), op.getCoordinateTransformationMode(),
                     op.getNearestMode());
  p.cubicA = op.getCubicCoeffA().convertToFloat();
  p.excludeOutside = op.getExcludeOutside();
  p.roi = op.getRoi();
  p.extrapolation = op.getExtrapolationValue().convertToFloat();
  // A dynamic extent (scale 1, checked by the shape rule) is the input's.
  shp::Shape out(r.shape);
  for (size_t d = 0; d < out.size(); ++d)
    if (out[d] == shp::kDynamic)
      out[d] = x.dim(d);
  Tensor y = Tensor::alloc(out);
  rk::floatResize(x.data(), x.shape(), out, op.getScales(), p, y.mutableData());
  return y;
}

Tensor kernels::convTranspose(nn::ConvTransposeOp op, ArrayRef<Tensor> in,
                              ExecContext &ctx) {
  const Tensor &x = in[0], &w = in[1];
  int64_t group = static_cast<int64_t>(op.getGroup());
  shp::ShapeResult r =
      shp::convTranspose(x.shape(), w.shape(), op.getStrides(), op.getPads(),
                         op.getDilations(), op.getOutputPadding(), group);
  if (!r.ok)
    return fail(ctx, r.error);
  const float *bias = in.size() > 2 && !in[2].isNull() ? in[2].data() : nullptr;
  Tensor y = Tensor::alloc(r.shape);
  rk::floatConvTranspose(x.data(), x.shape(), w.data(), w.shape(), bias,
                         op.getStrides(), op.getPads(), op.getDilations(),
                         group, y.mutableData(), r.shape, ctx.numThreads);
  return y;
}

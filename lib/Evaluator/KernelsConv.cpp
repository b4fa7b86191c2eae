//===- KernelsConv.cpp - Convolution and pooling kernels ------------------===//
//
// Shapes come from NNShapes; the arithmetic is the runtime's float kernels
// (dlprt/kernels/FloatConv.h), which the host float segments share.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "NN/NNShapes.h"
#include "dlprt/kernels/FloatConv.h"

using namespace dlp::eval;
using namespace dlp::eval::kernels;
using llvm::ArrayRef;
namespace shp = dlp::nn::shapes;
namespace rk = dlprt::kernels;

namespace {
/// The output of a pool over `x` and its window; a null tensor (and
/// ctx.error) on a shape error.
Tensor poolOutput(const Tensor &x, ArrayRef<int64_t> kernel,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                  ArrayRef<int64_t> dilations, bool ceil, ExecContext &ctx,
                  rk::FloatWindow &w) {
  shp::ShapeResult r =
      shp::pool(x.shape(), kernel, strides, pads, dilations, ceil);
  if (!r.ok)
    return fail(ctx, r.error);
  if (!rk::makeFloatWindow(x.shape(), kernel, strides, pads, dilations,
                           r.shape, w))
    return fail(ctx, "only 1-3 spatial dimensions are supported");
  return Tensor::alloc(r.shape);
}
} // namespace

Tensor kernels::conv(nn::ConvOp op, ArrayRef<Tensor> in, ExecContext &ctx) {
  const Tensor &x = in[0], &wt = in[1];
  int64_t group = static_cast<int64_t>(op.getGroup());
  shp::ShapeResult r = shp::conv(x.shape(), wt.shape(), op.getStrides(),
                                 op.getPads(), op.getDilations(), group);
  if (!r.ok)
    return fail(ctx, r.error);
  rk::FloatWindow w;
  if (!rk::makeFloatWindow(x.shape(), wt.shape().drop_front(2),
                           op.getStrides(), op.getPads(), op.getDilations(),
                           r.shape, w))
    return fail(ctx, "only 1-3 spatial dimensions are supported");
  Tensor y = Tensor::alloc(r.shape);
  const float *bias = in.size() > 2 && !in[2].isNull() ? in[2].data() : nullptr;
  rk::floatConv(x.data(), x.dim(0), x.dim(1), wt.data(), wt.dim(0), group,
                bias, w, y.mutableData(), ctx.numThreads);
  return y;
}

Tensor kernels::maxPool(nn::MaxPoolOp op, const Tensor &x, ExecContext &ctx) {
  rk::FloatWindow w;
  Tensor y = poolOutput(x, op.getKernelShape(), op.getStrides(), op.getPads(),
                        op.getDilations(), op.getCeilMode(), ctx, w);
  if (!y.isNull())
    rk::floatMaxPool(x.data(), x.dim(0) * x.dim(1), w, y.mutableData(),
                     ctx.numThreads);
  return y;
}

Tensor kernels::avgPool(nn::AvgPoolOp op, const Tensor &x, ExecContext &ctx) {
  rk::FloatWindow w;
  Tensor y = poolOutput(x, op.getKernelShape(), op.getStrides(), op.getPads(),
                        {}, op.getCeilMode(), ctx, w);
  if (!y.isNull())
    rk::floatAvgPool(x.data(), x.dim(0) * x.dim(1), w,
                     op.getCountIncludePad(), y.mutableData(),
                     ctx.numThreads);
  return y;
}

Tensor kernels::globalAvgPool(const Tensor &x, ExecContext &ctx) {
  shp::ShapeResult r = shp::globalPool(x.shape());
  if (!r.ok)
    return fail(ctx, r.error);
  Tensor y = Tensor::alloc(r.shape);
  int64_t planes = x.dim(0) * x.dim(1);
  int64_t size = x.numElements() / std::max<int64_t>(planes, 1);
  rk::floatGlobalAvgPool(x.data(), planes, size, y.mutableData(),
                         ctx.numThreads);
  return y;
}

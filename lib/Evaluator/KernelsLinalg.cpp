//===- KernelsLinalg.cpp - Gemm, matmul, fully-connected, normalization ---===//
//
// Shapes come from NNShapes; the arithmetic is the runtime's float kernels
// (dlprt/kernels/FloatLinalg.h), which the host float segments share. Under
// ExecContext::imageByImage the matrix products run row by row, as the
// host segments of a program that runs one image at a time do.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "NN/NNShapes.h"
#include "dlprt/kernels/Float.h"
#include "dlprt/kernels/FloatLinalg.h"

using namespace dlp;
using namespace dlp::eval;
using namespace dlp::eval::kernels;
using llvm::ArrayRef;
namespace shp = dlp::nn::shapes;
namespace rk = dlprt::kernels;

namespace {
/// Runs fn(row0, rows) over the `rows` rows of a product: at once, or one
/// row at a time under ctx.imageByImage.
template <typename Fn> void byRows(ExecContext &ctx, int64_t rows, Fn fn) {
  if (!ctx.imageByImage || rows <= 1)
    return fn(0, rows);
  for (int64_t i = 0; i < rows; ++i)
    fn(i, 1);
}
} // namespace

Tensor kernels::gemm(nn::GemmOp op, ArrayRef<Tensor> in, ExecContext &ctx) {
  const Tensor &a = in[0], &b = in[1];
  bool ta = op.getTransA(), tb = op.getTransB();
  ArrayRef<int64_t> cShape;
  bool hasC = in.size() > 2 && !in[2].isNull();
  if (hasC)
    cShape = in[2].shape();
  shp::ShapeResult r = shp::gemm(a.shape(), b.shape(), hasC ? &cShape : nullptr,
                                 ta, tb);
  if (!r.ok)
    return fail(ctx, r.error);
  int64_t m = r.shape[0], n = r.shape[1], k = ta ? a.dim(0) : a.dim(1);
  Tensor y = Tensor::alloc(r.shape);
  float alpha = op.getAlpha().convertToFloat(),
        beta = op.getBeta().convertToFloat();
  // Row i of a transposed A is a column: no row split then.
  bool rowsOfC = hasC && cShape.size() == 2 && cShape[0] != 1;
  auto rows = [&](int64_t i0, int64_t count) {
    llvm::SmallVector<int64_t, 2> cs(cShape);
    if (rowsOfC && count != m)
      cs[0] = count;
    rk::floatGemm(a.data() + (ta ? 0 : i0 * k), b.data(),
                  hasC ? in[2].data() + (rowsOfC ? i0 * cShape[1] : 0)
                       : nullptr,
                  cs, ta, tb, count, n, k, alpha, beta,
                  y.mutableData() + i0 * n, ctx.numThreads);
  };
  if (ta)
    rows(0, m);
  else
    byRows(ctx, m, rows);
  return y;
}

Tensor kernels::matmul(const Tensor &a, const Tensor &b, ExecContext &ctx) {
  shp::ShapeResult r = shp::matmul(a.shape(), b.shape());
  if (!r.ok)
    return fail(ctx, r.error);
  Tensor y = Tensor::alloc(r.shape);
  if (a.rank() != 2 || b.rank() > 2) {
    rk::floatMatMul(a.data(), a.shape(), b.data(), b.shape(), y.mutableData(),
                    ctx.numThreads);
    return y;
  }
  // A 2-D left operand: its rows are independent.
  int64_t k = a.dim(1), n = b.rank() == 2 ? b.dim(1) : 1;
  byRows(ctx, a.dim(0), [&](int64_t i0, int64_t count) {
    int64_t shapeA[2] = {count, k};
    rk::floatMatMul(a.data() + i0 * k, shapeA, b.data(), b.shape(),
                    y.mutableData() + i0 * n, ctx.numThreads);
  });
  return y;
}

Tensor kernels::fullyConnected(ArrayRef<Tensor> in, ExecContext &ctx) {
  const Tensor &x = in[0], &w = in[1];
  bool hasBias = in.size() > 2 && !in[2].isNull();
  ArrayRef<int64_t> bShape;
  if (hasBias)
    bShape = in[2].shape();
  shp::ShapeResult r = shp::fullyConnected(x.shape(), w.shape(),
                                           hasBias ? &bShape : nullptr);
  if (!r.ok)
    return fail(ctx, r.error);
  int64_t n = r.shape[0], p = r.shape[1], k = w.dim(1);
  Tensor y = Tensor::alloc(r.shape);
  byRows(ctx, n, [&](int64_t i0, int64_t count) {
    rk::floatFullyConnected(x.data() + i0 * k, count, k, w.data(), p,
                            hasBias ? in[2].data() : nullptr,
                            y.mutableData() + i0 * p, ctx.numThreads);
  });
  return y;
}

Tensor kernels::softmax(int64_t axis, const Tensor &x, ExecContext &ctx) {
  int64_t outer = 1, inner = 1, len = x.dim(axis);
  for (int64_t i = 0; i < axis; ++i)
    outer *= x.dim(i);
  for (int64_t i = axis + 1; i < x.rank(); ++i)
    inner *= x.dim(i);
  Tensor y = Tensor::alloc(x.shape());
  const float *xd = x.data();
  float *yd = y.mutableData();
  parallelFor(ctx, outer * inner, [&](int64_t lo, int64_t hi) {
    rk::softmaxLines(xd, yd, len, inner, lo, hi);
  });
  return y;
}

Tensor kernels::lrn(nn::LRNOp op, const Tensor &x, ExecContext &ctx) {
  int64_t n = x.dim(0), c = x.dim(1), plane = x.numElements() / (n * c);
  Tensor y = Tensor::alloc(x.shape());
  rk::floatLRN(x.data(), n, c, plane, static_cast<int64_t>(op.getSize()),
               op.getAlpha().convertToFloat(), op.getBeta().convertToFloat(),
               op.getBias().convertToFloat(), y.mutableData(), ctx.numThreads);
  return y;
}

Tensor kernels::batchNorm(nn::BatchNormOp op, ArrayRef<Tensor> in,
                          ExecContext &ctx) {
  const Tensor &x = in[0];
  int64_t n = x.dim(0), c = x.dim(1), plane = x.numElements() / (n * c);
  Tensor y = Tensor::alloc(x.shape());
  rk::floatBatchNorm(x.data(), n, c, plane, in[1].data(), in[2].data(),
                     in[3].data(), in[4].data(),
                     op.getEpsilon().convertToFloat(), y.mutableData(),
                     ctx.numThreads);
  return y;
}

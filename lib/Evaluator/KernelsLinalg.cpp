//===- KernelsLinalg.cpp - Gemm, matmul, fully-connected, normalization ---===//

#include "Kernels.h"
#include "dlprt/kernels/Float.h"
#include "NN/NNShapes.h"
#include "dlp/Evaluator/Gemm.h"

#include <cmath>
#include <vector>

using namespace dlp;
using namespace dlp::eval;
using namespace dlp::eval::kernels;
using llvm::ArrayRef;
namespace shp = dlp::nn::shapes;

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
  float *yd = y.mutableData();
  float beta = op.getBeta().convertToFloat();
  if (hasC) {
    // Broadcast beta * C into the output, then accumulate.
    const Tensor &c = in[2];
    int64_t cr = c.rank() == 2 ? c.dim(0) : 1;
    int64_t cc = c.rank() >= 1 ? c.dim(c.rank() - 1) : 1;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        yd[i * n + j] =
            beta * c.data()[(cr == 1 ? 0 : i) * cc + (cc == 1 ? 0 : j)];
  }
  sgemm(ta, tb, m, n, k, op.getAlpha().convertToFloat(), a.data(), a.dim(1),
        b.data(), b.dim(1), hasC ? 1.0f : 0.0f, yd, n, ctx.numThreads);
  return y;
}

Tensor kernels::matmul(const Tensor &a, const Tensor &b, ExecContext &ctx) {
  shp::ShapeResult r = shp::matmul(a.shape(), b.shape());
  if (!r.ok)
    return fail(ctx, r.error);
  // Promote 1-D operands, then broadcast the batch dimensions.
  llvm::SmallVector<int64_t, 6> sa(a.shape()), sb(b.shape());
  if (sa.size() == 1)
    sa.insert(sa.begin(), 1);
  if (sb.size() == 1)
    sb.push_back(1);
  int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  shp::ShapeResult batch = shp::broadcast(ArrayRef<int64_t>(sa).drop_back(2),
                                          ArrayRef<int64_t>(sb).drop_back(2));
  Tensor y = Tensor::alloc(r.shape);
  int64_t batches = shp::numElements(batch.shape);
  int64_t rank = batch.shape.size();
  auto offset = [&](ArrayRef<int64_t> s, int64_t idx, int64_t mat) {
    int64_t off = 0, stride = 1;
    int64_t srank = s.size() - 2;
    for (int64_t d = rank - 1, sd = srank - 1; d >= 0; --d, --sd) {
      int64_t i = idx % batch.shape[d];
      idx /= batch.shape[d];
      if (sd >= 0) {
        if (s[sd] != 1)
          off += i * stride;
        stride *= s[sd];
      }
    }
    return off * mat;
  };
  for (int64_t i = 0; i < batches; ++i)
    sgemm(false, false, m, n, k, 1.0f, a.data() + offset(sa, i, m * k), k,
          b.data() + offset(sb, i, k * n), n, 0.0f,
          y.mutableData() + i * m * n, n, ctx.numThreads);
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
  float *yd = y.mutableData();
  if (hasBias)
    for (int64_t i = 0; i < n; ++i)
      std::copy(in[2].data(), in[2].data() + p, yd + i * p);
  sgemm(false, true, n, p, k, 1.0f, x.data(), k, w.data(), k,
        hasBias ? 1.0f : 0.0f, yd, p, ctx.numThreads);
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
    dlprt::kernels::softmaxLines(xd, yd, len, inner, lo, hi);
  });
  return y;
}

Tensor kernels::lrn(nn::LRNOp op, const Tensor &x, ExecContext &ctx) {
  int64_t n = x.dim(0), c = x.dim(1), plane = x.numElements() / (n * c);
  int64_t size = static_cast<int64_t>(op.getSize());
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  float alpha = op.getAlpha().convertToFloat(),
        beta = op.getBeta().convertToFloat(),
        bias = op.getBias().convertToFloat();
  Tensor y = Tensor::alloc(x.shape());
  const float *xd = x.data();
  float *yd = y.mutableData();
  parallelFor(ctx, n * c, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t img = t / c, ch = t % c;
      int64_t c0 = std::max<int64_t>(0, ch - before),
              c1 = std::min<int64_t>(c - 1, ch + after);
      for (int64_t p = 0; p < plane; ++p) {
        float sq = 0;
        for (int64_t k = c0; k <= c1; ++k) {
          float v = xd[(img * c + k) * plane + p];
          sq += v * v;
        }
        float v = xd[t * plane + p];
        yd[t * plane + p] = v / std::pow(bias + alpha / size * sq, beta);
      }
    }
  });
  return y;
}

Tensor kernels::batchNorm(nn::BatchNormOp op, ArrayRef<Tensor> in,
                          ExecContext &ctx) {
  const Tensor &x = in[0];
  int64_t n = x.dim(0), c = x.dim(1), plane = x.numElements() / (n * c);
  float eps = op.getEpsilon().convertToFloat();
  std::vector<float> scale(c), shift(c);
  for (int64_t i = 0; i < c; ++i) {
    double s = in[1].data()[i] / std::sqrt(double(in[4].data()[i]) + eps);
    scale[i] = static_cast<float>(s);
    shift[i] = static_cast<float>(in[2].data()[i] - in[3].data()[i] * s);
  }
  Tensor y = Tensor::alloc(x.shape());
  const float *xd = x.data();
  float *yd = y.mutableData();
  parallelFor(ctx, n * c, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      float s = scale[t % c], b = shift[t % c];
      for (int64_t p = 0; p < plane; ++p)
        yd[t * plane + p] = xd[t * plane + p] * s + b;
    }
  });
  return y;
}

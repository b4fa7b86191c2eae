//===- FloatLinalg.cpp - Float gemm, matmul, normalization, pad -----------===//

#include "dlprt/kernels/FloatLinalg.h"

#include "dlprt/kernels/FloatGemm.h"
#include "dlprt/kernels/Parallel.h"

#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace dlprt;
using namespace dlprt::kernels;
using llvm::ArrayRef;

void kernels::floatGemm(const float *a, const float *b, const float *c,
                        ArrayRef<int64_t> cShape, bool transA, bool transB,
                        int64_t m, int64_t n, int64_t k, float alpha,
                        float beta, float *y, int64_t threads) {
  if (c) {
    // Broadcast beta * C into the output, then accumulate.
    int64_t rank = int64_t(cShape.size());
    int64_t cr = rank == 2 ? cShape[0] : 1;
    int64_t cc = rank >= 1 ? cShape[rank - 1] : 1;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        y[i * n + j] = beta * c[(cr == 1 ? 0 : i) * cc + (cc == 1 ? 0 : j)];
  }
  sgemm(transA, transB, m, n, k, alpha, a, transA ? m : k, b,
        transB ? k : n, c ? 1.0f : 0.0f, y, n, threads);
}

void kernels::floatMatMul(const float *a, ArrayRef<int64_t> shapeA,
                          const float *b, ArrayRef<int64_t> shapeB, float *y,
                          int64_t threads) {
  // Promote 1-D operands, then broadcast the batch dimensions.
  llvm::SmallVector<int64_t, 8> sa(shapeA), sb(shapeB);
  if (sa.size() == 1)
    sa.insert(sa.begin(), 1);
  if (sb.size() == 1)
    sb.push_back(1);
  int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  size_t ra = sa.size() - 2, rb = sb.size() - 2, rank = std::max(ra, rb);
  llvm::SmallVector<int64_t, 8> batch(rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    int64_t da = d + ra >= rank ? sa[d + ra - rank] : 1;
    int64_t db = d + rb >= rank ? sb[d + rb - rank] : 1;
    batch[d] = da == 1 ? db : da;
  }
  int64_t batches = 1;
  for (int64_t e : batch)
    batches *= e;
  auto offset = [&](ArrayRef<int64_t> s, int64_t idx, int64_t mat) {
    int64_t off = 0, stride = 1;
    int64_t srank = s.size() - 2;
    for (int64_t d = int64_t(rank) - 1, sd = srank - 1; d >= 0; --d, --sd) {
      int64_t i = idx % batch[d];
      idx /= batch[d];
      if (sd >= 0) {
        if (s[sd] != 1)
          off += i * stride;
        stride *= s[sd];
      }
    }
    return off * mat;
  };
  for (int64_t i = 0; i < batches; ++i)
    sgemm(false, false, m, n, k, 1.0f, a + offset(sa, i, m * k), k,
          b + offset(sb, i, k * n), n, 0.0f, y + i * m * n, n, threads);
}

void kernels::floatFullyConnected(const float *x, int64_t n, int64_t k,
                                  const float *w, int64_t p, const float *bias,
                                  float *y, int64_t threads) {
  if (bias)
    for (int64_t i = 0; i < n; ++i)
      std::copy(bias, bias + p, y + i * p);
  sgemm(false, true, n, p, k, 1.0f, x, k, w, k, bias ? 1.0f : 0.0f, y, p,
        threads);
}

void kernels::floatLRN(const float *x, int64_t n, int64_t c, int64_t plane,
                       int64_t size, float alpha, float beta, float bias,
                       float *y, int64_t threads) {
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  parallelForRange(threads, n * c, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t img = t / c, ch = t % c;
      int64_t c0 = std::max<int64_t>(0, ch - before),
              c1 = std::min<int64_t>(c - 1, ch + after);
      for (int64_t p = 0; p < plane; ++p) {
        float sq = 0;
        for (int64_t k = c0; k <= c1; ++k) {
          float v = x[(img * c + k) * plane + p];
          sq += v * v;
        }
        float v = x[t * plane + p];
        y[t * plane + p] = v / std::pow(bias + alpha / size * sq, beta);
      }
    }
  });
}

void kernels::floatBatchNorm(const float *x, int64_t n, int64_t c,
                             int64_t plane, const float *scale,
                             const float *bias, const float *mean,
                             const float *var, float eps, float *y,
                             int64_t threads) {
  std::vector<float> s(c), shift(c);
  for (int64_t i = 0; i < c; ++i) {
    double v = scale[i] / std::sqrt(double(var[i]) + eps);
    s[i] = static_cast<float>(v);
    shift[i] = static_cast<float>(bias[i] - mean[i] * v);
  }
  parallelForRange(threads, n * c, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      float sc = s[t % c], b = shift[t % c];
      for (int64_t p = 0; p < plane; ++p)
        y[t * plane + p] = x[t * plane + p] * sc + b;
    }
  });
}

void kernels::floatPad(const float *x, ArrayRef<int64_t> shape,
                       ArrayRef<int64_t> pads, FloatPadMode mode, float value,
                       float *y) {
  int64_t rank = int64_t(shape.size());
  llvm::SmallVector<int64_t, 8> st(rank, 1), out(rank), idx(rank, 0);
  for (int64_t d = rank - 2; d >= 0; --d)
    st[d] = st[d + 1] * shape[d + 1];
  int64_t total = 1;
  for (int64_t d = 0; d < rank; ++d) {
    out[d] = shape[d] + pads[d] + pads[rank + d];
    total *= out[d];
  }
  for (int64_t o = 0; o < total; ++o) {
    int64_t off = 0;
    bool inside = true;
    for (int64_t d = 0; d < rank && inside; ++d) {
      int64_t i = idx[d] - pads[d], n = shape[d];
      if (i < 0 || i >= n) {
        if (mode == FloatPadMode::Constant) {
          inside = false;
          break;
        }
        if (mode == FloatPadMode::Edge) {
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
    y[o] = inside ? x[off] : value;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < out[d])
        break;
      idx[d] = 0;
    }
  }
}

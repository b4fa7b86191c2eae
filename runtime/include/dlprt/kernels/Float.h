//===- Float.h - Float element-wise kernels (one definition) ----*- C++ -*-===//
//
// The float functions that stay off the integer path: activations, the
// broadcasting arithmetic and softmax. The float evaluator (lib/Evaluator)
// and the runtime's host float segments both use these definitions, so a
// host segment computes what the evaluator computes, bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_FLOAT_H
#define DLPRT_KERNELS_FLOAT_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace dlprt::kernels {

/// Element-wise float functions (HostOpKind::FloatUnary params[0]).
enum class FloatUnaryOp : int64_t {
  Relu = 0,
  Sigmoid = 1,
  Clip = 2,        ///< a = lo, b = hi
  HardSigmoid = 3, ///< a = alpha, b = beta
  LeakyRelu = 4,   ///< a = alpha
  Neg = 5,
  Abs = 6,
  Exp = 7,
  Log = 8,
  Sqrt = 9,
  Tanh = 10,
  Reciprocal = 11,
  Erf = 12,
  NumOps
};

inline float relu(float v) { return v > 0.0f ? v : 0.0f; }
inline float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }
inline float clip(float v, float lo, float hi) {
  return std::isnan(v) ? v : std::min(std::max(v, lo), hi);
}
inline float hardSigmoid(float v, float alpha, float beta) {
  return std::max(0.0f, std::min(1.0f, alpha * v + beta));
}
inline float leakyRelu(float v, float alpha) { return v >= 0 ? v : alpha * v; }

/// f(v) for one op (a, b: its parameters).
inline float floatUnary(FloatUnaryOp op, float a, float b, float v) {
  switch (op) {
  case FloatUnaryOp::Relu:
    return relu(v);
  case FloatUnaryOp::Sigmoid:
    return sigmoid(v);
  case FloatUnaryOp::Clip:
    return clip(v, a, b);
  case FloatUnaryOp::HardSigmoid:
    return hardSigmoid(v, a, b);
  case FloatUnaryOp::LeakyRelu:
    return leakyRelu(v, a);
  case FloatUnaryOp::Neg:
    return -v;
  case FloatUnaryOp::Abs:
    return std::fabs(v);
  case FloatUnaryOp::Exp:
    return std::exp(v);
  case FloatUnaryOp::Log:
    return std::log(v);
  case FloatUnaryOp::Sqrt:
    return std::sqrt(v);
  case FloatUnaryOp::Tanh:
    return std::tanh(v);
  case FloatUnaryOp::Reciprocal:
    return 1.0f / v;
  case FloatUnaryOp::Erf:
    return std::erf(v);
  case FloatUnaryOp::NumOps:
    break;
  }
  return v;
}

/// Broadcasting arithmetic (HostOpKind::FloatBinary params[0]).
enum class FloatBinaryOp : int64_t {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Div = 3,
  Max = 4,
  Min = 5,
  Pow = 6,
  Equal = 7,     // 1.0f or 0.0f (the nn dialect's bool masks)
  Less = 8,
  LessEqual = 9,
  NumOps
};

inline float floatBinary(FloatBinaryOp op, float u, float v) {
  switch (op) {
  case FloatBinaryOp::Add:
    return u + v;
  case FloatBinaryOp::Sub:
    return u - v;
  case FloatBinaryOp::Mul:
    return u * v;
  case FloatBinaryOp::Div:
    return u / v;
  case FloatBinaryOp::Max:
    return std::max(u, v);
  case FloatBinaryOp::Min:
    return std::min(u, v);
  case FloatBinaryOp::Pow:
    return std::pow(u, v);
  case FloatBinaryOp::Equal:
    return u == v ? 1.0f : 0.0f;
  case FloatBinaryOp::Less:
    return u < v ? 1.0f : 0.0f;
  case FloatBinaryOp::LessEqual:
    return u <= v ? 1.0f : 0.0f;
  case FloatBinaryOp::NumOps:
    break;
  }
  return u;
}

/// Rows [r0, r1) of y = f(a, b) broadcast to `out` (numpy rules: shapes
/// aligned at the end, size-1 dimensions repeat). A row is the innermost
/// dimension of `out`; `f(u, v)` is applied element by element.
template <typename Fn>
void broadcastRows(const float *a, const std::vector<int64_t> &shapeA,
                   const float *b, const std::vector<int64_t> &shapeB,
                   float *y, const std::vector<int64_t> &out, int64_t r0,
                   int64_t r1, Fn f) {
  int64_t rank = int64_t(out.size());
  std::vector<int64_t> sa(rank, 0), sb(rank, 0);
  auto strides = [&](const std::vector<int64_t> &s, std::vector<int64_t> &st) {
    int64_t acc = 1;
    for (int64_t i = int64_t(s.size()) - 1, o = rank - 1; i >= 0; --i, --o) {
      st[o] = s[i] == 1 ? 0 : acc;
      acc *= s[i];
    }
  };
  strides(shapeA, sa);
  strides(shapeB, sb);
  if (rank == 0) {
    y[0] = f(a[0], b[0]);
    return;
  }
  int64_t inner = out[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
  for (int64_t r = r0; r < r1; ++r) {
    int64_t rem = r, offA = 0, offB = 0;
    for (int64_t d = rank - 2; d >= 0; --d) {
      int64_t idx = rem % out[d];
      rem /= out[d];
      offA += idx * sa[d];
      offB += idx * sb[d];
    }
    float *row = y + r * inner;
    const float *pa = a + offA, *pb = b + offB;
    for (int64_t i = 0; i < inner; ++i)
      row[i] = f(pa[i * ia], pb[i * ib]);
  }
}

/// Softmax along an axis of `len` elements `inner` apart, for the lines
/// [t0, t1) of the outer x inner lines (line t starts at
/// (t / inner) * len * inner + t % inner).
inline void softmaxLines(const float *x, float *y, int64_t len,
                         int64_t inner, int64_t t0, int64_t t1) {
  for (int64_t t = t0; t < t1; ++t) {
    int64_t o = t / inner, i = t % inner;
    const float *src = x + o * len * inner + i;
    float *dst = y + o * len * inner + i;
    float mx = -INFINITY;
    for (int64_t j = 0; j < len; ++j)
      mx = std::max(mx, src[j * inner]);
    double sum = 0;
    for (int64_t j = 0; j < len; ++j) {
      float e = std::exp(src[j * inner] - mx);
      dst[j * inner] = e;
      sum += e;
    }
    float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < len; ++j)
      dst[j * inner] *= inv;
  }
}

/// Concatenation of row-major tensors along an axis: input i contributes
/// `rows[i]` = (its extent on the axis) x inner contiguous floats per outer
/// index.
inline void concatRows(const std::vector<const float *> &ins,
                       const std::vector<int64_t> &rows, int64_t outer,
                       float *y) {
  int64_t outRow = 0;
  for (int64_t r : rows)
    outRow += r;
  int64_t off = 0;
  for (size_t i = 0; i < ins.size(); ++i) {
    for (int64_t o = 0; o < outer; ++o)
      std::copy(ins[i] + o * rows[i], ins[i] + (o + 1) * rows[i],
                y + o * outRow + off);
    off += rows[i];
  }
}

/// y = x with its axes permuted: y's axis d is x's axis perm[d] (row-major).
inline void transpose(const float *x, const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &perm, float *y) {
  size_t rank = shape.size();
  std::vector<int64_t> inStride(rank, 1), src(rank), out(rank), idx(rank, 0);
  for (size_t d = rank; d-- > 1;)
    inStride[d - 1] = inStride[d] * shape[d];
  int64_t n = 1;
  for (size_t d = 0; d < rank; ++d) {
    src[d] = inStride[perm[d]];
    out[d] = shape[perm[d]];
    n *= out[d];
  }
  for (int64_t o = 0; o < n; ++o) {
    int64_t off = 0;
    for (size_t d = 0; d < rank; ++d)
      off += idx[d] * src[d];
    y[o] = x[off];
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < out[d])
        break;
      idx[d] = 0;
    }
  }
}

/// Strided slice: y's index i along axis d reads x's start[d] + i * step[d]
/// (row-major; the caller keeps every read index inside x).
inline void stridedSlice(const float *x, const std::vector<int64_t> &inShape,
                         const std::vector<int64_t> &start,
                         const std::vector<int64_t> &step, float *y,
                         const std::vector<int64_t> &outShape) {
  size_t rank = inShape.size();
  std::vector<int64_t> st(rank, 1), idx(rank, 0);
  for (size_t d = rank; d-- > 1;)
    st[d - 1] = st[d] * inShape[d];
  int64_t n = 1;
  for (int64_t e : outShape)
    n *= e;
  for (int64_t o = 0; o < n; ++o) {
    int64_t off = 0;
    for (size_t d = 0; d < rank; ++d)
      off += (start[d] + idx[d] * step[d]) * st[d];
    y[o] = x[off];
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
}

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_FLOAT_H

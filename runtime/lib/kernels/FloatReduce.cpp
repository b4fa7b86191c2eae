//===- FloatReduce.cpp - Float reductions, broadcast-to, where -----------===//

#include "dlprt/kernels/Float.h"
#include "dlprt/kernels/FloatVision.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <cmath>
#include <vector>

using namespace dlprt;
using llvm::ArrayRef;

void kernels::floatReduce(const float *x, ArrayRef<int64_t> shape,
                          ArrayRef<int64_t> axes, FloatReduceOp op,
                          float *y) {
  int64_t rank = int64_t(shape.size());
  // Output strides over the input's axes: 0 on the reduced ones.
  llvm::SmallVector<int64_t, 8> stride(rank, 0);
  int64_t outN = 1, count = 1, n = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    n *= shape[d];
    if (llvm::is_contained(axes, d)) {
      count *= shape[d];
      continue;
    }
    stride[d] = outN;
    outN *= shape[d];
  }
  bool extreme = op == FloatReduceOp::Max || op == FloatReduceOp::Min;
  double start = op == FloatReduceOp::Max   ? -HUGE_VAL
                 : op == FloatReduceOp::Min ? HUGE_VAL
                                            : 0.0;
  std::vector<double> sum(outN, start);
  llvm::SmallVector<int64_t, 8> idx(rank, 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = x[i], &s = sum[off];
    if (!extreme)
      s += v;
    else if (!std::isnan(s) &&
             (std::isnan(v) || (op == FloatReduceOp::Max ? v > s : v < s)))
      s = v; // a NaN, once there, stays
    for (int64_t d = rank - 1; d >= 0; --d) {
      off += stride[d];
      if (++idx[d] < shape[d])
        break;
      off -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  for (int64_t j = 0; j < outN; ++j)
    y[j] = op == FloatReduceOp::Mean ? static_cast<float>(sum[j] / double(count))
                                     : static_cast<float>(sum[j]);
}

void kernels::floatExpand(const float *x, ArrayRef<int64_t> shape,
                          ArrayRef<int64_t> out, float *y) {
  std::vector<int64_t> s(shape.begin(), shape.end()), o(out.begin(), out.end());
  if (o.empty()) {
    y[0] = x[0];
    return;
  }
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < o.size(); ++d)
    rows *= o[d];
  broadcastRows(x, s, x, s, y, o, 0, rows, [](float u, float) { return u; });
}

void kernels::floatWhere(const float *c, ArrayRef<int64_t> cShape,
                         const float *a, ArrayRef<int64_t> aShape,
                         const float *b, ArrayRef<int64_t> bShape,
                         ArrayRef<int64_t> out, float *y) {
  int64_t n = 1;
  for (int64_t d : out)
    n *= d;
  // Each operand broadcast to the output (a copy only when it differs).
  std::vector<float> full[3];
  const float *src[3] = {c, a, b};
  ArrayRef<int64_t> shapes[3] = {cShape, aShape, bShape};
  for (int k = 0; k < 3; ++k)
    if (shapes[k] != out) {
      full[k].resize(n);
      floatExpand(src[k], shapes[k], out, full[k].data());
      src[k] = full[k].data();
    }
  for (int64_t i = 0; i < n; ++i)
    y[i] = src[0][i] != 0.0f ? src[1][i] : src[2][i];
}

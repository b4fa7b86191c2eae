//===- Tensor.cpp - Float tensors of the reference evaluator --------------===//

#include "dlp/Evaluator/Tensor.h"

#include <cstdlib>
#include <cstring>

using namespace dlp::eval;

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

Tensor Tensor::alloc(llvm::ArrayRef<int64_t> shape) {
  Tensor t;
  t.shape_.assign(shape.begin(), shape.end());
  size_t bytes = std::max<int64_t>(t.numElements(), 1) * sizeof(float);
  bytes = (bytes + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, bytes);
  t.owner_ = std::shared_ptr<void>(p, [](void *q) { std::free(q); });
  t.data_ = static_cast<const float *>(p);
  return t;
}

Tensor Tensor::zeros(llvm::ArrayRef<int64_t> shape) {
  Tensor t = alloc(shape);
  std::memset(t.mutableData(), 0, t.numElements() * sizeof(float));
  return t;
}

Tensor Tensor::view(llvm::ArrayRef<int64_t> shape, const float *data,
                    std::shared_ptr<const void> keepAlive) {
  Tensor t;
  t.shape_.assign(shape.begin(), shape.end());
  t.data_ = data;
  t.owner_ = std::move(keepAlive);
  return t;
}

Tensor Tensor::reshaped(llvm::ArrayRef<int64_t> shape) const {
  Tensor t = *this;
  t.shape_.assign(shape.begin(), shape.end());
  return t;
}

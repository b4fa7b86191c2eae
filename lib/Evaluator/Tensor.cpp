//===- Tensor.cpp - Float tensors of the reference evaluator --------------===//

#include "dlp/Evaluator/Tensor.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace dlp::eval;

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

namespace {
/// Freed buffers by byte size, up to kMaxCachedBytes in all. Large buffers
/// come from mmap; without reuse every run of a model pays a page fault per
/// 4 KiB of every intermediate (measured: ~10 % of squeezenet's run time).
class BufferCache {
public:
  static constexpr size_t kMaxCachedBytes = size_t(512) << 20;

  void *get(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = free.find(bytes);
      if (it != free.end() && !it->second.empty()) {
        cached -= bytes;
        return it->second.pop_back_val();
      }
    }
    return std::aligned_alloc(64, bytes);
  }
  void put(void *p, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (cached + bytes <= kMaxCachedBytes) {
        cached += bytes;
        free[bytes].push_back(p);
        return;
      }
    }
    std::free(p);
  }
private:
  std::mutex mutex;
  llvm::DenseMap<size_t, llvm::SmallVector<void *, 2>> free;
  size_t cached = 0;
};

BufferCache &bufferCache() {
  // Never destroyed: tensors may be released during static destruction.
  static BufferCache *cache = new BufferCache;
  return *cache;
}
} // namespace

size_t dlp::eval::elemSize(ElemType t) {
  switch (t) {
  case ElemType::F32:
  case ElemType::I32:
    return 4;
  case ElemType::I8:
    return 1;
  }
  return 4;
}

Tensor Tensor::alloc(llvm::ArrayRef<int64_t> shape, ElemType type) {
  Tensor t;
  t.shape_.assign(shape.begin(), shape.end());
  t.type_ = type;
  size_t bytes = std::max<int64_t>(t.numElements(), 1) * elemSize(type);
  bytes = (bytes + 63) / 64 * 64;
  BufferCache &cache = bufferCache();
  void *p = cache.get(bytes);
  t.owner_ =
      std::shared_ptr<void>(p, [&cache, bytes](void *q) { cache.put(q, bytes); });
  t.data_ = p;
  t.owned_ = true;
  return t;
}

Tensor Tensor::zeros(llvm::ArrayRef<int64_t> shape, ElemType type) {
  Tensor t = alloc(shape, type);
  std::memset(t.mutableAs<char>(), 0, t.numElements() * elemSize(type));
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

Tensor Tensor::view(llvm::ArrayRef<int64_t> shape, ElemType type,
                    const void *data, std::shared_ptr<const void> keepAlive) {
  Tensor t;
  t.shape_.assign(shape.begin(), shape.end());
  t.type_ = type;
  t.data_ = data;
  t.owner_ = std::move(keepAlive);
  return t;
}

Tensor Tensor::reshaped(llvm::ArrayRef<int64_t> shape) const {
  Tensor t = *this;
  t.shape_.assign(shape.begin(), shape.end());
  return t;
}

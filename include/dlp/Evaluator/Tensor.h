//===- Tensor.h - Float tensors of the reference evaluator ------*- C++ -*-===//
#ifndef DLP_EVALUATOR_TENSOR_H
#define DLP_EVALUATOR_TENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <memory>

namespace dlp::eval {

/// Element type of a tensor: float32 (nn values), int8 (qnn feature maps and
/// weights) or int32 (biases, prepared conv terms).
enum class ElemType : uint8_t { F32, I8, I32 };
size_t elemSize(ElemType t);

/// A dense row-major tensor (float32 unless made with another ElemType).
/// Copies share the buffer; reshapes are free views. Buffers are 64-byte aligned; freed buffers are kept in a small
/// size-keyed cache so repeated runs of a model do not fault in fresh pages.
class Tensor {
public:
  Tensor() = default;
  /// Uninitialized storage for `shape`.
  static Tensor alloc(llvm::ArrayRef<int64_t> shape,
                      ElemType type = ElemType::F32);
  /// Zero-filled storage.
  static Tensor zeros(llvm::ArrayRef<int64_t> shape,
                      ElemType type = ElemType::F32);
  /// Non-owning view of external data kept alive by `keepAlive`.
  static Tensor view(llvm::ArrayRef<int64_t> shape, const float *data,
                     std::shared_ptr<const void> keepAlive = nullptr);
  static Tensor view(llvm::ArrayRef<int64_t> shape, ElemType type,
                     const void *data,
                     std::shared_ptr<const void> keepAlive = nullptr);

  llvm::ArrayRef<int64_t> shape() const { return shape_; }
  int64_t rank() const { return shape_.size(); }
  int64_t dim(int64_t i) const { return shape_[i]; }
  int64_t numElements() const;
  bool isNull() const { return data_ == nullptr && shape_.empty(); }

  ElemType elemType() const { return type_; }
  const float *data() const { return static_cast<const float *>(data_); }
  /// Writable pointer; only valid for tensors created by alloc()/zeros().
  float *mutableData() const {
    return static_cast<float *>(const_cast<void *>(data_));
  }
  /// Typed access for integer tensors (T must match elemType()).
  template <typename T> const T *as() const {
    return static_cast<const T *>(data_);
  }
  template <typename T> T *mutableAs() const {
    return static_cast<T *>(const_cast<void *>(data_));
  }

  /// Same buffer, new shape (same element count).
  Tensor reshaped(llvm::ArrayRef<int64_t> shape) const;

  /// True when this tensor holds the only reference to a buffer made by
  /// alloc()/zeros(), so a kernel may overwrite it in place.
  bool isUniquelyOwned() const { return owned_ && owner_.use_count() == 1; }

private:
  llvm::SmallVector<int64_t, 6> shape_;
  const void *data_ = nullptr;
  ElemType type_ = ElemType::F32;
  std::shared_ptr<const void> owner_;
  bool owned_ = false; // buffer from alloc()/zeros(), not a view
};

} // namespace dlp::eval

#endif // DLP_EVALUATOR_TENSOR_H

//===- SimUtil.h - Epilogue helpers of the simulator (internal) -*- C++ -*-===//
#ifndef DLPRT_LIB_SIMUTIL_H
#define DLPRT_LIB_SIMUTIL_H

#include "dlprt/Numerics.h"

#include <algorithm>
#include <cstdint>

namespace dlprt::detail {

/// clamp as numerics section 3 states it: min(max(q, lo), hi).
inline int8_t clampAct(int8_t q, int8_t lo, int8_t hi) {
  return std::min(std::max(q, lo), hi);
}

/// requant (docs/isa.md 3.3) with the shift clamped to the validated range
/// [-32, 63]: buffers only ever hold checked values, the clamp keeps the
/// shift defined regardless. Exact in int64 for any int32-range v.
inline int8_t requant(int64_t v, int8_t shift) {
  return num::sat8(num::roundShift(v, std::clamp<int>(shift, -32, 63)));
}

} // namespace dlprt::detail

#endif // DLPRT_LIB_SIMUTIL_H

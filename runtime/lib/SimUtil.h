//===- SimUtil.h - Helpers of the simulator (internal) ----------*- C++ -*-===//
#ifndef DLPRT_LIB_SIMUTIL_H
#define DLPRT_LIB_SIMUTIL_H

#include "dlprt/Isa.h"

#include <cstdint>

namespace dlprt::detail {

/// Decodes one WBUF row of `unit` bytes at `src` (docs/isa.md, LOAD): Q
/// entries (pow2 codes two per byte, low nibble first, or int8) into
/// `code`; returns the row's alignment byte.
inline uint8_t decodeWRow(const uint8_t *src, isa::WFmt fmt, uint32_t Q,
                          uint64_t unit, uint8_t *code) {
  for (uint32_t q = 0; q < Q; ++q)
    code[q] = fmt == isa::WFmt::Pow2 ? (src[q / 2] >> (4 * (q % 2))) & 15
                                     : src[q];
  return src[unit - 1];
}

} // namespace dlprt::detail

#endif // DLPRT_LIB_SIMUTIL_H

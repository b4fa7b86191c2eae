//===- SimUtil.h - Helpers of the simulator (internal) ----------*- C++ -*-===//
#ifndef DLPRT_LIB_SIMUTIL_H
#define DLPRT_LIB_SIMUTIL_H

#include "dlprt/Isa.h"

#include <cstdint>

namespace dlprt::detail {

/// Decodes one WBUF row of `unit` bytes at `src` (docs/isa.md, LOAD): Q
/// entries (pow2 codes two per byte, low nibble first, or bytes for int8
/// rows and rows of CSR stream bytes) into `code`; returns the row's
/// alignment byte.
inline uint8_t decodeWRow(const uint8_t *src, isa::WFmt fmt, uint32_t Q,
                          uint64_t unit, uint8_t *code) {
  for (uint32_t q = 0; q < Q; ++q)
    code[q] = fmt == isa::WFmt::Pow2 ? (src[q / 2] >> (4 * (q % 2))) & 15
                                     : src[q];
  return src[unit - 1];
}

/// A WBUF row's source tag (MachineState::wtag): 0 for a row never loaded,
/// else the CONST byte offset and the LOAD's format.
inline uint64_t makeWTag(uint64_t constOffset, isa::WFmt fmt) {
  return 1 + 4 * constOffset + uint64_t(fmt);
}
inline uint64_t wtagOffset(uint64_t tag) { return (tag - 1) / 4; }
inline isa::WFmt wtagFmt(uint64_t tag) { return isa::WFmt((tag - 1) & 3); }

} // namespace dlprt::detail

#endif // DLPRT_LIB_SIMUTIL_H

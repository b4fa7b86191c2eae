//===- Window.h - GEMM_WIN's window-sparse weight rows ----------*- C++ -*-===//
//
// The one definition of the window-sparse weight format (docs/isa.md 3.8):
// the compiler encodes with encodeWindowRows, the simulator decodes with
// forEachWindowEntry. A GEMM_WIN of S = k_h * k_w * in_cb array steps
// (step s: tap s / in_cb, channel block s mod in_cb; weight row k = s * L
// + l, as GEMM's) on a target with window W reads, from WBUF row w_addr:
//
//   in_cb alignment rows   byte l of row cb: the alignment of lane l of
//                          channel block cb (modulo 32)
//   ceil(S / W) * slots * L slot rows: row (w * slots + j) * L + l holds at
//                          byte q < Q output channel q's j-th entry of
//                          window w in lane l: low nibble a pow2-4 code,
//                          high nibble the offset o of its step w * W + o
//
// Each row is Q + 1 raw bytes (loaded with wfmt 2, as a CSR stream's). An
// entry adds code c at row k = (w * W + o) * L + l when o < W and the step
// is below S; entries of one (k, q) add up; a code 0 or 8 adds nothing.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_WINDOW_H
#define DLPRT_WINDOW_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <vector>

namespace dlprt {

/// Windows of a GEMM_WIN of `steps` array steps on a window-W target.
inline uint64_t windowCount(uint64_t steps, uint32_t W) {
  return (steps + W - 1) / W;
}

/// WBUF rows a GEMM_WIN reads: the alignment rows, then the slot rows.
inline uint64_t windowRows(uint64_t inCb, uint64_t steps, uint32_t W,
                           uint64_t slots, uint32_t L) {
  return inCb + windowCount(steps, W) * slots * L;
}

/// The slots the K x Q pow2-4 codes `codes` (row k's Q codes at k * Q,
/// K = steps * L) need: the most non-zero codes of one (window, lane,
/// output channel), at least 1.
uint32_t windowSlots(const int8_t *codes, uint64_t steps, uint32_t L,
                     uint32_t Q, uint32_t W);

/// The rows (Q + 1 bytes each) of those codes with `slots` slots (at least
/// windowSlots) and the alignments of the inCb channel blocks' lanes
/// (align[cb * L + l]).
std::vector<uint8_t> encodeWindowRows(const int8_t *codes,
                                      const int32_t *align, uint64_t steps,
                                      uint64_t inCb, uint32_t L, uint32_t Q,
                                      uint32_t W, uint32_t slots);

/// Calls fn(k, q, code, align) for every entry that adds something, of a
/// GEMM_WIN whose WBUF row r (from w_addr) has byte b = byteAt(r, b).
void forEachWindowEntry(
    llvm::function_ref<uint8_t(uint64_t, uint32_t)> byteAt, uint64_t steps,
    uint64_t inCb, uint32_t L, uint32_t Q, uint32_t W, uint32_t slots,
    llvm::function_ref<void(uint64_t, uint32_t, uint8_t, uint8_t)> fn);

} // namespace dlprt

#endif // DLPRT_WINDOW_H

//===- Window.cpp - GEMM_WIN's window-sparse weight rows --------*- C++ -*-===//
//
// docs/isa.md 3.8; the layout is in dlprt/Window.h.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Window.h"

#include <algorithm>
#include <cassert>

using namespace dlprt;

namespace {
/// Calls fn(w, s, l, q, j) for every non-zero code of the K x Q `codes`
/// (K = steps * L), window by window, j counting the codes of (w, l, q).
template <typename Fn>
void forEachNonZero(const int8_t *codes, uint64_t steps, uint32_t L,
                    uint32_t Q, uint32_t W, Fn fn) {
  std::vector<uint32_t> count(size_t(L) * Q);
  for (uint64_t w = 0; w < windowCount(steps, W); ++w) {
    std::fill(count.begin(), count.end(), 0);
    for (uint64_t s = w * W; s < std::min<uint64_t>(steps, (w + 1) * W); ++s)
      for (uint32_t l = 0; l < L; ++l) {
        const int8_t *row = codes + (s * L + l) * Q;
        for (uint32_t q = 0; q < Q; ++q)
          if (row[q] & 7) // codes 0 and 8 are zero
            fn(w, s, l, q, count[l * Q + q]++);
      }
  }
}
} // namespace

uint32_t dlprt::windowSlots(const int8_t *codes, uint64_t steps, uint32_t L,
                            uint32_t Q, uint32_t W) {
  uint32_t most = 1;
  forEachNonZero(codes, steps, L, Q, W,
                 [&](uint64_t, uint64_t, uint32_t, uint32_t, uint32_t j) {
                   most = std::max(most, j + 1);
                 });
  return most;
}

std::vector<uint8_t> dlprt::encodeWindowRows(const int8_t *codes,
                                             const int32_t *align,
                                             uint64_t steps, uint64_t inCb,
                                             uint32_t L, uint32_t Q,
                                             uint32_t W, uint32_t slots) {
  const uint64_t width = uint64_t(Q) + 1;
  std::vector<uint8_t> out(windowRows(inCb, steps, W, slots, L) * width, 0);
  // An alignment row holds L bytes in a row of Q + 1 (the ISA's L == Q).
  assert(L <= Q + 1 && "alignment row wider than a WBUF row");
  for (uint64_t cb = 0; cb < inCb; ++cb)
    for (uint32_t l = 0; l < L; ++l)
      out[cb * width + l] = uint8_t(align[cb * L + l] & 31);
  forEachNonZero(codes, steps, L, Q, W,
                 [&](uint64_t w, uint64_t s, uint32_t l, uint32_t q,
                     uint32_t j) {
                   if (j >= slots)
                     return; // the caller's slots are too few: windowSlots
                   uint64_t r = inCb + (w * slots + j) * L + l;
                   out[r * width + q] =
                       uint8_t((s - w * W) << 4 | (codes[(s * L + l) * Q + q] & 15));
                 });
  return out;
}

void dlprt::forEachWindowEntry(
    llvm::function_ref<uint8_t(uint64_t, uint32_t)> byteAt, uint64_t steps,
    uint64_t inCb, uint32_t L, uint32_t Q, uint32_t W, uint32_t slots,
    llvm::function_ref<void(uint64_t, uint32_t, uint8_t, uint8_t)> fn) {
  std::vector<uint8_t> align(inCb * L);
  for (uint64_t cb = 0; cb < inCb; ++cb)
    for (uint32_t l = 0; l < L; ++l)
      align[cb * L + l] = byteAt(cb, l) & 31;
  for (uint64_t w = 0; w < windowCount(steps, W); ++w)
    for (uint32_t j = 0; j < slots; ++j)
      for (uint32_t l = 0; l < L; ++l) {
        uint64_t r = inCb + (w * slots + j) * L + l;
        for (uint32_t q = 0; q < Q; ++q) {
          uint8_t e = byteAt(r, q), code = e & 15, o = e >> 4;
          uint64_t s = w * W + o;
          if (!(code & 7) || o >= W || s >= steps)
            continue;
          fn(s * L + l, q, code, align[(s % inCb) * L + l]);
        }
      }
}

//===- Transpose.h - 8 x 8 transpose of 32-bit words (internal) -*- C++ -*-===//
//
// Shared by the GEMM packers (kernels/IGemm.cpp) and the simulator's GEMM
// (SimGemm.cpp). x86-64 with GCC or Clang only; callers compile it for
// AVX2 and choose it at run time.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_LIB_KERNELS_TRANSPOSE_H
#define DLPRT_LIB_KERNELS_TRANSPOSE_H

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

namespace dlprt::kernels {

/// Transposes the 8 x 8 matrix of 32-bit words whose row i is v[i]: on
/// return v[i] is column i.
__attribute__((target("avx2"))) inline void transpose8x8(__m256i v[8]) {
  __m256i t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(v[i], v[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(v[i], v[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    v[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    v[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    v[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    v[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // Now v[i] (i < 4) holds column i of rows 0-3 in its low 128-bit half
  // and column i + 4 of rows 0-3 in its high half; v[i + 4] the same for
  // rows 4-7: combine the halves.
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm256_permute2x128_si256(v[i], v[i + 4], 0x20);
    t[i + 4] = _mm256_permute2x128_si256(v[i], v[i + 4], 0x31);
  }
  for (int i = 0; i < 8; ++i)
    v[i] = t[i];
}

} // namespace dlprt::kernels

#endif

#endif // DLPRT_LIB_KERNELS_TRANSPOSE_H

//===- Cpu.cpp - The CPU features the kernels select by -------------------===//

#include "Cpu.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

using namespace dlprt::kernels;

namespace {

CpuFeatures probe() {
  CpuFeatures f;
#if defined(__x86_64__) && defined(__GNUC__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return f;
  bool osxsave = c & (1u << 27), fma = c & (1u << 12);
  if (!osxsave)
    return f;
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  bool ymm = (lo & 0x6) == 0x6;          // SSE and AVX state
  bool zmm = ymm && (lo & 0xe0) == 0xe0; // opmask, ZMM 0-15 high, ZMM 16-31
  bool tiles = (lo & 0x60000) == 0x60000; // TILECFG and TILEDATA
  if (__get_cpuid_max(0, nullptr) < 7)
    return f;
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = ymm && (b & (1u << 5));
  f.fma = ymm && fma;
  f.avx512f = zmm && (b & (1u << 16));
  f.avx512bw = f.avx512f && (b & (1u << 30));
  f.avx512vl = f.avx512f && (b & (1u << 31));
  f.avx512vbmi = f.avx512f && (c & (1u << 1));
  f.avx512vnni = f.avx512f && (c & (1u << 11));
  f.amxTile = tiles && (d & (1u << 24));
  f.amxInt8 = f.amxTile && (d & (1u << 25));
#endif
  return f;
}

} // namespace

const CpuFeatures &dlprt::kernels::cpu() {
  static const CpuFeatures features = probe();
  return features;
}

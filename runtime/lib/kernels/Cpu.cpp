//===- Cpu.cpp - The CPU features the kernels select by -------------------===//

#include "Cpu.h"

#include "dlprt/Runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

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
  bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28);
  f.movbe = c & (1u << 22);
  // x86-64-v2 (SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, CX16) and XSAVE, which
  // every level above assumes; LAHF-SAHF below.
  const unsigned v2bits = 1u << 0 | 1u << 9 | 1u << 19 | 1u << 20 |
                          1u << 23 | 1u << 13 | 1u << 26;
  bool v2 = (c & v2bits) == v2bits;
  if (!osxsave)
    return f;
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  bool ymm = (lo & 0x6) == 0x6;          // SSE and AVX state
  bool zmm = ymm && (lo & 0xe0) == 0xe0; // opmask, ZMM 0-15 high, ZMM 16-31
  bool tiles = (lo & 0x60000) == 0x60000; // TILECFG and TILEDATA
  unsigned c1 = c;
  if (__get_cpuid_max(0x80000000, nullptr) >= 0x80000001) {
    unsigned ea, eb, ec, ed;
    __cpuid(0x80000001, ea, eb, ec, ed);
    f.lzcnt = ec & (1u << 5);
    v2 = v2 && (ec & 1u);
  } else {
    v2 = false;
  }
  if (__get_cpuid_max(0, nullptr) < 7)
    return f;
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = v2 && ymm && avx && (b & (1u << 5));
  f.fma = ymm && fma;
  f.f16c = ymm && (c1 & (1u << 29));
  f.bmi1 = b & (1u << 3);
  f.bmi2 = b & (1u << 8);
  f.avx512f = f.avx2 && zmm && (b & (1u << 16));
  f.avx512dq = f.avx512f && (b & (1u << 17));
  f.avx512cd = f.avx512f && (b & (1u << 28));
  f.avx512bw = f.avx512f && (b & (1u << 30));
  f.avx512vl = f.avx512f && (b & (1u << 31));
  f.avx512vbmi = f.avx512f && (c & (1u << 1));
  f.avx512vnni = f.avx512f && (c & (1u << 11));
  f.amxTile = tiles && (d & (1u << 24));
  f.amxInt8 = f.amxTile && (d & (1u << 25));
#endif
  return f;
}

/// The features of `f` an `avx2` or `baseline` class of CPU has too.
CpuFeatures cap(CpuFeatures f, const char *cls) {
  if (!std::strcmp(cls, "native"))
    return f;
  bool avx2 = !std::strcmp(cls, "avx2");
  if (!avx2 && std::strcmp(cls, "baseline")) {
    std::fprintf(stderr,
                 "dlprt: DLPRT_CPU=%s: expected native, avx2 or baseline; "
                 "running as native\n",
                 cls);
    return f;
  }
  CpuFeatures c;
  if (avx2) {
    c.avx2 = f.avx2;
    c.fma = f.fma;
    c.bmi1 = f.bmi1;
    c.bmi2 = f.bmi2;
    c.lzcnt = f.lzcnt;
    c.movbe = f.movbe;
    c.f16c = f.f16c;
  }
  return c;
}

} // namespace

const CpuFeatures &dlprt::kernels::cpu() {
  static const CpuFeatures features = [] {
    const char *cls = std::getenv("DLPRT_CPU");
    return cls ? cap(probe(), cls) : probe();
  }();
  return features;
}

IsaLevel dlprt::kernels::isaLevel() {
  static const IsaLevel level = [] {
    const CpuFeatures &f = cpu();
    if (!f.avx2)
      return IsaLevel::Baseline;
    bool v3 = f.fma && f.bmi1 && f.bmi2 && f.lzcnt && f.movbe && f.f16c;
    if (v3 && f.avx512f && f.avx512bw && f.avx512cd && f.avx512dq && f.avx512vl)
      return IsaLevel::V4;
    return IsaLevel::Avx2;
  }();
  return level;
}

std::string dlprt::kernelCpuFeatures() {
  const CpuFeatures &f = cpu();
  std::string s;
  auto add = [&](bool on, const char *name) {
    if (on)
      s += s.empty() ? name : std::string(" ") + name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(isaLevel() == IsaLevel::V4, "avx512");
  add(f.avx512vnni, "vnni");
  add(f.avx512vbmi, "vbmi");
  add(f.amxInt8, "amx");
  return s.empty() ? "portable" : s;
}

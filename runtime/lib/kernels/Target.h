//===- Target.h - Run-time ISA selection of the kernels (internal) -*- C++ -*-===//
//
// A kernel whose loops GCC vectorizes is compiled once per ISA level and
// picked per call by cpu() (Cpu.h), not by the loader's ifunc resolution of
// target_clones: so DLPRT_CPU=avx2 (or a masked CPUID) runs every kernel of
// that CPU, the hand-written ones and these alike.
//
//   DLPRT_KERNEL_BODY void fooBody(int *p, int n) { ... }
//   DLPRT_KERNELS_V4_AVX2(, void, dlprt::kernels::foo, (int *p, int n),
//                         (p, n), fooBody)
//
// defines foo from fooBody compiled for x86-64-v4, AVX2 and the baseline;
// DLPRT_KERNELS_AVX2 for AVX2 and the baseline only. The first argument
// holds attributes every variant takes (optimize options).
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_LIB_KERNELS_TARGET_H
#define DLPRT_LIB_KERNELS_TARGET_H

#include "Cpu.h"

#if defined(__GNUC__)
#define DLPRT_KERNEL_BODY static inline __attribute__((always_inline))
#else
#define DLPRT_KERNEL_BODY static inline
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DLPRT_KERNEL_VARIANT_(attrs, target, ret, fn, params, args, body)     \
  namespace {                                                                 \
  attrs __attribute__((target)) ret fn params { return body args; }           \
  }

#define DLPRT_KERNELS_V4_AVX2(attrs, ret, name, params, args, body)           \
  DLPRT_KERNEL_VARIANT_(attrs, target("arch=x86-64-v4"), ret, body##V4,       \
                        params, args, body)                                   \
  DLPRT_KERNEL_VARIANT_(attrs, target("avx2"), ret, body##Avx2, params, args, \
                        body)                                                 \
  attrs ret name params {                                                     \
    switch (::dlprt::kernels::isaLevel()) {                                   \
    case ::dlprt::kernels::IsaLevel::V4:                                      \
      return body##V4 args;                                                   \
    case ::dlprt::kernels::IsaLevel::Avx2:                                    \
      return body##Avx2 args;                                                 \
    default:                                                                  \
      return body args;                                                       \
    }                                                                         \
  }

#define DLPRT_KERNELS_AVX2(attrs, ret, name, params, args, body)              \
  DLPRT_KERNEL_VARIANT_(attrs, target("avx2"), ret, body##Avx2, params, args, \
                        body)                                                 \
  attrs ret name params {                                                     \
    if (::dlprt::kernels::isaLevel() >= ::dlprt::kernels::IsaLevel::Avx2)     \
      return body##Avx2 args;                                                 \
    return body args;                                                         \
  }
#else
#define DLPRT_KERNELS_V4_AVX2(attrs, ret, name, params, args, body)           \
  attrs ret name params { return body args; }
#define DLPRT_KERNELS_AVX2(attrs, ret, name, params, args, body)              \
  attrs ret name params { return body args; }
#endif

#endif // DLPRT_LIB_KERNELS_TARGET_H

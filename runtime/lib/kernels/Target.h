//===- Target.h - Run-time ISA selection of the kernels (internal) -*- C++ -*-===//
#ifndef DLPRT_LIB_KERNELS_TARGET_H
#define DLPRT_LIB_KERNELS_TARGET_H

/// Compiles a kernel for AVX2 and the baseline ISA; the loader picks one at
/// run time (AVX2 is on every machine seen here, not guaranteed).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DLPRT_KERNEL __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define DLPRT_KERNEL
#endif

#endif // DLPRT_LIB_KERNELS_TARGET_H

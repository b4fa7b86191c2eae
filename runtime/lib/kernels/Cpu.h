//===- Cpu.h - The CPU features the kernels select by (internal) -*- C++ -*-===//
//
// One probe of CPUID and XCR0 for every run-time kernel choice of the
// runtime: a feature counts when the CPU has it and the OS saves its
// registers. Read from CPUID itself (not libgcc's __builtin_cpu_supports,
// fixed at load time), so a process whose CPUID is masked, as
// bench/dlp_bench.py --cpu avx2 does, selects the kernels of that CPU.
// (The DLPRT_KERNEL clones of Target.h are chosen by the loader, before.)
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_LIB_KERNELS_CPU_H
#define DLPRT_LIB_KERNELS_CPU_H

namespace dlprt::kernels {

struct CpuFeatures {
  bool avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512vl = false;
  bool avx512vnni = false, avx512vbmi = false;
  /// AMX tiles and int8 products (the OS's permission is asked separately).
  bool amxTile = false, amxInt8 = false;
};

/// This CPU's features, probed once.
const CpuFeatures &cpu();

} // namespace dlprt::kernels

#endif // DLPRT_LIB_KERNELS_CPU_H

//===- Cpu.h - The CPU features the kernels select by (internal) -*- C++ -*-===//
//
// One probe of CPUID and XCR0 for every run-time kernel choice of the
// runtime: a feature counts when the CPU has it and the OS saves its
// registers. Read from CPUID itself (not libgcc's __builtin_cpu_supports,
// fixed at load time), so a process whose CPUID is masked, as
// bench/dlp_bench.py --cpu avx2 does, selects the kernels of that CPU.
// DLPRT_CPU=avx2 (or baseline) caps what the probe reports at that class
// of CPU, so one machine runs, tests and times the paths of the CPUs below
// it; native (the default) takes what the CPU has.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_LIB_KERNELS_CPU_H
#define DLPRT_LIB_KERNELS_CPU_H

namespace dlprt::kernels {

struct CpuFeatures {
  bool avx2 = false, fma = false;
  /// The rest of x86-64-v3 (with avx2 and fma).
  bool bmi1 = false, bmi2 = false, lzcnt = false, movbe = false, f16c = false;
  bool avx512dq = false, avx512cd = false;
  bool avx512f = false, avx512bw = false, avx512vl = false;
  bool avx512vnni = false, avx512vbmi = false;
  /// AMX tiles and int8 products (the OS's permission is asked separately).
  bool amxTile = false, amxInt8 = false;
};

/// This CPU's features, probed once (capped by DLPRT_CPU).
const CpuFeatures &cpu();

/// The ISA levels Target.h compiles kernels for: V4 is x86-64-v4 (AVX-512
/// F/BW/CD/DQ/VL on x86-64-v3), Avx2 the AVX2 instructions alone.
enum class IsaLevel { Baseline, Avx2, V4 };

/// The highest level cpu() allows, computed once.
IsaLevel isaLevel();

} // namespace dlprt::kernels

#endif // DLPRT_LIB_KERNELS_CPU_H

//===- Target.h - The DLP target description ---------------------*- C++ -*-===//
//
// One struct for every hardware number (docs/target-config.md), read once
// from JSON (hw/configs/*.json). The compiler wraps it in its target model,
// the loader checks binaries against it, the simulator (and later the cycle
// model and the RTL's generated header) take their sizes from it.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_TARGET_H
#define DLPRT_TARGET_H

#include "dlprt/Isa.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MathExtras.h"

#include <cstdint>
#include <string>

namespace dlprt {

struct TargetConfig {
  std::string name;
  // PE array: each cycle Q outputs each add L products. ISA v1: L == Q.
  uint32_t L = 0, Q = 0;
  // On-chip SRAM.
  uint64_t featureBytes = 0;    ///< FBUF
  uint64_t weightBankBytes = 0; ///< one of the two WBUF banks
  uint64_t accBytes = 0;        ///< ABUF
  uint32_t paramEntries = 0;    ///< PBUF entries
  /// FBUF banks (vector address mod N_bank) for the array's input reads
  /// (sram.feature_banks, docs/cycle-model.md 2.1): a step's reads of a
  /// group of pixels in one bank take a cycle each. 0 when absent: the
  /// default (read it through featureBanks()).
  uint32_t featureBankCount = 0;
  // Timing (cycle model).
  double clockMHz = 0;
  double ddrBytesPerCycle = 0;
  uint32_t ddrLatencyCycles = 0;
  // Features.
  bool pow2Weights = true, int8Weights = true;
  /// The CSR decoder's dense buffer, in weight rows: the most a GEMM_CSR
  /// may decode (its K, docs/isa.md 3.7); 0 without the decoder.
  uint32_t csrDenseRows = 0;
  /// The window-sparse array's window, in input vectors (GEMM_WIN,
  /// docs/isa.md 3.8): W FBUF vectors read per cycle, each PE picking one
  /// of them per weight slot. 1: no such array (no GEMM_WIN).
  uint32_t window = 1;
  /// Output pixels the array finishes per step (docs/cycle-model.md 2.1):
  /// P copies of the L x Q array share each step's weights, each fed the
  /// input of its own output pixel (the tile's pixels P at a time in raster
  /// order); L * Q * P PEs. 1: one pixel per step. Timing only: every
  /// instruction's result is the same.
  uint32_t pixels = 1;
  bool poolUnit = true, eltwiseUnit = true;
  /// The post-processing's max pool (ISA v5): GEMMs with `pool_k` > 0 pool
  /// their epilogue's tile on the way to FBUF (docs/isa.md 3.3).
  bool gemmPool = false;
  /// The pool unit's streaming path (docs/cycle-model.md 2.3: partial
  /// results of 4 x 4 output rows and columns in banks, one input vector
  /// per cycle). Without it every POOL takes the one-window-element-per-
  /// cycle path: the same results, a unit of 177 LUT per lane instead of
  /// 6 083 in Yosys (hw/README.md).
  bool poolStreaming = true;
  uint32_t deviceCount = 1;
  double linkBytesPerCycle = 0;

  /// The target has the CSR decoder (GEMM_CSR, CSR stream loads).
  bool csr() const { return csrDenseRows > 0; }
  /// The target has the window-sparse array (GEMM_WIN).
  bool windowSparse() const { return window > 1; }
  /// FBUF banks for the array's input reads: the field, or when absent
  /// defaultFeatureBanks().
  uint32_t featureBanks() const {
    return featureBankCount ? featureBankCount : defaultFeatureBanks();
  }
  /// 1 for one pixel per step, else the power of two at or above
  /// 2 * pixels (a group's pixels in one row at stride 1 or 2 in distinct
  /// banks).
  uint32_t defaultFeatureBanks() const {
    return pixels == 1 ? 1 : uint32_t(llvm::PowerOf2Ceil(2 * pixels));
  }
  /// The array's processing elements.
  uint64_t pes() const { return uint64_t(L) * Q * pixels; }

  uint64_t fbufVectors() const { return featureBytes / L; }
  uint64_t wbufRows() const { return 2 * weightBankBytes / Q; }
  uint64_t wbufBankRows() const { return weightBankBytes / Q; }
  uint64_t abufVectors() const { return accBytes / (4 * uint64_t(Q)); }
  /// DDR bytes of one weight row of a format (docs/isa.md section 1).
  /// Bytes of one WBUF row as a LOAD of format f fills it (pow2: Q codes
  /// of 4 bits, int8: Q bytes, each then the alignment byte; CSR stream:
  /// Q + 1 raw bytes, a row's full width).
  uint32_t rowBytes(isa::WFmt f) const {
    return (f == isa::WFmt::Pow2 ? (Q + 1) / 2 : Q) + 1;
  }
  /// DDR bytes of one parameter entry.
  uint32_t paramEntryBytes() const { return 8 * Q; }

  /// Canonical JSON text (every field, fixed order): what a binary embeds.
  std::string toJSON() const;
  /// 64-bit fingerprint (xxh3) of toJSON().
  uint64_t fingerprint() const;
};

/// Parses and checks a config; errors name the source, the field and what
/// is wrong (unknown or missing field, wrong type, impossible value).
llvm::Expected<TargetConfig> parseTargetConfig(llvm::StringRef json,
                                               llvm::StringRef source);
llvm::Expected<TargetConfig> loadTargetConfig(llvm::StringRef path);

} // namespace dlprt

#endif // DLPRT_TARGET_H

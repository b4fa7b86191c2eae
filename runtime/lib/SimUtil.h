//===- SimUtil.h - Helpers of the simulator (internal) ----------*- C++ -*-===//
#ifndef DLPRT_LIB_SIMUTIL_H
#define DLPRT_LIB_SIMUTIL_H

#include "dlprt/Isa.h"

#include <cstdint>

namespace dlprt::detail {

/// Decodes one WBUF row of `unit` bytes at `src` (docs/isa.md, LOAD): Q
/// entries (pow2 codes two per byte, low nibble first, or bytes for int8
/// rows and rows of CSR stream bytes) into `code`; returns the row's
/// alignment byte.
inline uint8_t decodeWRow(const uint8_t *src, isa::WFmt fmt, uint32_t Q,
                          uint64_t unit, uint8_t *code) {
  for (uint32_t q = 0; q < Q; ++q)
    code[q] = fmt == isa::WFmt::Pow2 ? (src[q / 2] >> (4 * (q % 2))) & 15
                                     : src[q];
  return src[unit - 1];
}

/// A WBUF row's source tag (MachineState::wtag): 0 for a row never loaded,
/// else the CONST byte offset and the LOAD's format.
inline uint64_t makeWTag(uint64_t constOffset, isa::WFmt fmt) {
  return 1 + 4 * constOffset + uint64_t(fmt);
}
inline uint64_t wtagOffset(uint64_t tag) { return (tag - 1) / 4; }
inline isa::WFmt wtagFmt(uint64_t tag) { return isa::WFmt((tag - 1) & 3); }

/// The fields of a LOAD or STORE (docs/isa.md 3.1 / 3.2): n2 planes of n1
/// runs of n0 units, run (i2, i1) at DDR ddr + i2 * s2 + i1 * s1 and SRAM
/// sram + (i2 * n1 + i1) * n0.
struct DmaBox {
  bool store;
  isa::Buf buf;
  isa::WFmt fmt;
  isa::Region region;
  uint64_t sram, ddr, n0, n1, n2, s1, s2;

  explicit DmaBox(const isa::Instr &in)
      : store(in.opcode() == isa::Opcode::Store) {
    using isa::Field;
    auto f = [&](Field load, Field st) {
      return uint64_t(in.get(store ? st : load));
    };
    buf = isa::Buf(f(Field::Load_buf, Field::Store_buf));
    fmt = isa::WFmt(f(Field::Load_wfmt, Field::Store_wfmt));
    region = isa::Region(f(Field::Load_region, Field::Store_region));
    sram = f(Field::Load_sram_addr, Field::Store_sram_addr);
    ddr = f(Field::Load_ddr_addr, Field::Store_ddr_addr);
    n0 = f(Field::Load_n0, Field::Store_n0);
    n1 = f(Field::Load_n1, Field::Store_n1);
    n2 = f(Field::Load_n2, Field::Store_n2);
    s1 = f(Field::Load_s1, Field::Store_s1);
    s2 = f(Field::Load_s2, Field::Store_s2);
  }
};

} // namespace dlprt::detail

#endif // DLPRT_LIB_SIMUTIL_H

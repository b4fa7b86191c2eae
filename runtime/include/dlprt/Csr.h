//===- Csr.h - The CSR weight stream of GEMM_CSR (docs/isa.md 3.7) -*- C++ -*-===//
//
// The one definition of the compressed weight format: the compiler encodes
// with encodeCsr, the simulator and the cycle model decode with readCsr.
// A stream describes the K x Q weights of one GEMM_CSR (K = taps x input
// blocks x L rows, Q output channels) as CSR over the output channels:
//
//   u32 nnz | K alignment bytes | Q + 1 u32 row pointers |
//   nnz u16 column indices (k) | nnz codes (pow2: 4 bits, two per byte, low
//   nibble first; int8: one byte each)
//
// all little-endian. Output channel q's entries are [ptr[q], ptr[q + 1]).
// Decoding is defined for any bytes (a hostile binary's): pointers are
// clamped to [0, nnz] and an empty range results where ptr[q + 1] <
// ptr[q]; an index k >= K adds nothing; an alignment is taken modulo 32;
// entries of one (k, q) add up.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_CSR_H
#define DLPRT_CSR_H

#include "dlprt/Isa.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <vector>

namespace dlprt {

/// Bytes of a stream with `nnz` entries.
uint64_t csrStreamBytes(uint64_t nnz, uint64_t K, uint32_t Q, isa::WFmt fmt);

/// Encodes the K x Q codes `codes` (row k's Q codes at k * Q; a pow2 code
/// or an int8 weight; 0 is zero in both) and the alignments of the K rows.
std::vector<uint8_t> encodeCsr(const int8_t *codes, const int32_t *align,
                               uint64_t K, uint32_t Q, isa::WFmt fmt);

/// A decoded stream: the entries of each output channel, clamped as the
/// header says, indices >= K dropped.
struct CsrWeights {
  uint64_t nnz = 0;   ///< entries the stream declares
  uint64_t bytes = 0; ///< its length (csrStreamBytes of nnz)
  std::vector<uint8_t> align;   ///< K alignments, modulo 32
  std::vector<uint32_t> ptr;    ///< Q + 1, into k / code
  std::vector<uint32_t> k;      ///< kept entries' rows
  std::vector<uint8_t> code;    ///< and codes
  /// Largest number of kept entries of one output channel.
  uint32_t maxPerChannel() const;
};

/// Decodes the stream whose byte i is byteAt(i) (any i: a reader returns 0
/// past its data). `maxEntries` bounds the work on a hostile nnz: entries
/// past it are not read (the caller passes what the stream's buffer can
/// hold).
CsrWeights readCsr(llvm::function_ref<uint8_t(uint64_t)> byteAt, uint64_t K,
                   uint32_t Q, isa::WFmt fmt, uint64_t maxEntries);

/// Cycles the CSR decoder (hw/rtl/dlp_csr_dec.sv, docs/cycle-model.md 2.5)
/// takes to expand the stream whose byte i is byteAt(i) into K dense rows
/// (K at most the target's csr.dense_rows), reading it straight from WBUF
/// (`availRows` rows to its end), one read per cycle:
///   decode = ceil(K / L) + 3 + sum over the Q columns of
///            (2 + sum over the column's windows of (2 + c)),
/// a column's entries [min(ptr[q], n), min(ptr[q+1], n)) taken in windows
/// of L (n = nnz when the code section starts inside WBUF, else 0), c = the
/// most entries of the window with row k < K in one dense bank (k mod L),
/// at least 1.
uint64_t csrDecodeCycles(llvm::function_ref<uint8_t(uint64_t)> byteAt,
                         uint64_t K, uint32_t L, uint32_t Q, isa::WFmt fmt,
                         uint64_t availRows);

struct Program;

/// Byte i of the stream that starts at WBUF row tags[0] (rows with source
/// tags tags[0, avail), avail rows to the end of WBUF; docs/isa.md 3.7: a
/// row gives the bytes its LOAD brought, zeros to the full width Q + 1;
/// bytes past WBUF are zero).
uint8_t wbufStreamByte(const Program &p, const uint64_t *tags, size_t avail,
                       uint64_t i);

/// The stream a GEMM_CSR of depth K and code format `fmt` reads from WBUF
/// rows whose source tags (MachineState::wtag) are tags[0, avail), avail
/// rows to the end of WBUF (docs/isa.md 3.7: a row gives the bytes its
/// LOAD brought, zeros to the full width Q + 1; bytes past WBUF are zero).
CsrWeights readCsrFromWbuf(const Program &p, const uint64_t *tags,
                           size_t avail, uint64_t K, isa::WFmt fmt);

/// WBUF source tags as the (valid) program `p`'s LOADs leave them, in
/// schedule `order`: `atGemm(index, wtag)` runs at every GEMM, GEMM_CSR
/// and GEMM_WIN with the tags of all WBUF rows at that point.
void replayWbuf(const Program &p, const std::vector<uint32_t> &order,
                llvm::function_ref<void(uint32_t, const std::vector<uint64_t> &)>
                    atGemm);

} // namespace dlprt

#endif // DLPRT_CSR_H

//===- Csr.cpp - The CSR weight stream of GEMM_CSR ------------------------===//

#include "dlprt/Csr.h"

#include "dlprt/Program.h"

#include "SimUtil.h"

#include <algorithm>

using namespace dlprt;
using namespace dlprt::isa;

namespace {

uint64_t codeBytes(uint64_t nnz, WFmt fmt) {
  return fmt == WFmt::Pow2 ? (nnz + 1) / 2 : nnz;
}

void putLE(std::vector<uint8_t> &out, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}

} // namespace

uint64_t dlprt::csrStreamBytes(uint64_t nnz, uint64_t K, uint32_t Q,
                               WFmt fmt) {
  return 4 + K + 4 * (uint64_t(Q) + 1) + 2 * nnz + codeBytes(nnz, fmt);
}

std::vector<uint8_t> dlprt::encodeCsr(const int8_t *codes,
                                      const int32_t *align, uint64_t K,
                                      uint32_t Q, WFmt fmt) {
  std::vector<uint32_t> ptr(size_t(Q) + 1, 0);
  std::vector<uint16_t> col;
  std::vector<int8_t> val;
  for (uint32_t q = 0; q < Q; ++q) {
    ptr[q] = uint32_t(col.size());
    for (uint64_t k = 0; k < K; ++k)
      if (int8_t c = codes[k * Q + q]) {
        col.push_back(uint16_t(k));
        val.push_back(c);
      }
  }
  ptr[Q] = uint32_t(col.size());
  std::vector<uint8_t> out;
  out.reserve(csrStreamBytes(col.size(), K, Q, fmt));
  putLE(out, col.size(), 4);
  for (uint64_t k = 0; k < K; ++k)
    out.push_back(uint8_t(align[k]));
  for (uint32_t p : ptr)
    putLE(out, p, 4);
  for (uint16_t c : col)
    putLE(out, c, 2);
  if (fmt == WFmt::Pow2) {
    for (size_t i = 0; i < val.size(); i += 2)
      out.push_back(uint8_t((val[i] & 15) |
                            (i + 1 < val.size() ? (val[i + 1] & 15) << 4 : 0)));
  } else {
    for (int8_t v : val)
      out.push_back(uint8_t(v));
  }
  return out;
}

uint32_t CsrWeights::maxPerChannel() const {
  uint32_t m = 0;
  for (size_t q = 0; q + 1 < ptr.size(); ++q)
    m = std::max(m, ptr[q + 1] - ptr[q]);
  return m;
}

CsrWeights dlprt::readCsr(llvm::function_ref<uint8_t(uint64_t)> byteAt,
                          uint64_t K, uint32_t Q, WFmt fmt,
                          uint64_t maxEntries) {
  auto le = [&](uint64_t at, unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; ++i)
      v |= uint64_t(byteAt(at + i)) << (8 * i);
    return v;
  };
  CsrWeights w;
  w.nnz = le(0, 4);
  w.bytes = csrStreamBytes(w.nnz, K, Q, fmt);
  uint64_t n = std::min(w.nnz, maxEntries);
  w.align.resize(K);
  for (uint64_t k = 0; k < K; ++k)
    w.align[k] = byteAt(4 + k) & 31;
  uint64_t ptrAt = 4 + K, colAt = ptrAt + 4 * (uint64_t(Q) + 1),
           codeAt = colAt + 2 * w.nnz;
  w.ptr.assign(size_t(Q) + 1, 0);
  for (uint32_t q = 0; q < Q; ++q) {
    uint64_t b = std::min<uint64_t>(le(ptrAt + 4 * q, 4), n);
    uint64_t e = std::min<uint64_t>(le(ptrAt + 4 * (q + 1), 4), n);
    for (uint64_t i = b; i < e; ++i) {
      uint64_t k = le(colAt + 2 * i, 2);
      if (k >= K)
        continue;
      uint8_t c = fmt == WFmt::Pow2
                      ? (byteAt(codeAt + i / 2) >> (4 * (i % 2))) & 15
                      : byteAt(codeAt + i);
      w.k.push_back(uint32_t(k));
      w.code.push_back(c);
    }
    w.ptr[q + 1] = uint32_t(w.k.size());
  }
  return w;
}

uint64_t dlprt::csrDecodeCycles(llvm::function_ref<uint8_t(uint64_t)> byteAt,
                                uint64_t K, uint32_t L, uint32_t Q, WFmt fmt,
                                uint64_t availRows) {
  (void)fmt; // the codes' width does not change the time
  auto le = [&](uint64_t at, unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; ++i)
      v |= uint64_t(byteAt(at + i)) << (8 * i);
    return v;
  };
  auto ceilDiv = [](uint64_t a, uint64_t b) { return (a + b - 1) / b; };
  const uint64_t width = uint64_t(Q) + 1;
  uint64_t nnz = le(0, 4);
  uint64_t ptrAt = 4 + K, colAt = ptrAt + 4 * width, codeAt = colAt + 2 * nnz;
  uint64_t n = codeAt < availRows * width ? nnz : 0;
  // The header read, the alignment reads (one per L rows, clearing the
  // dense rows alongside), the first pointer read and the last scatter
  // cycle's write stage.
  uint64_t cycles = ceilDiv(K, L) + 3;
  std::vector<uint32_t> perBank(L);
  for (uint32_t q = 0; q < Q; ++q) {
    uint64_t b = std::min(le(ptrAt + 4 * q, 4), n),
             e = std::min(le(ptrAt + 4 * (q + 1), 4), n);
    cycles += 2; // the pointer pair's data, registered, then its use
    for (uint64_t i0 = b; i0 < e; i0 += L) {
      std::fill(perBank.begin(), perBank.end(), 0);
      uint32_t most = 1;
      for (uint64_t i = i0; i < std::min<uint64_t>(e, i0 + L); ++i) {
        uint64_t k = le(colAt + 2 * i, 2);
        if (k < K)
          most = std::max(most, ++perBank[k % L]);
      }
      cycles += 2 + most; // the row indices' and codes' data, the scatter
    }
  }
  return cycles;
}

uint8_t dlprt::wbufStreamByte(const Program &p, const uint64_t *tags,
                              size_t avail, uint64_t i) {
  const uint64_t width = uint64_t(p.target.Q) + 1;
  uint64_t r = i / width, o = i % width;
  if (r >= avail || !tags[r])
    return 0;
  WFmt rowFmt = detail::wtagFmt(tags[r]);
  if (o >= p.target.rowBytes(rowFmt))
    return 0;
  return p.constData[detail::wtagOffset(tags[r]) + o];
}

CsrWeights dlprt::readCsrFromWbuf(const Program &p, const uint64_t *tags,
                                  size_t avail, uint64_t K, WFmt fmt) {
  const uint64_t width = uint64_t(p.target.Q) + 1;
  auto byteAt = [&](uint64_t i) { return wbufStreamByte(p, tags, avail, i); };
  // Every entry takes at least two bytes (its index) of the rows there are.
  return readCsr(byteAt, K, p.target.Q, fmt, avail * width / 2);
}

void dlprt::replayWbuf(
    const Program &p, const std::vector<uint32_t> &order,
    llvm::function_ref<void(uint32_t, const std::vector<uint64_t> &)> atGemm) {
  const TargetConfig &t = p.target;
  std::vector<uint64_t> wtag(t.wbufRows(), 0);
  for (uint32_t idx : order) {
    const Instr &in = p.code[idx];
    if (in.opcode() == Opcode::Gemm || in.opcode() == Opcode::GemmCsr ||
        in.opcode() == Opcode::GemmWin) {
      atGemm(idx, wtag);
      continue;
    }
    if (in.opcode() != Opcode::Load ||
        Buf(in.get(Field::Load_buf)) != Buf::WBuf)
      continue;
    WFmt fmt = WFmt(in.get(Field::Load_wfmt));
    uint64_t unit = t.rowBytes(fmt), n0 = in.get(Field::Load_n0),
             n1 = in.get(Field::Load_n1), n2 = in.get(Field::Load_n2);
    uint64_t sram = in.get(Field::Load_sram_addr),
             ddr = in.get(Field::Load_ddr_addr), s1 = in.get(Field::Load_s1),
             s2 = in.get(Field::Load_s2);
    for (uint64_t i2 = 0; i2 < n2; ++i2)
      for (uint64_t i1 = 0; i1 < n1; ++i1) {
        uint64_t at = ddr + i2 * s2 + i1 * s1;
        uint64_t *tag = wtag.data() + sram + (i2 * n1 + i1) * n0;
        for (uint64_t i0 = 0; i0 < n0; ++i0)
          tag[i0] = detail::makeWTag(at + i0 * unit, fmt);
      }
  }
}

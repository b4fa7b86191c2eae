//===- ValidateInstr.cpp - Field and address checks per instruction -------===//
//
// docs/isa.md section 3, "Validity" paragraphs, plus the v1 rules: WBUF and
// PBUF load from const only (so their contents are checked here, once),
// STORE writes FBUF -> data only, output blocks of POOL / ADD do not
// overlap one another.
//
//===----------------------------------------------------------------------===//

#include "ValidateImpl.h"

#include "dlprt/CycleModel.h"
#include "dlprt/Numerics.h"
#include "dlprt/Schedule.h"
#include "dlprt/Window.h"

#include "llvm/ADT/Twine.h"

using namespace llvm;
using namespace dlprt::isa;

namespace dlprt::detail {

namespace {

/// Checks one instruction; `fail` builds the error text.
class InstrChecker {
public:
  InstrChecker(const Program &p, size_t index)
      : p(p), t(p.target), in(p.code[index]), index(index) {}

  Error run();

private:
  const Program &p;
  const TargetConfig &t;
  const Instr &in;
  size_t index;

  std::string prefix() const {
    const OpcodeInfo *info = opcodeInfo(in.opcodeValue());
    return "instruction #" + std::to_string(index) + " (" +
           std::string(info ? info->mnemonic : "?") + ")";
  }
  Error fail(const Twine &msg) const {
    return createStringError(inconvertibleErrorCode(), "%s: %s",
                             prefix().c_str(), msg.str().c_str());
  }
  Error fieldError(Field f, const Twine &msg) const {
    return fail("field '" + std::string(fieldInfo(f).name) +
                "' = " + Twine(in.get(f)) + ": " + msg);
  }
  uint64_t get(Field f) const { return uint64_t(in.get(f)); }

  /// Fields that must be >= 1.
  Error positive(std::initializer_list<Field> fields) const {
    for (Field f : fields)
      if (get(f) == 0)
        return fieldError(f, "must be >= 1");
    return Error::success();
  }
  Error oneOf(Field f, uint64_t limit, const char *what) const {
    if (get(f) >= limit)
      return fieldError(f, Twine("invalid (") + what + ")");
    return Error::success();
  }
  /// Units [first, first + extent) must lie inside a buffer of `size`.
  Error inside(Field f, u128 first, u128 extent, uint64_t size,
               const char *buf) const {
    if (first + extent > size)
      return fieldError(
          f, "touches " + Twine(buf) + " units [" + Twine(uint64_t(first)) +
                 ", " +
                 Twine(uint64_t(std::min<u128>(first + extent, UINT64_MAX))) +
                 ") but " + buf + " has " + Twine(size));
    return Error::success();
  }
  /// Extent of a blocked tile: (blocks - 1) * stride + per-block.
  static u128 tile(uint64_t blocks, uint64_t stride, u128 perBlock) {
    return u128(blocks - 1) * stride + perBlock;
  }
  /// `csrStream`: a WBUF LOAD, which may also bring raw rows (2: a CSR
  /// stream or window-sparse rows).
  Error weightFormat(Field f, bool csrStream = false) const {
    if (csrStream && get(f) == uint64_t(WFmt::Csr)) {
      if (!t.csr() && !t.windowSparse())
        return fieldError(f, "target '" + t.name +
                                 "' has no CSR decoder and no window-sparse "
                                 "array (raw rows)");
      return Error::success();
    }
    if (get(f) > 1)
      return fieldError(f, csrStream ? "invalid weight format (0 pow2, 1 "
                                       "int8, 2 raw rows)"
                                     : "invalid weight format (0 pow2, 1 "
                                       "int8)");
    if (get(f) == 0 && !t.pow2Weights)
      return fieldError(f, "target '" + t.name + "' has no pow2 weights");
    if (get(f) == 1 && !t.int8Weights)
      return fieldError(f, "target '" + t.name + "' has no int8 weights");
    return Error::success();
  }

  Error dma(bool store);
  Error constRows(uint64_t ddr, bool pow2);
  Error gemm();
  Error gemmPool(const std::optional<isa::GemmPool> &pool) const;
  Error pool();
  Error add();
};

Error InstrChecker::run() {
  const OpcodeInfo *info = opcodeInfo(in.opcodeValue());
  if (!info) {
    return fail("unknown opcode " + Twine(unsigned(in.opcodeValue())));
  }
  std::array<uint64_t, kInstrWords> reserved = in.reservedBits();
  for (unsigned w = 0; w < kInstrWords; ++w)
    if (reserved[w])
      return fail("reserved bits set in w" + Twine(w) + " (mask 0x" +
                  Twine::utohexstr(reserved[w]) + ")");
  if (!tokensValidFor(info->queue, in.tokens()))
    return fail("token flags 0x" + Twine::utohexstr(in.tokens()) +
                " invalid for the " +
                (info->queue == Queue::Load    ? "load queue (no prev)"
                 : info->queue == Queue::Store ? "store queue (no next)"
                                               : "barrier (no tokens)"));
  bool last = index + 1 == p.code.size();
  switch (in.opcode()) {
  case Opcode::End:
    if (!last)
      return fail("END must be the last instruction (" +
                  Twine(p.code.size() - index - 1) + " follow)");
    return Error::success();
  case Opcode::Sync:
    break;
  case Opcode::Host:
    if (get(Field::Host_segment) >= p.host.size())
      return fieldError(Field::Host_segment, "out of range (" +
                                                 Twine(p.host.size()) +
                                                 " host segments)");
    break;
  case Opcode::Load:
    if (Error e = dma(false))
      return e;
    break;
  case Opcode::Store:
    if (Error e = dma(true))
      return e;
    break;
  case Opcode::Gemm:
  case Opcode::GemmCsr:
  case Opcode::GemmWin:
    if (Error e = gemm())
      return e;
    break;
  case Opcode::Pool:
    if (Error e = pool())
      return e;
    break;
  case Opcode::Add:
    if (Error e = add())
      return e;
    break;
  }
  if (last)
    return fail("the last instruction must be END");
  return Error::success();
}

Error InstrChecker::dma(bool store) {
  Field fBuf = store ? Field::Store_buf : Field::Load_buf;
  Field fFmt = store ? Field::Store_wfmt : Field::Load_wfmt;
  Field fRegion = store ? Field::Store_region : Field::Load_region;
  Field fSram = store ? Field::Store_sram_addr : Field::Load_sram_addr;
  Field fDdr = store ? Field::Store_ddr_addr : Field::Load_ddr_addr;
  Field fN0 = store ? Field::Store_n0 : Field::Load_n0;
  Field fN1 = store ? Field::Store_n1 : Field::Load_n1;
  Field fN2 = store ? Field::Store_n2 : Field::Load_n2;
  Field fS1 = store ? Field::Store_s1 : Field::Load_s1;
  Field fS2 = store ? Field::Store_s2 : Field::Load_s2;
  if (Error e =
          oneOf(fBuf, store ? 1 : 3,
                store ? "STORE reads FBUF (0) only" : "0 FBUF, 1 WBUF, 2 PBUF"))
    return e;
  Buf buf = Buf(get(fBuf));
  if (buf == Buf::WBuf) {
    if (Error e = weightFormat(fFmt, !store))
      return e;
  } else if (get(fFmt) != 0) {
    return fieldError(fFmt, "must be 0 unless the buffer is WBUF");
  }
  if (Error e = oneOf(fRegion, 2, "0 const, 1 data"))
    return e;
  Region region = Region(get(fRegion));
  if (store && region != Region::Data)
    return fieldError(fRegion, "STORE writes region data (1) only");
  if (buf != Buf::FBuf && region != Region::Const)
    return fieldError(fRegion, "WBUF and PBUF load from region const (0) only");
  if (Error e = positive({fN0, fN1, fN2}))
    return e;
  uint64_t n0 = get(fN0), n1 = get(fN1), n2 = get(fN2);
  uint64_t size = buf == Buf::FBuf   ? t.fbufVectors()
                  : buf == Buf::WBuf ? t.wbufRows()
                                     : t.paramEntries;
  const char *names[] = {"FBUF", "WBUF", "PBUF"};
  if (Error e = inside(fSram, get(fSram), u128(n0) * n1 * n2, size,
                       names[size_t(buf)]))
    return e;
  uint64_t unit = buf == Buf::FBuf   ? t.L
                  : buf == Buf::WBuf ? t.rowBytes(WFmt(get(fFmt)))
                                     : t.paramEntryBytes();
  u128 extent =
      u128(n2 - 1) * get(fS2) + u128(n1 - 1) * get(fS1) + u128(n0) * unit;
  uint64_t regionSize =
      region == Region::Const ? p.constData.size() : p.dataBytes;
  if (u128(get(fDdr)) + extent > regionSize)
    return fieldError(fDdr, "box of " + Twine(uint64_t(extent)) +
                                " bytes exceeds DDR region " +
                                (region == Region::Const ? "const" : "data") +
                                " (" + Twine(regionSize) + " bytes)");
  if (buf == Buf::FBuf)
    return Error::success();
  // WBUF / PBUF contents come from const: check every unit now.
  for (uint64_t i2 = 0; i2 < n2; ++i2)
    for (uint64_t i1 = 0; i1 < n1; ++i1)
      for (uint64_t i0 = 0; i0 < n0; ++i0) {
        uint64_t at = get(fDdr) + i2 * get(fS2) + i1 * get(fS1) + i0 * unit;
        if (Error e = constRows(at, buf == Buf::WBuf && get(fFmt) == 0))
          return e;
        if (buf == Buf::PBuf) {
          const uint8_t *e = p.constData.data() + at;
          for (uint32_t q = 0; q < t.Q; ++q) {
            int shift = int8_t(e[4 * t.Q + q]), aux = int8_t(e[7 * t.Q + q]);
            if (shift < -32 || shift > 63)
              return fail("parameter entry at const byte " + Twine(at) +
                          ": out_shift " + Twine(shift) + " of channel " +
                          Twine(q) + " outside [-32, 63]");
            if (aux < -22 || aux > 22)
              return fail("parameter entry at const byte " + Twine(at) +
                          ": aux " + Twine(aux) + " of channel " + Twine(q) +
                          " outside [-22, 22]");
          }
        }
      }
  return Error::success();
}

/// Checks the weight row at const byte `at` (a no-op for PBUF units).
Error InstrChecker::constRows(uint64_t at, bool pow2) {
  // A CSR stream's bytes are anything: GEMM_CSR defines every reading.
  if (in.opcode() != Opcode::Load ||
      get(Field::Load_buf) != uint64_t(Buf::WBuf) ||
      get(Field::Load_wfmt) == uint64_t(WFmt::Csr))
    return Error::success();
  const uint8_t *r = p.constData.data() + at;
  uint32_t codeBytes = pow2 ? (t.Q + 1) / 2 : t.Q;
  for (uint32_t q = 0; q < t.Q; ++q) {
    if (pow2) {
      uint8_t code = (r[q / 2] >> (4 * (q % 2))) & 15;
      if (!num::pow2CodeValid(code))
        return fail("weight row at const byte " + Twine(at) + ": pow2 code " +
                    Twine(unsigned(code)) + " of channel " + Twine(q) +
                    " is invalid");
    } else if (int8_t(r[q]) == -128) {
      return fail("weight row at const byte " + Twine(at) +
                  ": int8 weight -128 of channel " + Twine(q) +
                  " outside [-127, 127]");
    }
  }
  if (r[codeBytes] > 31)
    return fail("weight row at const byte " + Twine(at) + ": alignment " +
                Twine(unsigned(r[codeBytes])) + " outside [0, 31]");
  return Error::success();
}

Error InstrChecker::gemm() {
  if (Error e = weightFormat(Field::Gemm_wfmt))
    return e;
  if (Error e =
          positive({Field::Gemm_in_h, Field::Gemm_in_w, Field::Gemm_in_cb,
                    Field::Gemm_out_h, Field::Gemm_out_w, Field::Gemm_k_h,
                    Field::Gemm_k_w, Field::Gemm_stride_h, Field::Gemm_stride_w,
                    Field::Gemm_dil_h, Field::Gemm_dil_w}))
    return e;
  u128 inPlane = u128(get(Field::Gemm_in_h)) * get(Field::Gemm_in_w);
  u128 inExtent =
      tile(get(Field::Gemm_in_cb), get(Field::Gemm_in_cstride), inPlane);
  if (Error e = inside(Field::Gemm_in_addr, get(Field::Gemm_in_addr), inExtent,
                       t.fbufVectors(), "FBUF"))
    return e;
  u128 rows = u128(get(Field::Gemm_k_h)) * get(Field::Gemm_k_w) *
              get(Field::Gemm_in_cb) * t.L;
  // GEMM_CSR reads its stream from w_addr on (as long as the stream says;
  // bytes past WBUF read as zero, docs/isa.md 3.7).
  bool csr = in.opcode() == Opcode::GemmCsr;
  if (csr && !t.csr())
    return fail("target '" + t.name + "' has no CSR decoder (GEMM_CSR)");
  // K rows decode into the CSR decoder's dense buffer (at most 65536
  // rows, what a CSR row index addresses).
  if (csr && rows > t.csrDenseRows)
    return fieldError(Field::Gemm_in_cb,
                      "GEMM_CSR of " + Twine(uint64_t(rows)) +
                          " weight rows (k_h * k_w * in_cb * L): target '" +
                          t.name + "' decodes at most " +
                          Twine(t.csrDenseRows) + " (csr.dense_rows)");
  // GEMM_WIN reads in_cb alignment rows, then per window of the target's
  // W array steps `slots` groups of L slot rows (docs/isa.md 3.8).
  if (in.opcode() == Opcode::GemmWin) {
    if (!t.windowSparse())
      return fail("target '" + t.name +
                  "' has no window-sparse array (GEMM_WIN needs "
                  "array.window > 1)");
    if (get(Field::Gemm_wfmt) != uint64_t(WFmt::Pow2))
      return fieldError(Field::Gemm_wfmt,
                        "GEMM_WIN's entries hold pow2-4 codes: must be 0");
    if (get(Field::GemmWin_slots) == 0)
      return fieldError(Field::GemmWin_slots, "must be at least 1");
    if (get(Field::Gemm_in_cb) > isa::kWinMaxCb)
      return fieldError(Field::Gemm_in_cb,
                        "GEMM_WIN keeps the alignments of at most " +
                            Twine(isa::kWinMaxCb) + " input channel blocks");
    // (in_cb <= 64 and 4-bit kernel sides: no overflow in 64 bits.)
    rows = dlprt::windowRows(get(Field::Gemm_in_cb), uint64_t(rows / t.L),
                             t.window, get(Field::GemmWin_slots), t.L);
  }
  if (Error e = inside(Field::Gemm_w_addr, get(Field::Gemm_w_addr),
                       csr ? 1 : rows, t.wbufRows(), "WBUF"))
    return e;
  u128 outPlane = u128(get(Field::Gemm_out_h)) * get(Field::Gemm_out_w);
  if (Error e = inside(Field::Gemm_acc_addr, get(Field::Gemm_acc_addr),
                       outPlane, t.abufVectors(), "ABUF"))
    return e;
  if (Error e = inside(Field::Gemm_param_addr, get(Field::Gemm_param_addr), 1,
                       t.paramEntries, "PBUF"))
    return e;
  std::optional<isa::GemmPool> pool = isa::gemmPool(in);
  if (Error e = gemmPool(pool))
    return e;
  if (!get(Field::Gemm_epilogue)) {
    if (get(Field::Gemm_residual))
      return fieldError(Field::Gemm_residual, "needs the epilogue");
    if (pool)
      return fieldError(Field::Gemm_pool_k, "the pool needs the epilogue");
    return Error::success();
  }
  // With residual, the other operand's tile follows the output tile, and
  // its add's parameter entry follows the GEMM's; with a pool, only the
  // pooled tile is written.
  bool residual = get(Field::Gemm_residual);
  if (residual && pool)
    return fieldError(Field::Gemm_pool_k,
                      "a GEMM has a residual add or a pool, not both");
  u128 written = pool ? u128(pool->outH) * pool->outW : outPlane;
  if (Error e = inside(Field::Gemm_out_addr, get(Field::Gemm_out_addr),
                       residual ? 2 * outPlane : written, t.fbufVectors(),
                       "FBUF"))
    return e;
  if (!residual && !pool)
    return Error::success();
  // Its add follows the whole tile, and a pooled pixel is written while
  // later pixels still read the input, so neither may overlap the input
  // (the plain epilogue's overlap is defined pixel by pixel).
  u128 inLo = get(Field::Gemm_in_addr), inHi = inLo + inExtent,
       outLo = get(Field::Gemm_out_addr);
  if (outLo < inHi && inLo < outLo + written)
    return fieldError(Field::Gemm_out_addr,
                      residual ? "a residual GEMM's output overlaps its input"
                               : "a pooling GEMM's output overlaps its input");
  if (pool)
    return Error::success();
  return inside(Field::Gemm_param_addr, get(Field::Gemm_param_addr), 2,
                t.paramEntries, "PBUF");
}

/// The GEMM's fused max pool (docs/isa.md 3.3, ISA v5).
Error InstrChecker::gemmPool(const std::optional<isa::GemmPool> &pool) const {
  if (!pool) {
    for (Field f : {Field::Gemm_pool_s, Field::Gemm_pool_pad_t,
                    Field::Gemm_pool_pad_l, Field::Gemm_pool_pad_b,
                    Field::Gemm_pool_pad_r})
      if (get(f))
        return fieldError(f, "must be 0 without a pool (pool_k = 0)");
    return Error::success();
  }
  if (!t.gemmPool)
    return fieldError(Field::Gemm_pool_k,
                      "target '" + t.name +
                          "' has no pool in its post-processing "
                          "(units.gemm_pool)");
  if (pool->s == 0)
    return fieldError(Field::Gemm_pool_s, "must be >= 1");
  if (pool->outH == 0 || pool->outW == 0)
    return fieldError(Field::Gemm_pool_k,
                      "the " + Twine(pool->k) + "x" + Twine(pool->k) +
                          " window is larger than the padded " +
                          Twine(get(Field::Gemm_out_h)) + "x" +
                          Twine(get(Field::Gemm_out_w)) + " tile");
  // Padding below / right of at least the stride would finish two pooled
  // rows (columns) at one pixel: two writes in a cycle.
  if (pool->padB >= pool->s)
    return fieldError(Field::Gemm_pool_pad_b,
                      "must be below pool_s (" + Twine(pool->s) +
                          "): two pooled rows would finish at one pixel");
  if (pool->padR >= pool->s)
    return fieldError(Field::Gemm_pool_pad_r,
                      "must be below pool_s (" + Twine(pool->s) +
                          "): two pooled columns would finish at one pixel");
  // A padding of at least the window would leave an edge window without a
  // pixel, which the unit, writing a pooled pixel as its window's last
  // pixel arrives, never writes.
  for (auto [f, pad] : {std::pair{Field::Gemm_pool_pad_t, pool->padT},
                        {Field::Gemm_pool_pad_l, pool->padL},
                        {Field::Gemm_pool_pad_b, pool->padB},
                        {Field::Gemm_pool_pad_r, pool->padR}})
    if (pad >= pool->k)
      return fieldError(f, "must be below pool_k (" + Twine(pool->k) +
                               "): an edge window would hold no pixel");
  // The unit keeps a partial row of pooled vectors per window row in
  // flight (docs/cycle-model.md 2.1).
  uint64_t maxW = CycleParams::fromTarget(t).poolMaxOutW;
  if (pool->outW > maxW)
    return fieldError(Field::Gemm_out_w,
                      "the pooled rows' " + Twine(pool->outW) +
                          " vectors exceed the unit's " + Twine(maxW));
  return Error::success();
}

Error InstrChecker::pool() {
  if (!t.poolUnit)
    return fail("target '" + t.name + "' has no pool unit");
  if (Error e = oneOf(Field::Pool_mode, 3, "0 max, 1 avg with pad, 2 avg"))
    return e;
  if (Error e =
          positive({Field::Pool_in_h, Field::Pool_in_w, Field::Pool_cb,
                    Field::Pool_out_h, Field::Pool_out_w, Field::Pool_k_h,
                    Field::Pool_k_w, Field::Pool_stride_h, Field::Pool_stride_w,
                    Field::Pool_dil_h, Field::Pool_dil_w}))
    return e;
  if (get(Field::Pool_mode) != 0)
    for (Field f : {Field::Pool_dil_h, Field::Pool_dil_w})
      if (get(f) != 1)
        return fieldError(f, "must be 1 for average pooling");
  uint64_t cb = get(Field::Pool_cb);
  u128 inPlane = u128(get(Field::Pool_in_h)) * get(Field::Pool_in_w);
  if (Error e = inside(Field::Pool_in_addr, get(Field::Pool_in_addr),
                       tile(cb, get(Field::Pool_in_cstride), inPlane),
                       t.fbufVectors(), "FBUF"))
    return e;
  u128 outPlane = u128(get(Field::Pool_out_h)) * get(Field::Pool_out_w);
  if (cb > 1 && get(Field::Pool_out_cstride) < outPlane)
    return fieldError(Field::Pool_out_cstride,
                      "output channel blocks overlap (stride < out_h * out_w)");
  return inside(Field::Pool_out_addr, get(Field::Pool_out_addr),
                tile(cb, get(Field::Pool_out_cstride), outPlane),
                t.fbufVectors(), "FBUF");
}

Error InstrChecker::add() {
  if (!t.eltwiseUnit)
    return fail("target '" + t.name + "' has no element-wise unit");
  if (Error e = positive({Field::Add_n, Field::Add_cb}))
    return e;
  uint64_t n = get(Field::Add_n), cb = get(Field::Add_cb);
  if (Error e = inside(Field::Add_a_addr, get(Field::Add_a_addr),
                       tile(cb, get(Field::Add_a_cstride), n), t.fbufVectors(),
                       "FBUF"))
    return e;
  if (!get(Field::Add_unary))
    if (Error e = inside(Field::Add_b_addr, get(Field::Add_b_addr),
                         tile(cb, get(Field::Add_b_cstride), n),
                         t.fbufVectors(), "FBUF"))
      return e;
  if (cb > 1 && get(Field::Add_out_cstride) < n)
    return fieldError(Field::Add_out_cstride,
                      "output channel blocks overlap (stride < n)");
  if (Error e = inside(Field::Add_out_addr, get(Field::Add_out_addr),
                       tile(cb, get(Field::Add_out_cstride), n),
                       t.fbufVectors(), "FBUF"))
    return e;
  return inside(Field::Add_param_addr, get(Field::Add_param_addr), cb,
                t.paramEntries, "PBUF");
}

} // namespace

Error checkInstr(const Program &p, size_t i) {
  return InstrChecker(p, i).run();
}

} // namespace dlprt::detail

//===- Isa.h - DLP ISA v1: opcodes, fields, encode / decode -----*- C++ -*-===//
//
// Instruction words and field access generated from Isa.def (the one
// definition of the encoding; prose in docs/isa.md).
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_ISA_H
#define DLPRT_ISA_H

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace dlprt::isa {

/// The ISA version programs are written with, and the oldest the loader
/// runs: version 3 added GEMM's `residual` flag, version 4 GEMM_WIN and
/// version 5 the GEMMs' fused max pool (`pool_*`), so a version 2 program is
/// a version 5 program that uses none of them.
constexpr uint16_t kIsaVersion = 5;
constexpr uint16_t kMinIsaVersion = 2;
constexpr unsigned kInstrWords = 4;
constexpr unsigned kInstrBytes = kInstrWords * 8;

enum class Opcode : uint8_t {
#define DLP_OPCODE(Name, mnemonic, value, queue) Name = value,
#include "dlprt/Isa.def"
};

/// GEMM_WIN (docs/isa.md 3.8): an entry's offset is 4 bits, so a window
/// holds at most 16 input vectors; the array keeps the alignments of at
/// most 64 input channel blocks (its alignment registers).
constexpr uint32_t kWinMaxWindow = 16;
constexpr uint32_t kWinMaxCb = 64;

enum class Queue : uint8_t { Load, Compute, Store, Barrier };

/// Every opcode-specific field, as <Opcode>_<name>.
enum class Field : uint16_t {
#define DLP_FIELD(Op, name, word, lsb, width, isSigned) Op##_##name,
#include "dlprt/Isa.def"
  NumFields
};

struct FieldInfo {
  Opcode op;
  std::string_view name;
  uint8_t word, lsb, width;
  bool isSigned;
};
struct OpcodeInfo {
  Opcode op;
  std::string_view mnemonic;
  Queue queue;
};

/// Buffers and DDR regions named by fields (docs/isa.md section 1).
enum class Buf : uint8_t { FBuf = 0, WBuf = 1, PBuf = 2 };
enum class Region : uint8_t { Const = 0, Data = 1 };
/// Weight formats: a WBUF row of pow2 codes or of int8 weights (LOAD and
/// GEMM), or raw rows (LOAD only): a CSR stream's bytes (GEMM_CSR's own
/// wfmt says how the stream's codes read) or window-sparse rows
/// (GEMM_WIN).
enum class WFmt : uint8_t { Pow2 = 0, Int8 = 1, Csr = 2 };
enum class PoolMode : uint8_t { Max = 0, AvgIncludePad = 1, AvgExcludePad = 2 };

const FieldInfo &fieldInfo(Field f);
/// Opcode info, or nullptr for an invalid opcode value.
const OpcodeInfo *opcodeInfo(uint8_t value);
/// The fields of one opcode, in table order.
std::vector<Field> fieldsOf(Opcode op);
/// Field of `op` named `name`, if any.
std::optional<Field> findField(Opcode op, std::string_view name);

/// Token flags of the common word (docs/isa.md section 2).
enum Token : uint8_t { PopPrev = 1, PopNext = 2, PushPrev = 4, PushNext = 8 };

/// One 256-bit instruction word.
struct Instr {
  std::array<uint64_t, kInstrWords> w{};

  static Instr make(Opcode op, uint8_t tokens = 0);
  uint8_t opcodeValue() const { return uint8_t(w[0] & 0x3f); }
  Opcode opcode() const { return Opcode(opcodeValue()); }
  uint8_t tokens() const { return uint8_t((w[0] >> 6) & 0xf); }
  void setTokens(uint8_t t);
  /// Raw unsigned value of a field (sign-extended for signed fields).
  int64_t get(Field f) const;
  /// Sets a field; false if the value does not fit its width.
  bool set(Field f, int64_t value);
  /// Bits of the word that no field of this opcode (nor op/tokens) covers.
  std::array<uint64_t, kInstrWords> reservedBits() const;
  bool operator==(const Instr &o) const { return w == o.w; }
};

/// The max pool a GEMM, GEMM_CSR or GEMM_WIN fuses after its epilogue
/// (docs/isa.md 3.3, ISA v5): a `k x k`, stride-`s` window over the
/// `out_h x out_w` tile the epilogue computes, padded by the pads.
struct GemmPool {
  uint32_t k = 0, s = 0, padT = 0, padL = 0, padB = 0, padR = 0;
  /// The pooled tile: (out + pads - k) / s + 1 rows / columns, 0 when the
  /// padded tile is smaller than the window.
  uint64_t outH = 0, outW = 0;
};
/// The pool of a GEMM-family instruction, or nullopt when `pool_k` is 0.
std::optional<GemmPool> gemmPool(const Instr &in);

/// Little-endian bytes of an instruction / instruction from 32 bytes.
void encode(const Instr &i, uint8_t *out);
Instr decode(const uint8_t *in);

} // namespace dlprt::isa

#endif // DLPRT_ISA_H

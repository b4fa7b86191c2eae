//===- Isa.cpp - DLP ISA v1 tables, field access, encode / decode ---------===//
//
// Everything here is generated from Isa.def (docs/isa.md is its prose).
//
//===----------------------------------------------------------------------===//

#include "dlprt/Isa.h"

#include <iterator>

namespace dlprt::isa {

namespace {

constexpr FieldInfo kFields[] = {
#define DLP_FIELD(Op, name, word, lsb, width, isSigned)                        \
  {Opcode::Op, #name, word, lsb, width, isSigned},
#include "dlprt/Isa.def"
};
static_assert(std::size(kFields) == size_t(Field::NumFields));

constexpr OpcodeInfo kOpcodes[] = {
#define DLP_OPCODE(Name, mnemonic, value, queue)                               \
  {Opcode::Name, mnemonic, Queue::queue},
#include "dlprt/Isa.def"
};

/// Mask of `width` low bits (width <= 64).
constexpr uint64_t lowMask(unsigned width) {
  return width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
}

} // namespace

const FieldInfo &fieldInfo(Field f) { return kFields[size_t(f)]; }

const OpcodeInfo *opcodeInfo(uint8_t value) {
  for (const OpcodeInfo &info : kOpcodes)
    if (uint8_t(info.op) == value)
      return &info;
  return nullptr;
}

std::vector<Field> fieldsOf(Opcode op) {
  std::vector<Field> out;
  for (size_t i = 0; i < std::size(kFields); ++i)
    if (kFields[i].op == op)
      out.push_back(Field(i));
  return out;
}

std::optional<Field> findField(Opcode op, std::string_view name) {
  for (size_t i = 0; i < std::size(kFields); ++i)
    if (kFields[i].op == op && kFields[i].name == name)
      return Field(i);
  return std::nullopt;
}

Instr Instr::make(Opcode op, uint8_t tokens) {
  Instr i;
  i.w[0] = uint64_t(op) & 0x3f;
  i.setTokens(tokens);
  return i;
}

void Instr::setTokens(uint8_t t) {
  w[0] = (w[0] & ~(uint64_t(0xf) << 6)) | (uint64_t(t & 0xf) << 6);
}

int64_t Instr::get(Field f) const {
  const FieldInfo &info = fieldInfo(f);
  uint64_t raw = (w[info.word] >> info.lsb) & lowMask(info.width);
  if (info.isSigned && info.width < 64 && (raw >> (info.width - 1)) & 1)
    raw |= ~lowMask(info.width);
  return int64_t(raw);
}

bool Instr::set(Field f, int64_t value) {
  const FieldInfo &info = fieldInfo(f);
  if (info.op != opcode())
    return false;
  if (info.isSigned) {
    int64_t lo = -(int64_t(1) << (info.width - 1));
    int64_t hi = (int64_t(1) << (info.width - 1)) - 1;
    if (value < lo || value > hi)
      return false;
  } else if (value < 0 || uint64_t(value) > lowMask(info.width)) {
    return false;
  }
  uint64_t mask = lowMask(info.width) << info.lsb;
  w[info.word] = (w[info.word] & ~mask) |
                 ((uint64_t(value) & lowMask(info.width)) << info.lsb);
  return true;
}

std::array<uint64_t, kInstrWords> Instr::reservedBits() const {
  std::array<uint64_t, kInstrWords> used{};
  used[0] = 0x3ff; // op and the four token flags
  for (const FieldInfo &info : kFields)
    if (uint8_t(info.op) == opcodeValue())
      used[info.word] |= lowMask(info.width) << info.lsb;
  std::array<uint64_t, kInstrWords> reserved;
  for (unsigned k = 0; k < kInstrWords; ++k)
    reserved[k] = w[k] & ~used[k];
  return reserved;
}

std::optional<GemmPool> gemmPool(const Instr &in) {
  if (in.get(Field::Gemm_pool_k) == 0)
    return std::nullopt;
  GemmPool p;
  p.k = uint32_t(in.get(Field::Gemm_pool_k));
  p.s = uint32_t(in.get(Field::Gemm_pool_s));
  p.padT = uint32_t(in.get(Field::Gemm_pool_pad_t));
  p.padL = uint32_t(in.get(Field::Gemm_pool_pad_l));
  p.padB = uint32_t(in.get(Field::Gemm_pool_pad_b));
  p.padR = uint32_t(in.get(Field::Gemm_pool_pad_r));
  auto side = [&](uint64_t n, uint32_t a, uint32_t b) -> uint64_t {
    uint64_t padded = n + a + b;
    return padded < p.k || p.s == 0 ? 0 : (padded - p.k) / p.s + 1;
  };
  p.outH = side(uint64_t(in.get(Field::Gemm_out_h)), p.padT, p.padB);
  p.outW = side(uint64_t(in.get(Field::Gemm_out_w)), p.padL, p.padR);
  return p;
}

void encode(const Instr &i, uint8_t *out) {
  for (unsigned k = 0; k < kInstrWords; ++k)
    for (unsigned b = 0; b < 8; ++b)
      out[k * 8 + b] = uint8_t(i.w[k] >> (8 * b));
}

Instr decode(const uint8_t *in) {
  Instr i;
  for (unsigned k = 0; k < kInstrWords; ++k)
    for (unsigned b = 0; b < 8; ++b)
      i.w[k] |= uint64_t(in[k * 8 + b]) << (8 * b);
  return i;
}

} // namespace dlprt::isa

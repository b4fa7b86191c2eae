//===- IsaTest.cpp - Encoding table, field access, encode / decode --------===//

#include "dlprt/Isa.h"

#include "gtest/gtest.h"

#include <random>

using namespace dlprt::isa;

namespace {

std::vector<Opcode> allOpcodes() {
  std::vector<Opcode> ops;
  for (unsigned v = 0; v < 64; ++v)
    if (const OpcodeInfo *info = opcodeInfo(uint8_t(v)))
      ops.push_back(info->op);
  return ops;
}

TEST(Isa, OpcodeTable) {
  EXPECT_EQ(allOpcodes().size(), 10u);
  EXPECT_EQ(opcodeInfo(7)->mnemonic, "gemm_csr");
  EXPECT_EQ(opcodeInfo(7)->queue, Queue::Compute);
  EXPECT_EQ(opcodeInfo(9)->mnemonic, "gemm_win");
  EXPECT_EQ(opcodeInfo(9)->queue, Queue::Compute);
  EXPECT_EQ(opcodeInfo(10), nullptr);
  EXPECT_EQ(opcodeInfo(63), nullptr);
  EXPECT_EQ(opcodeInfo(3)->mnemonic, "gemm");
  EXPECT_EQ(opcodeInfo(3)->queue, Queue::Compute);
  EXPECT_EQ(opcodeInfo(1)->queue, Queue::Load);
  EXPECT_EQ(opcodeInfo(2)->queue, Queue::Store);
  EXPECT_EQ(opcodeInfo(0)->queue, Queue::Barrier);
  EXPECT_EQ(fieldsOf(Opcode::Gemm).size(), 29u);
  // GEMM_CSR's fields sit where GEMM's do (code reads both through
  // Field::Gemm_*).
  std::vector<Field> g = fieldsOf(Opcode::Gemm), c = fieldsOf(Opcode::GemmCsr);
  ASSERT_EQ(g.size(), c.size());
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_EQ(fieldInfo(g[i]).name, fieldInfo(c[i]).name);
    EXPECT_EQ(fieldInfo(g[i]).word, fieldInfo(c[i]).word);
    EXPECT_EQ(fieldInfo(g[i]).lsb, fieldInfo(c[i]).lsb);
    EXPECT_EQ(fieldInfo(g[i]).width, fieldInfo(c[i]).width);
  }
  EXPECT_EQ(fieldsOf(Opcode::End).size(), 0u);
  EXPECT_EQ(findField(Opcode::Gemm, "w_addr"), Field::Gemm_w_addr);
  EXPECT_FALSE(findField(Opcode::Gemm, "n0"));
  const FieldInfo &f = fieldInfo(Field::Load_s2);
  EXPECT_EQ(f.word, 3);
  EXPECT_EQ(f.lsb, 24);
  EXPECT_EQ(f.width, 40);
}

/// No two fields of an opcode overlap, and none overlaps op / tokens.
TEST(Isa, FieldsDisjoint) {
  for (Opcode op : allOpcodes()) {
    std::array<uint64_t, kInstrWords> used{0x3ff, 0, 0, 0};
    for (Field f : fieldsOf(op)) {
      const FieldInfo &i = fieldInfo(f);
      ASSERT_LE(i.lsb + i.width, 64) << i.name;
      uint64_t mask = (i.width == 64 ? ~0ull : (1ull << i.width) - 1) << i.lsb;
      EXPECT_EQ(used[i.word] & mask, 0u) << i.name;
      used[i.word] |= mask;
    }
  }
}

TEST(Isa, EveryFieldAtItsLimits) {
  for (Opcode op : allOpcodes()) {
    for (Field f : fieldsOf(op)) {
      const FieldInfo &info = fieldInfo(f);
      int64_t max = int64_t((1ull << info.width) - 1);
      for (int64_t v : {int64_t(0), int64_t(1), max - 1, max}) {
        Instr i = Instr::make(op, 0xf);
        ASSERT_TRUE(i.set(f, v)) << info.name << " = " << v;
        EXPECT_EQ(i.get(f), v) << info.name;
        // Only that field's bits (and op, tokens) are set.
        for (Field g : fieldsOf(op)) {
          if (g != f) {
            EXPECT_EQ(i.get(g), 0)
                << info.name << " leaked into " << fieldInfo(g).name;
          }
        }
        EXPECT_EQ(i.opcode(), op);
        EXPECT_EQ(i.tokens(), 0xf);
        uint8_t bytes[kInstrBytes];
        encode(i, bytes);
        EXPECT_EQ(decode(bytes), i);
        EXPECT_EQ(i.reservedBits(), (std::array<uint64_t, 4>{}));
      }
      Instr i = Instr::make(op);
      EXPECT_FALSE(i.set(f, max + 1)) << info.name;
      EXPECT_FALSE(i.set(f, -1)) << info.name;
      EXPECT_EQ(i, Instr::make(op)) << "a refused set() changed the word";
    }
  }
}

TEST(Isa, SetRefusesAnotherOpcodesField) {
  Instr i = Instr::make(Opcode::Load);
  EXPECT_FALSE(i.set(Field::Gemm_in_addr, 1));
  EXPECT_TRUE(i.set(Field::Load_n0, 1));
}

TEST(Isa, LittleEndianWords) {
  Instr i = Instr::make(Opcode::Load);
  ASSERT_TRUE(i.set(Field::Load_ddr_addr, 0x0102030405));
  uint8_t b[kInstrBytes];
  encode(i, b);
  EXPECT_EQ(b[0], 1); // opcode LOAD in the low byte of w0
  EXPECT_EQ(b[8], 0x05);
  EXPECT_EQ(b[12], 0x01);
}

TEST(Isa, ReservedBitsFound) {
  for (Opcode op : allOpcodes()) {
    std::array<uint64_t, kInstrWords> used{0x3ff, 0, 0, 0};
    for (Field f : fieldsOf(op)) {
      const FieldInfo &i = fieldInfo(f);
      used[i.word] |= ((1ull << i.width) - 1) << i.lsb;
    }
    for (unsigned w = 0; w < kInstrWords; ++w)
      for (unsigned bit = 0; bit < 64; ++bit) {
        Instr i = Instr::make(op);
        i.w[w] |= 1ull << bit;
        bool reserved = !((used[w] >> bit) & 1);
        EXPECT_EQ(i.reservedBits()[w] != 0, reserved)
            << opcodeInfo(uint8_t(op))->mnemonic << " w" << w << " bit " << bit;
      }
  }
}

TEST(Isa, RandomWordsRoundTrip) {
  std::mt19937_64 rng(7);
  for (int n = 0; n < 1000; ++n) {
    Instr i;
    for (uint64_t &w : i.w)
      w = rng();
    uint8_t b[kInstrBytes];
    encode(i, b);
    EXPECT_EQ(decode(b), i);
  }
}

} // namespace

//===- MutationTest.cpp - Hostile binaries: load fails or runs, never crash
//===//
//
// Mutants of a valid binary that uses every opcode: bit flips, byte
// overwrites, truncations and section-table edits. Each must either be
// refused by readBinary with an error or run to completion on the
// simulator. Run under ASan / UBSan to make "no crash" strict.
//
//===----------------------------------------------------------------------===//

#include "ProgramBuilder.h"

#include "gtest/gtest.h"

#include <random>

using namespace dlprt;
using namespace dlprt::test;

namespace {

TEST(Mutation, EveryMutantFailsToLoadOrRuns) {
  const unsigned seed = 20261202;
  std::printf("mutation seed %u\n", seed);
  std::mt19937_64 rng(seed);
  const std::vector<uint8_t> good = writeBinary(everyOpcodeProgram());
  ASSERT_EQ(loadError(good), "");
  const size_t table = 32, tableBytes = 24 * 8;
  size_t loaded = 0, refused = 0;
  std::vector<uint8_t> data;
  for (int n = 0; n < 6000; ++n) {
    std::vector<uint8_t> b = good;
    auto pick = [&](size_t lo, size_t hi) {
      return std::uniform_int_distribution<size_t>(lo, hi - 1)(rng);
    };
    int edits = 1 + int(pick(0, 3));
    for (int e = 0; e < edits && !b.empty(); ++e) {
      switch (pick(0, 5)) {
      case 0: // bit flip anywhere
        b[pick(0, b.size())] ^= uint8_t(1u << pick(0, 8));
        break;
      case 1: // byte overwrite
        b[pick(0, b.size())] = uint8_t(rng());
        break;
      case 2: { // truncation, header size patched so parsing goes on
        b.resize(pick(0, b.size()));
        if (b.size() >= 32)
          for (int i = 0; i < 8; ++i)
            b[24 + i] = uint8_t(uint64_t(b.size()) >> (8 * i));
        break;
      }
      case 3: { // section table: offset or size field, small or wild
        size_t at = table + 24 * pick(0, 8) + (pick(0, 2) ? 8 : 16);
        uint64_t v = pick(0, 2) ? rng() : pick(0, 4096);
        for (int i = 0; i < 8 && at + i < b.size(); ++i)
          b[at + i] = uint8_t(v >> (8 * i));
        break;
      }
      default: // an instruction or const byte: most likely to stay valid
        if (b.size() > table + tableBytes)
          b[pick(table + tableBytes, b.size())] ^= uint8_t(1u << pick(0, 8));
        break;
      }
    }
    llvm::Expected<Program> p = readBinary(b);
    if (!p) {
      std::string err = llvm::toString(p.takeError());
      ASSERT_FALSE(err.empty());
      ++refused;
      continue;
    }
    ++loaded;
    llvm::Expected<std::unique_ptr<Simulator>> sim = Simulator::create(*p);
    ASSERT_TRUE(bool(sim)) << "readBinary accepted what create refuses: "
                           << llvm::toString(sim.takeError());
    data.assign(touchedDataBytes(*p), 0x5a);
    (*sim)->run(data.data());
  }
  std::printf("mutants: %zu refused, %zu loaded and ran\n", refused, loaded);
  EXPECT_GT(refused, 1000u);
  EXPECT_GT(loaded, 100u);
}

/// Field-level mutants: one field of one instruction set to a random value
/// of its width (small values favoured, so that many stay valid and run).
/// A gap between what the validator proves and what the simulator touches
/// shows up here (under ASan) as an out-of-bounds access.
TEST(Mutation, FieldMutantsFailToLoadOrRun) {
  const unsigned seed = 77;
  std::printf("field mutation seed %u\n", seed);
  std::mt19937_64 rng(seed);
  const Program good = everyOpcodeProgram();
  size_t loaded = 0, refused = 0;
  std::vector<uint8_t> data;
  for (int n = 0; n < 4000; ++n) {
    Program p = good;
    size_t i = rng() % p.code.size();
    std::vector<isa::Field> fields = isa::fieldsOf(p.code[i].opcode());
    if (fields.empty()) {
      p.code[i].setTokens(uint8_t(rng() & 15));
    } else {
      isa::Field f = fields[rng() % fields.size()];
      unsigned width = isa::fieldInfo(f).width;
      unsigned bits = 1 + unsigned(rng() % std::min(width, 12u));
      if (rng() % 8 == 0)
        bits = width;
      int64_t v = int64_t(rng() & ((bits >= 64 ? 0 : uint64_t(1) << bits) - 1));
      ASSERT_TRUE(p.code[i].set(f, v));
    }
    llvm::Expected<Program> q = readBinary(writeBinary(p));
    if (!q) {
      llvm::consumeError(q.takeError());
      ++refused;
      continue;
    }
    ++loaded;
    llvm::Expected<std::unique_ptr<Simulator>> sim = Simulator::create(*q);
    ASSERT_TRUE(bool(sim)) << llvm::toString(sim.takeError());
    data.assign(touchedDataBytes(*q), 0x5a);
    (*sim)->run(data.data());
  }
  std::printf("field mutants: %zu refused, %zu loaded and ran\n", refused,
              loaded);
  EXPECT_GT(refused, 500u);
  EXPECT_GT(loaded, 500u);
}

/// A machine that already ran zeroes only what the program can write before
/// its next run (its footprint), and its first run skips the reset: a
/// reused machine must end exactly as a new one, on the every-opcode program
/// and on field mutants that load (which may read units nothing wrote),
/// after a run on other data.
TEST(Mutation, ReusedMachineEndsAsANewOne) {
  std::mt19937_64 rng(4242);
  const Program good = everyOpcodeProgram();
  size_t compared = 0;
  for (int n = 0; n < 1500 && compared < 300; ++n) {
    Program p = good;
    if (n) {
      size_t i = rng() % p.code.size();
      std::vector<isa::Field> fields = isa::fieldsOf(p.code[i].opcode());
      if (fields.empty())
        continue;
      isa::Field f = fields[rng() % fields.size()];
      unsigned bits = 1 + unsigned(rng() % std::min<unsigned>(isa::fieldInfo(f).width, 8u));
      ASSERT_TRUE(p.code[i].set(f, int64_t(rng() & ((uint64_t(1) << bits) - 1))));
    }
    llvm::Expected<Program> q = readBinary(writeBinary(p));
    if (!q) {
      llvm::consumeError(q.takeError());
      continue;
    }
    llvm::Expected<std::unique_ptr<Simulator>> fresh = Simulator::create(*q),
                                                reused = Simulator::create(*q);
    ASSERT_TRUE(fresh && reused);
    uint64_t bytes = touchedDataBytes(*q);
    std::vector<uint8_t> input(bytes), other(bytes);
    for (auto &v : input)
      v = uint8_t(rng());
    for (auto &v : other)
      v = uint8_t(rng());
    std::vector<uint8_t> a = input, b = input;
    (*fresh)->run(a.data());
    (*reused)->run(other.data());
    (*reused)->run(b.data());
    ASSERT_EQ(a, b) << "mutant " << n;
    const MachineState &x = (*fresh)->state(), &y = (*reused)->state();
    auto same = [](const auto &u, const auto &v) {
      return std::equal(u.begin(), u.end(), v.begin(), v.end());
    };
    ASSERT_TRUE(same(x.fbuf, y.fbuf)) << "FBUF, mutant " << n;
    ASSERT_TRUE(same(x.wcode, y.wcode) && same(x.walign, y.walign) &&
                same(x.wtag, y.wtag))
        << "WBUF, mutant " << n;
    ASSERT_TRUE(same(x.bias, y.bias) && same(x.outShift, y.outShift) &&
                same(x.actMin, y.actMin) && same(x.actMax, y.actMax) &&
                same(x.aux, y.aux))
        << "PBUF, mutant " << n;
    ASSERT_TRUE(same(x.abuf, y.abuf)) << "ABUF, mutant " << n;
    ++compared;
  }
  EXPECT_GE(compared, 100u);
}

} // namespace

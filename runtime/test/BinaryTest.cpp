//===- BinaryTest.cpp - .dlpb round trip and every loader error -----------===//

#include "ProgramBuilder.h"

#include "dlprt/Schedule.h"

#include "gtest/gtest.h"

#include <cstring>
#include <set>

using namespace dlprt;
using namespace dlprt::isa;
using namespace dlprt::test;

namespace {

#define EXPECT_ERROR(text, fragment)                                           \
  EXPECT_NE((text).find(fragment), std::string::npos)                          \
      << "expected \"" << (fragment) << "\" in: " << (text)

void put64(std::vector<uint8_t> &b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    b[at + i] = uint8_t(v >> (8 * i));
}
uint64_t get64(const std::vector<uint8_t> &b, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= uint64_t(b[at + i]) << (8 * i);
  return v;
}
/// Index of the section table entry of `kind`.
size_t entryOf(const std::vector<uint8_t> &b, SectionKind kind) {
  uint32_t n = uint32_t(get64(b, 16));
  for (size_t i = 0; i < n; ++i)
    if (uint32_t(get64(b, 32 + 24 * i)) == uint32_t(kind))
      return 32 + 24 * i;
  ADD_FAILURE() << "no section " << uint32_t(kind);
  return 0;
}

/// The error of the every-opcode program with instruction `i` edited.
std::string errorWith(size_t i, Field f, int64_t v) {
  Program p = everyOpcodeProgram();
  EXPECT_TRUE(p.code[i].set(f, v)) << fieldInfo(f).name;
  return loadError(writeBinary(p));
}

/// The error of the every-opcode program after `edit`.
template <typename Edit> std::string errorAfter(Edit edit) {
  Program p = everyOpcodeProgram();
  edit(p);
  return loadError(writeBinary(p));
}

TEST(Binary, RoundTripIsByteIdentical) {
  Program p = everyOpcodeProgram();
  p.debug = {{0, 4, "conv1"}, {4, 12, "rest"}};
  std::vector<uint8_t> bytes = writeBinary(p);
  llvm::Expected<Program> q = readBinary(bytes);
  ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
  EXPECT_EQ(writeBinary(*q), bytes);
  EXPECT_EQ(q->code, p.code);
  EXPECT_EQ(q->constData, p.constData);
  EXPECT_EQ(q->tensors.size(), 4u);
  EXPECT_EQ(q->tensors[3].fracBlock, 6);
  EXPECT_EQ(q->host[0].params, p.host[0].params);
  EXPECT_EQ(q->debug[1].node, "rest");
  EXPECT_EQ(std::memcmp(bytes.data(), "DLPB", 4), 0);
  EXPECT_EQ(get64(bytes, 24), bytes.size());
  // Every opcode is present.
  std::set<Opcode> ops;
  for (const Instr &i : p.code)
    ops.insert(i.opcode());
  EXPECT_EQ(ops.size(), 8u);
}

TEST(Binary, HeaderErrors) {
  std::vector<uint8_t> good = writeBinary(everyOpcodeProgram());
  auto with = [&](size_t at, uint8_t v) {
    std::vector<uint8_t> b = good;
    b[at] = v;
    return loadError(b);
  };
  EXPECT_ERROR(with(0, 'X'), "header: bad magic");
  EXPECT_ERROR(with(4, 3), "header: format version 3");
  EXPECT_ERROR(with(6, 9), "header: ISA version 9");
  EXPECT_ERROR(with(20, 1), "header: reserved field");
  EXPECT_ERROR(with(24, good[24] + 1), "header: total size");
  EXPECT_ERROR(with(16, 200), "header: section count 200");
  EXPECT_ERROR(with(8, good[8] ^ 1), "section TARGET: fingerprint");
  EXPECT_ERROR(loadError({}), "header: file has 0 bytes");
  // Every truncation fails (the header's size no longer matches).
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_NE(loadError(std::vector<uint8_t>(good.begin(), good.begin() + n)),
              "")
        << n;
}

TEST(Binary, SectionTableErrors) {
  std::vector<uint8_t> good = writeBinary(everyOpcodeProgram());
  size_t code = entryOf(good, SectionKind::Code);
  size_t debug = entryOf(good, SectionKind::Debug);
  std::vector<uint8_t> b = good;
  put64(b, debug + 8, get64(good, code + 8)); // DEBUG onto CODE
  EXPECT_ERROR(loadError(b), "(kind 8, DEBUG): bytes");
  EXPECT_ERROR(loadError(b), "overlap another section");
  b = good;
  put64(b, code + 8, 40); // inside the section table
  EXPECT_ERROR(loadError(b), "outside the file's payload area");
  b = good;
  put64(b, code + 16, uint64_t(1) << 62); // size past the end
  EXPECT_ERROR(loadError(b), "(kind 2, CODE): bytes");
  b = good;
  put64(b, code + 8, get64(good, code + 8) + 4);
  EXPECT_ERROR(loadError(b), "not 8-byte aligned");
  b = good;
  b[code] = 42;
  EXPECT_ERROR(loadError(b), "(kind 42, ?): unknown section kind");
  b = good;
  b[code] = uint8_t(SectionKind::Const); // CONST twice, CODE missing
  EXPECT_ERROR(loadError(b), "duplicate section");
  b = good;
  b[debug] = uint8_t(SectionKind::Code);
  b[code] = uint8_t(SectionKind::Debug); // swapped: CODE payload is DEBUG's
  EXPECT_NE(loadError(b), "");
  b = good;
  b[code + 4] = 1;
  EXPECT_ERROR(loadError(b), "reserved field is not 0");
}

/// Names of the sections whose truncation the section itself reports.
const char *recordSectionName(SectionKind kind) {
  switch (kind) {
  case SectionKind::Tensors:
    return "TENSORS";
  case SectionKind::IO:
    return "IO";
  case SectionKind::Host:
    return "HOST";
  case SectionKind::Memory:
    return "MEMORY";
  case SectionKind::Target:
    return "TARGET";
  default:
    return nullptr;
  }
}

/// Shrinking a section's size (the file stays consistent otherwise) is an
/// error naming the section (record sections) at every length.
TEST(Binary, TruncatedSectionsAtEveryLength) {
  std::vector<uint8_t> good = writeBinary(everyOpcodeProgram());
  for (SectionKind kind :
       {SectionKind::Target, SectionKind::Code, SectionKind::Const,
        SectionKind::Memory, SectionKind::Tensors, SectionKind::IO,
        SectionKind::Host, SectionKind::Debug}) {
    size_t e = entryOf(good, kind);
    uint64_t size = get64(good, e + 16);
    for (uint64_t n = 0; n < size; ++n) {
      std::vector<uint8_t> b = good;
      put64(b, e + 16, n);
      std::string err = loadError(b);
      ASSERT_NE(err, "") << "kind " << uint32_t(kind) << " size " << n;
      if (const char *name = recordSectionName(kind)) {
        EXPECT_ERROR(err, std::string("section ") + name);
      }
      if (kind == SectionKind::Code && n % 32) {
        EXPECT_ERROR(err, "section CODE: size");
      }
    }
  }
  // A record cut inside names the record.
  Program p = everyOpcodeProgram();
  std::vector<uint8_t> b = writeBinary(p);
  size_t e = entryOf(b, SectionKind::Tensors);
  put64(b, e + 16, get64(b, e + 16) - 3);
  EXPECT_ERROR(loadError(b), "section TENSORS: record 3: truncated: type");
}

TEST(Binary, WrongTargetFingerprint) {
  std::vector<uint8_t> bytes = writeBinary(everyOpcodeProgram());
  TargetConfig other = tinyTarget();
  other.name = "other";
  other.clockMHz = 250;
  std::string err = loadError(bytes, &other);
  EXPECT_ERROR(err, "compiled for target 'tiny' (fingerprint 0x");
  EXPECT_ERROR(err, "given target 'other' (fingerprint 0x");
  TargetConfig same = tinyTarget();
  EXPECT_EQ(loadError(bytes, &same), "");
}

TEST(Binary, InstructionErrorsNameIndexAndField) {
  // Indices of everyOpcodeProgram: 0-3 LOAD, 4-5 GEMM, 6 POOL, 7 ADD,
  // 8 STORE, 9 SYNC, 10-11 HOST, 12 END.
  struct Case {
    size_t instr;
    Field field;
    int64_t value;
    const char *expected;
  };
  const Case cases[] = {
      {0, Field::Load_sram_addr, 500,
       "instruction #0 (load): field 'sram_addr' = 500: touches FBUF"},
      {0, Field::Load_ddr_addr, 800,
       "instruction #0 (load): field 'ddr_addr' = 800: box of 256 "
       "bytes exceeds DDR region data (1024 bytes)"},
      {0, Field::Load_s1, 1ll << 39, "instruction #0 (load): field 'ddr_addr'"},
      {0, Field::Load_n1, 0,
       "instruction #0 (load): field 'n1' = 0: must be >= 1"},
      {0, Field::Load_buf, 3,
       "instruction #0 (load): field 'buf' = 3: invalid"},
      {1, Field::Load_region, 1,
       "instruction #1 (load): field 'region' = 1: WBUF and PBUF load "
       "from region const (0) only"},
      {1, Field::Load_sram_addr, 500,
       "instruction #1 (load): field 'sram_addr' = 500: touches WBUF"},
      {3, Field::Load_sram_addr, 63,
       "instruction #3 (load): field 'sram_addr' = 63: touches PBUF"},
      {3, Field::Load_ddr_addr, 1ll << 39,
       "field 'ddr_addr' = 549755813888: box of 128 bytes exceeds DDR "
       "region const"},
      {8, Field::Store_region, 0,
       "instruction #8 (store): field 'region' = 0: STORE writes"},
      {8, Field::Store_buf, 1,
       "instruction #8 (store): field 'buf' = 1: invalid (STORE reads"},
      {8, Field::Store_ddr_addr, 1020,
       "instruction #8 (store): field 'ddr_addr' = 1020"},
      {4, Field::Gemm_in_addr, 490,
       "instruction #4 (gemm): field 'in_addr' = 490: touches FBUF "
       "units [490, 522) but FBUF has 512"},
      {4, Field::Gemm_in_cstride, 0xffffff,
       "instruction #4 (gemm): field 'in_addr'"},
      {4, Field::Gemm_w_addr, 500,
       "instruction #4 (gemm): field 'w_addr' = 500: touches WBUF"},
      {4, Field::Gemm_acc_addr, 120,
       "instruction #4 (gemm): field 'acc_addr' = 120: touches ABUF"},
      {4, Field::Gemm_param_addr, 64,
       "instruction #4 (gemm): field 'param_addr' = 64: touches PBUF"},
      {5, Field::Gemm_out_addr, 500,
       "instruction #5 (gemm): field 'out_addr' = 500: touches FBUF"},
      {4, Field::Gemm_stride_w, 0,
       "instruction #4 (gemm): field 'stride_w' = 0: must be >= 1"},
      {6, Field::Pool_mode, 3,
       "instruction #6 (pool): field 'mode' = 3: invalid"},
      {6, Field::Pool_out_addr, 500,
       "instruction #6 (pool): field 'out_addr' = 500: touches FBUF"},
      {6, Field::Pool_in_addr, 500,
       "instruction #6 (pool): field 'in_addr' = 500"},
      {6, Field::Pool_cb, 2,
       "instruction #6 (pool): field 'out_cstride' = 0: output channel "
       "blocks overlap"},
      {6, Field::Pool_k_w, 0,
       "instruction #6 (pool): field 'k_w' = 0: must be >= 1"},
      {7, Field::Add_b_addr, 500,
       "instruction #7 (add): field 'b_addr' = 500: touches FBUF"},
      {7, Field::Add_param_addr, 64,
       "instruction #7 (add): field 'param_addr' = 64: touches PBUF"},
      {7, Field::Add_out_addr, 497,
       "instruction #7 (add): field 'out_addr' = 497"},
      {10, Field::Host_segment, 2,
       "instruction #10 (host): field 'segment' = 2: out of range (2 "
       "host segments)"},
  };
  for (const Case &c : cases)
    EXPECT_ERROR(errorWith(c.instr, c.field, c.value), c.expected);
  // A CSR stream needs a target with the decoder; 3 is no format.
  EXPECT_ERROR(
      errorWith(1, Field::Load_wfmt, 2),
      "instruction #1 (load): field 'wfmt' = 2: target 'tiny' has no CSR "
      "decoder");
  EXPECT_ERROR(
      errorWith(1, Field::Load_wfmt, 3),
      "instruction #1 (load): field 'wfmt' = 3: invalid weight format (0 "
      "pow2, 1 int8, 2 raw rows)");
  Program big = everyOpcodeProgram();
  big.code[4].set(Field::Gemm_k_h, 15);
  big.code[4].set(Field::Gemm_k_w, 15);
  EXPECT_ERROR(loadError(writeBinary(big)),
               "instruction #4 (gemm): field 'w_addr' = 0: touches WBUF units "
               "[0, 3600)");
  EXPECT_ERROR(
      errorWith(4, Field::Gemm_wfmt, 2),
      "instruction #4 (gemm): field 'wfmt' = 2: invalid weight format");
  // Mode 1 with dilation.
  EXPECT_ERROR(
      errorAfter([](Program &p) {
        p.code[6].set(Field::Pool_mode, 1);
        p.code[6].set(Field::Pool_dil_h, 2);
      }),
      "instruction #6 (pool): field 'dil_h' = 2: must be 1 for average");
  // The residual add needs the epilogue, its tile after the output inside
  // FBUF and apart from the input, and the parameter entry after the
  // GEMM's inside PBUF.
  EXPECT_ERROR(errorWith(4, Field::Gemm_residual, 1),
               "instruction #4 (gemm): field 'residual' = 1: needs the "
               "epilogue");
  auto residual = [](int64_t outAddr, int64_t param) {
    return errorAfter([=](Program &p) {
      p.code[5].set(Field::Gemm_residual, 1);
      p.code[5].set(Field::Gemm_out_addr, outAddr);
      p.code[5].set(Field::Gemm_param_addr, param);
    });
  };
  EXPECT_EQ(residual(32, 3), "");
  EXPECT_ERROR(residual(490, 3), "instruction #5 (gemm): field 'out_addr' = "
                                 "490: touches FBUF units [490, 522)");
  EXPECT_ERROR(residual(8, 3), "instruction #5 (gemm): field 'out_addr' = 8: "
                               "a residual GEMM's output overlaps its input");
  EXPECT_ERROR(residual(32, 63), "instruction #5 (gemm): field 'param_addr' "
                                 "= 63: touches PBUF units [63, 65)");
  // Version 2 reserved the bit: a v2 header with it set is refused, and a
  // v2 header without it still loads.
  Program res = everyOpcodeProgram();
  res.code[5].set(Field::Gemm_residual, 1);
  res.code[5].set(Field::Gemm_out_addr, 32);
  std::vector<uint8_t> v2 = writeBinary(res);
  v2[6] = 2;
  EXPECT_ERROR(loadError(v2), "instruction #5: field 'residual' is ISA "
                              "version 3 (the header says 2)");
  std::vector<uint8_t> plain = writeBinary(everyOpcodeProgram());
  plain[6] = 2;
  EXPECT_EQ(loadError(plain), "");
}

TEST(Binary, OpcodeReservedBitsTokensEnd) {
  // GEMM_CSR on a target without the CSR decoder.
  EXPECT_ERROR(errorAfter([&](Program &p) {
                 p.code[4].w[0] = (p.code[4].w[0] & ~0x3full) | 7;
               }),
               "instruction #4 (gemm_csr): target 'tiny' has no CSR decoder");
  EXPECT_ERROR(errorAfter([&](Program &p) {
                 p.code[6].w[0] = (p.code[6].w[0] & ~0x3full) | 10;
               }),
               "instruction #6 (?): unknown opcode 10");
  EXPECT_ERROR(errorAfter([&](Program &p) {
                 p.code[6].w[0] = (p.code[6].w[0] & ~0x3full) | 40;
               }),
               "instruction #6 (?): unknown opcode 40");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.code[4].w[0] |= 1ull << 63; }),
               "instruction #4 (gemm): reserved bits set in w0 (mask "
               "0x8000000000000000)");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.code[9].w[1] = 1; }),
               "instruction #9 (sync): reserved bits");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.code[0].setTokens(PopPrev); }),
               "instruction #0 (load): token flags 0x1 invalid for the load "
               "queue");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.code[8].setTokens(PushNext); }),
               "instruction #8 (store): token flags 0x8 invalid for the store");
  EXPECT_ERROR(
      errorAfter([&](Program &p) { p.code[10].setTokens(PushPrev); }),
      "instruction #10 (host): token flags 0x4 invalid for the barrier");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.code.pop_back(); }),
               "instruction #11 (host): the last instruction must be END");
  EXPECT_ERROR(errorAfter([&](Program &p) {
                 p.code.insert(p.code.begin() + 3, Instr::make(Opcode::End));
               }),
               "instruction #3 (end): END must be the last instruction (10 "
               "follow)");
  EXPECT_ERROR(errorAfter([](Program &p) { p.code.clear(); }),
               "no instructions (END missing)");
}

TEST(Binary, ConstContentsChecked) {
  // Row 0 of the pow2 rows at const byte 0: channel 1 code 8.
  EXPECT_ERROR(errorAfter([&](Program &p) { p.constData[0] = 0x80; }),
               "instruction #1 (load): weight row at const byte 0: pow2 code 8 "
               "of channel 1 is invalid");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.constData[4] = 32; }),
               "instruction #1 (load): weight row at const byte 0: alignment "
               "32 outside [0, 31]");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.constData[80 + 9 + 2] = 0x80; }),
               "instruction #2 (load): weight row at const byte 89: int8 "
               "weight -128 of channel 2");
  uint64_t params = 80 + 144;
  EXPECT_ERROR(errorAfter([&](Program &p) {
                 p.constData[params + 32 + 5] = uint8_t(int8_t(64));
               }),
               "instruction #3 (load): parameter entry at const byte 224: "
               "out_shift 64 of channel 5 outside [-32, 63]");
  EXPECT_ERROR(errorAfter([&](Program &p) {
                 p.constData[params + 64 + 56 + 3] = uint8_t(int8_t(-23));
               }),
               "parameter entry at const byte 288: aux -23 of channel 3");
}

TEST(Binary, TokenDeadlockAndBalance) {
  EXPECT_ERROR(errorAfter([&](Program &p) { p.code[3].setTokens(0); }),
               "token deadlock before instruction #9 (sync): compute queue "
               "head instruction #4 (gemm) waits on load->compute");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.code[8].setTokens(0); }),
               "instruction #12 (end): unbalanced tokens: semaphore "
               "compute->store is 1 at END");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.code[0].setTokens(PopNext); }),
               "load queue head instruction #0 (load) waits on compute->load; "
               "compute queue head instruction #4 (gemm) waits on "
               "load->compute");
}

TEST(Binary, TensorHostAndIOErrors) {
  EXPECT_ERROR(errorAfter([&](Program &p) { p.tensors[1].ddrOffset = 1000; }),
               "section TENSORS: record 1 ('y'): bytes [1000, +128) exceed DDR "
               "region data (1024 bytes)");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.tensors[0].frac.pop_back(); }),
               "record 0 ('x'): 15 frac entries, expected");
  EXPECT_ERROR(errorAfter([&](Program &p) {
                 p.tensors[0].shape = {1, 16, 4, 5};
               }),
               "different element count");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.tensors[0].H = 0; }),
               "record 0 ('x'): H = 0 out of range");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.tensors[2].frac[0] = 40; }),
               "frac bits 40 out of range");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.outputs[1] = 9; }),
               "section IO: output 1: tensor index 9 out of range");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.host[0].inputs[0] = 7; }),
               "section HOST: record 0 (conv): input tensor index 7");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.host[0].constBytes -= 1; }),
               "record 0 (conv): const size");
  EXPECT_ERROR(
      errorAfter([&](Program &p) { p.host[0].constOffset = 1ull << 63; }),
      "exceed CONST");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.host[0].params[0] = 3; }),
               "group 3 does not divide");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.host[0].params[3] = 0; }),
               "param stride_h = 0 out of range");
  EXPECT_ERROR(
      errorAfter([&](Program &p) {
        p.constData[p.host[0].constOffset + p.host[0].constBytes - 24 + 2] = 70;
      }),
      "record 0 (conv): out_shift 70 of "
      "channel 2");
  EXPECT_ERROR(errorAfter([&](Program &p) {
                 p.host[1].inputs = {0, 0};
               }),
               "record 1 (concat): input channels add up to 32, output has 16");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.host[1].kind = HostOpKind(99); }),
               "record 1 (?): unknown kind 99");
  EXPECT_ERROR(errorAfter([&](Program &p) { p.dataBytes = kMaxDataBytes + 1; }),
               "section MEMORY: data size");
  EXPECT_ERROR(errorAfter([&](Program &p) {
                 p.debug = {{3, 99, "x"}};
               }),
               "section DEBUG: record 0 ('x')");
}

} // namespace

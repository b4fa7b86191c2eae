//===- ProgramBuilder.cpp - Hand-built DLP programs for the tests ---------===//

#include "ProgramBuilder.h"

#include "dlprt/HostOps.h"

#include "gtest/gtest.h"

using namespace dlprt::isa;

namespace dlprt::test {

TargetConfig tinyTarget() {
  TargetConfig t;
  t.name = "tiny";
  t.L = t.Q = 8;
  t.featureBytes = 512 * 8;
  t.weightBankBytes = 256 * 8;
  t.accBytes = 128 * 4 * 8;
  t.paramEntries = 64;
  t.clockMHz = 100;
  t.ddrBytesPerCycle = 8;
  t.ddrLatencyCycles = 10;
  return t;
}

Instr instr(Opcode op, Fields fields, uint8_t tokens) {
  Instr i = Instr::make(op, tokens);
  for (auto [name, value] : fields) {
    std::optional<Field> f = findField(op, name);
    if (!f) {
      ADD_FAILURE() << "no field " << name;
      continue;
    }
    EXPECT_TRUE(i.set(*f, value)) << name << " = " << value;
  }
  return i;
}

Instr load(Buf buf, Region region, int64_t sram, int64_t ddr, int64_t n0,
           int64_t n1, int64_t s1, int64_t n2, int64_t s2, int64_t wfmt,
           uint8_t tokens) {
  return instr(Opcode::Load,
               {{"buf", int64_t(buf)},
                {"wfmt", wfmt},
                {"region", int64_t(region)},
                {"sram_addr", sram},
                {"ddr_addr", ddr},
                {"n0", n0},
                {"n1", n1},
                {"s1", s1},
                {"n2", n2},
                {"s2", s2}},
               tokens);
}

Instr store(int64_t sram, int64_t ddr, int64_t n0, int64_t n1, int64_t s1,
            int64_t n2, int64_t s2, uint8_t tokens) {
  Instr i =
      load(Buf::FBuf, Region::Data, sram, ddr, n0, n1, s1, n2, s2, 0, tokens);
  i.w[0] = (i.w[0] & ~uint64_t(0x3f)) | uint64_t(Opcode::Store);
  return i; // LOAD and STORE share their field layout
}

Builder::Builder(TargetConfig t) { p.target = std::move(t); }

uint64_t Builder::addConst(const std::vector<uint8_t> &bytes) {
  uint64_t at = p.constData.size();
  p.constData.insert(p.constData.end(), bytes.begin(), bytes.end());
  return at;
}

uint64_t Builder::pow2Rows(const std::vector<std::vector<uint8_t>> &codes,
                           const std::vector<uint8_t> &align) {
  std::vector<uint8_t> b;
  for (size_t r = 0; r < codes.size(); ++r) {
    for (uint32_t q = 0; q < p.target.Q; q += 2)
      b.push_back(uint8_t(codes[r][q] | codes[r][q + 1] << 4));
    b.push_back(align[r]);
  }
  return addConst(b);
}

uint64_t Builder::int8Rows(const std::vector<std::vector<int8_t>> &w,
                           const std::vector<uint8_t> &align) {
  std::vector<uint8_t> b;
  for (size_t r = 0; r < w.size(); ++r) {
    for (int8_t v : w[r])
      b.push_back(uint8_t(v));
    b.push_back(align[r]);
  }
  return addConst(b);
}

uint64_t Builder::params(const std::vector<int32_t> &bias,
                         const std::vector<int8_t> &shift,
                         const std::vector<int8_t> &amin,
                         const std::vector<int8_t> &amax,
                         const std::vector<int8_t> &aux) {
  std::vector<uint8_t> b;
  for (int32_t v : bias)
    for (int k = 0; k < 4; ++k)
      b.push_back(uint8_t(uint32_t(v) >> (8 * k)));
  for (const auto *v : {&shift, &amin, &amax, &aux})
    for (int8_t x : *v)
      b.push_back(uint8_t(x));
  return addConst(b);
}

uint32_t Builder::tensor(const std::string &name, int64_t C, int64_t H,
                         int64_t W, uint64_t offset,
                         std::vector<int32_t> frac) {
  TensorDesc t;
  t.name = name;
  t.shape = {1, C, H, W};
  t.ddrOffset = offset;
  t.C = C;
  t.H = H;
  t.W = W;
  t.fracBlock = C / int64_t(frac.size());
  t.frac = std::move(frac);
  p.tensors.push_back(t);
  return uint32_t(p.tensors.size() - 1);
}

Program everyOpcodeProgram() {
  Builder b;
  const uint32_t Q = 8;
  // Data: x (16 ch, 4x4) at 0, y (8 ch) at 256, h (8 ch) at 384, cat at 512.
  b.p.dataBytes = 1024;
  uint32_t x = b.tensor("x", 16, 4, 4, 0, std::vector<int32_t>(16, 5));
  uint32_t y = b.tensor("y", 8, 4, 4, 256, std::vector<int32_t>(8, 4));
  uint32_t h = b.tensor("h", 8, 4, 4, 384, {3, 4});
  uint32_t cat = b.tensor("cat", 16, 4, 4, 512, {4, 3, 4});
  b.p.tensors[cat].fracBlock = 6; // ceil(16 / 6) = 3 entries
  b.p.inputs = {x};
  b.p.outputs = {cat, y};
  std::vector<std::vector<uint8_t>> codes(16, std::vector<uint8_t>(Q));
  std::vector<std::vector<int8_t>> w8(16, std::vector<int8_t>(Q));
  std::vector<uint8_t> align(16);
  for (int r = 0; r < 16; ++r) {
    for (uint32_t q = 0; q < Q; ++q) {
      uint8_t c = uint8_t((r * 7 + q * 3) % 16);
      codes[r][q] = c == 8 ? 9 : c;
      w8[r][q] = int8_t((r * 5 + q * 11) % 15 - 7);
    }
    align[r] = uint8_t(r % 3);
  }
  uint64_t pow2At = b.pow2Rows(codes, align);
  uint64_t int8At = b.int8Rows(w8, std::vector<uint8_t>(16, 0));
  std::vector<int8_t> zeros(Q, 0);
  uint64_t paramAt = b.params(
      {5, -3, 100, 0, 7, -8, 1, 2}, std::vector<int8_t>(Q, 6),
      std::vector<int8_t>(Q, -128), std::vector<int8_t>(Q, 127), zeros);
  b.params(std::vector<int32_t>(Q, 0), std::vector<int8_t>(Q, 1),
           std::vector<int8_t>(Q, -50), std::vector<int8_t>(Q, 100),
           {1, 0, -1, 2, -2, 1, 0, 3});
  // Host conv: 16 -> 8 channels, group 2, 3x3, pad 1.
  std::vector<uint8_t> conv;
  for (int i = 0; i < 8 * 8 * 9; ++i) {
    int32_t m = (i % 9) - 4;
    for (int k = 0; k < 4; ++k)
      conv.push_back(uint8_t(uint32_t(m) >> (8 * k)));
  }
  for (int o = 0; o < 8; ++o)
    for (int k = 0; k < 4; ++k)
      conv.push_back(uint8_t(uint32_t(o * 3 - 10) >> (8 * k)));
  for (int8_t v : {3, 3, 4, 2, 3, 5, 3, 0})
    conv.push_back(uint8_t(v));
  for (int o = 0; o < 8; ++o)
    conv.push_back(uint8_t(int8_t(-100)));
  for (int o = 0; o < 8; ++o)
    conv.push_back(uint8_t(int8_t(90)));
  HostSegment hc;
  hc.kind = HostOpKind::Conv;
  hc.inputs = {x};
  hc.outputs = {h};
  hc.params = {2, 3, 3, 1, 1, 1, 1, 1, 1};
  hc.constBytes = conv.size();
  hc.constOffset = b.addConst(conv);
  HostSegment cc;
  cc.kind = HostOpKind::Concat;
  cc.inputs = {y, h};
  cc.outputs = {cat};
  b.p.host = {hc, cc};

  b.emit(load(Buf::FBuf, Region::Data, 0, 0, 16, 2, 128))
      .emit(load(Buf::WBuf, Region::Const, 0, int64_t(pow2At), 16))
      .emit(load(Buf::WBuf, Region::Const, 16, int64_t(int8At), 16, 1, 0, 1, 0,
                 1))
      .emit(load(Buf::PBuf, Region::Const, 0, int64_t(paramAt), 2, 1, 0, 1, 0,
                 0, PushNext));
  Fields common = {{"in_addr", 0},  {"in_cstride", 16}, {"in_h", 4},
                   {"in_w", 4},     {"in_cb", 2},       {"out_h", 4},
                   {"out_w", 4},    {"k_h", 1},         {"k_w", 1},
                   {"stride_h", 1}, {"stride_w", 1},    {"dil_h", 1},
                   {"dil_w", 1}};
  Instr g1 = instr(Opcode::Gemm, common, PopPrev);
  Instr g2 = instr(Opcode::Gemm, common);
  for (auto [name, v] : Fields{{"wfmt", 1},
                               {"accumulate", 1},
                               {"epilogue", 1},
                               {"w_addr", 16},
                               {"out_addr", 32}})
    g2.set(*findField(Opcode::Gemm, name), v);
  b.emit(g1).emit(g2);
  b.emit(instr(Opcode::Pool, {{"mode", 0},
                              {"in_addr", 32},
                              {"in_h", 4},
                              {"in_w", 4},
                              {"cb", 1},
                              {"out_h", 4},
                              {"out_w", 4},
                              {"k_h", 3},
                              {"k_w", 3},
                              {"stride_h", 1},
                              {"stride_w", 1},
                              {"pad_t", 1},
                              {"pad_l", 1},
                              {"pad_b", 1},
                              {"pad_r", 1},
                              {"dil_h", 1},
                              {"dil_w", 1},
                              {"out_addr", 48}}));
  b.emit(instr(Opcode::Add,
               {{"a_addr", 32},
                {"b_addr", 48},
                {"out_addr", 64},
                {"n", 16},
                {"cb", 1},
                {"param_addr", 1}},
               PushNext));
  b.emit(store(64, 256, 16, 1, 0, 1, 0, PopPrev));
  b.emit(instr(Opcode::Sync, {}));
  b.emit(instr(Opcode::Host, {{"segment", 0}}));
  b.emit(instr(Opcode::Host, {{"segment", 1}}));
  b.emit(instr(Opcode::End, {}));
  return b.p;
}

std::string validationError(const Program &p) {
  llvm::Error e = validateProgram(p);
  return e ? llvm::toString(std::move(e)) : std::string();
}

std::string oneInstructionError(const TargetConfig &t, Opcode op,
                                Fields fields) {
  Builder b(t);
  b.p.dataBytes = 64;
  b.emit(instr(op, std::move(fields))).emit(instr(Opcode::End, {}));
  return validationError(b.p);
}

std::string loadError(const std::vector<uint8_t> &bytes,
                      const TargetConfig *expected) {
  llvm::Expected<Program> p = readBinary(bytes, expected);
  if (p)
    return "";
  return llvm::toString(p.takeError());
}

std::unique_ptr<Simulator> runProgram(const Program &p,
                                      std::vector<uint8_t> &data) {
  data.resize(p.dataBytes);
  llvm::Expected<std::unique_ptr<Simulator>> sim = Simulator::create(p);
  if (!sim) {
    ADD_FAILURE() << llvm::toString(sim.takeError());
    return nullptr;
  }
  (*sim)->run(data.data());
  return std::move(*sim);
}

int64_t refRequant(int64_t acc, int s) {
  __int128 v = acc;
  if (s < 0) {
    v *= __int128(1) << -s;
  } else if (s > 0) {
    __int128 d = __int128(1) << s;
    v += d / 2;
    __int128 q = v / d;
    if (v % d != 0 && v < 0)
      --q; // floor, not truncation
    v = q;
  }
  return v > 127 ? 127 : v < -128 ? -128 : int64_t(v);
}

uint32_t floatTensor(Builder &b, const std::string &name,
                     std::vector<int64_t> shape, uint64_t offset) {
  TensorDesc t;
  t.name = name;
  t.type = TensorType::Float32;
  t.shape = shape;
  t.C = 1;
  for (int64_t d : shape)
    t.C *= d;
  t.H = t.W = 1;
  t.ddrOffset = offset;
  b.p.tensors.push_back(t);
  return b.p.tensors.size() - 1;
}

} // namespace dlprt::test

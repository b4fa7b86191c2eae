//===- RuntimeTest.cpp - Session: batches, threads, edges, tensors --------===//

#include "ProgramBuilder.h"

#include "dlprt/Numerics.h"
#include "dlprt/Runtime.h"
#include "dlprt/Simulator.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <random>

using namespace dlprt;
using namespace dlprt::test;

namespace {

std::unique_ptr<Session> session(const Program &p) {
  llvm::Expected<std::unique_ptr<Session>> s =
      Session::loadBytes(writeBinary(p));
  EXPECT_TRUE(bool(s)) << llvm::toString(s.takeError());
  return s ? std::move(*s) : nullptr;
}

// An input array holds a whole number of the program's images: axis 0 a
// multiple of the tensor's (1, or a whole static batch), the rest equal.
TEST(Runtime, ImagesInAnInputArray) {
  TensorDesc one, whole;
  one.shape = {1, 3, 4};
  whole.shape = {2, 3, 4};
  EXPECT_EQ(imagesIn(one, {1, 3, 4}), 1);
  EXPECT_EQ(imagesIn(one, {5, 3, 4}), 5);
  EXPECT_EQ(imagesIn(whole, {2, 3, 4}), 1);
  EXPECT_EQ(imagesIn(whole, {6, 3, 4}), 3);
  EXPECT_EQ(imagesIn(whole, {3, 3, 4}), 0);
  EXPECT_EQ(imagesIn(whole, {1, 3, 4}), 0);
  EXPECT_EQ(imagesIn(one, {0, 3, 4}), 0);
  EXPECT_EQ(imagesIn(one, {2, 4, 3}), 0);
  EXPECT_EQ(imagesIn(one, {2, 3, 4, 1}), 0);
  EXPECT_EQ(imagesIn(one, {}), 0);
}

TEST(Runtime, QuantizeAndDequantizeEdges) {
  TensorDesc t;
  t.C = 3;
  t.H = 1;
  t.W = 2;
  t.shape = {1, 6}; // a flattened N x K view: k = (c * H + y) * W + x
  t.frac = {7, 2};
  t.fracBlock = 2; // channels 0, 1: f = 7; channel 2: f = 2
  t.ddrOffset = 8;
  std::vector<uint8_t> data(8 + t.bytes(8), 0xee);
  float in[6] = {0.7f, 1.0f, -0.25f, -2.0f, 3.1f, -40.0f};
  quantizeInto(t, 8, in, data.data());
  EXPECT_EQ(int8_t(data[8 + 0]), 90);      // c0 x0: floor(89.6 + .5)
  EXPECT_EQ(int8_t(data[8 + 8 + 0]), 127); // c0 x1: 128 saturates
  EXPECT_EQ(int8_t(data[8 + 1]), -32);     // c1 x0
  EXPECT_EQ(int8_t(data[8 + 8 + 1]), -128);
  EXPECT_EQ(int8_t(data[8 + 2]), 12); // c2 x0: 3.1 * 4 = 12.4
  EXPECT_EQ(int8_t(data[8 + 8 + 2]), -128);
  EXPECT_EQ(data[8 + 3], 0); // pad lanes zeroed
  EXPECT_EQ(data[7], 0xee);  // nothing before the tensor
  float out[6];
  dequantizeFrom(t, 8, data.data(), out);
  EXPECT_FLOAT_EQ(out[0], 90 / 128.0f);
  EXPECT_FLOAT_EQ(out[1], 127 / 128.0f);
  EXPECT_FLOAT_EQ(out[4], 3.0f);
  EXPECT_FLOAT_EQ(out[5], -32.0f);
}

// A region reused by the next image is zeroed where the program reads
// before writing: tensor x is LOADed (zero in a fresh region) into the
// output, then overwritten with the input. Image 1 on the same machine
// must see x zero again, and only x needs zeroing.
TEST(Runtime, ReusedRegionZeroedWhereReadBeforeWritten) {
  using namespace dlprt::isa;
  Builder b;
  b.p.dataBytes = 256;
  uint32_t in = b.tensor("in", 8, 1, 2, 0, std::vector<int32_t>(8, 0));
  b.tensor("x", 8, 1, 2, 64, std::vector<int32_t>(8, 0));
  uint32_t out = b.tensor("out", 8, 1, 2, 128, std::vector<int32_t>(8, 0));
  b.p.inputs = {in};
  b.p.outputs = {out};
  b.emit(load(Buf::FBuf, Region::Data, 0, 64, 2))
      .emit(instr(Opcode::Sync, {}))
      .emit(store(0, 128, 2))
      .emit(instr(Opcode::Sync, {}))
      .emit(load(Buf::FBuf, Region::Data, 4, 0, 2))
      .emit(instr(Opcode::Sync, {}))
      .emit(store(4, 64, 2))
      .emit(instr(Opcode::End, {}));
  llvm::Expected<std::unique_ptr<Simulator>> sim = Simulator::create(b.p);
  ASSERT_TRUE(bool(sim)) << llvm::toString(sim.takeError());
  std::vector<std::pair<uint64_t, uint64_t>> want = {{64, 80}};
  EXPECT_EQ(dataReadBeforeWritten(b.p, (*sim)->schedule()), want);
  std::unique_ptr<Session> s = session(b.p);
  ASSERT_TRUE(s);
  std::vector<float> x(2 * 16, 1.0f), y(2 * 16, -1.0f);
  const float *ins[] = {x.data()};
  float *outs[] = {y.data()};
  ASSERT_FALSE(bool(s->run(2, ins, outs, 1)));
  EXPECT_EQ(y, std::vector<float>(2 * 16, 0.0f));
}

TEST(Runtime, BatchesAndThreadsAgree) {
  Program p = everyOpcodeProgram();
  std::unique_ptr<Session> s = session(p);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->inputs().size(), 1u);
  ASSERT_EQ(s->outputs().size(), 2u);
  EXPECT_EQ(s->outputs()[0]->name, "cat");
  const int batch = 7;
  const size_t nin = 16 * 16, nout0 = 16 * 16, nout1 = 8 * 16;
  std::vector<float> in(batch * nin);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = float(std::sin(double(i)) * 3);
  auto runWith = [&](unsigned threads) {
    std::vector<float> o0(batch * nout0), o1(batch * nout1);
    const float *ins[] = {in.data()};
    float *outs[] = {o0.data(), o1.data()};
    llvm::Error e = s->run(batch, ins, outs, threads);
    EXPECT_FALSE(bool(e)) << llvm::toString(std::move(e));
    o0.insert(o0.end(), o1.begin(), o1.end());
    return o0;
  };
  std::vector<float> one = runWith(1), three = runWith(3), all = runWith(0);
  EXPECT_EQ(one, three);
  EXPECT_EQ(one, all);
  // Image 2 alone equals image 2 of the batch.
  std::vector<float> o0(nout0), o1(nout1);
  const float *ins[] = {in.data() + 2 * nin};
  float *outs[] = {o0.data(), o1.data()};
  ASSERT_FALSE(bool(s->run(1, ins, outs, 1)));
  EXPECT_TRUE(std::equal(o0.begin(), o0.end(), one.begin() + 2 * nout0));
  EXPECT_TRUE(
      std::any_of(o0.begin(), o0.end(), [](float v) { return v != 0; }));
  // Tensor hook: the last image's input and output.
  llvm::Expected<std::vector<float>> x = s->lastImageTensor(0);
  ASSERT_TRUE(bool(x));
  for (size_t i = 0; i < nin; ++i)
    EXPECT_EQ((*x)[i],
              float(num::dequantize(num::quantize(in[2 * nin + i], 5), 5)));
  llvm::Expected<std::vector<float>> cat = s->lastImageTensor(3);
  ASSERT_TRUE(bool(cat));
  EXPECT_EQ(*cat, o0);
  llvm::Expected<std::vector<float>> bad = s->lastImageTensor(9);
  EXPECT_FALSE(bool(bad));
  llvm::consumeError(bad.takeError());
  // Argument errors.
  llvm::Error e = s->run(0, ins, outs, 1);
  EXPECT_NE(llvm::toString(std::move(e)).find("batch 0"), std::string::npos);
  e = s->run(1, {}, outs, 1);
  EXPECT_NE(llvm::toString(std::move(e)).find("1 inputs and 2 outputs"),
            std::string::npos);
}

/// A first layer's packing: input x (3 x 4 x 9) packed by a PackTaps
/// segment (2 taps, stride 2, pad 1) into y (6 channels, one block of L =
/// 8), which a LOAD / STORE pair copies to the output z.
Builder packedInputProgram() {
  using namespace dlprt::isa;
  Builder b;
  b.p.dataBytes = 2048;
  uint32_t x = b.tensor("x", 3, 4, 9, 0, {1, 2, 3});
  uint32_t y = b.tensor("y", 6, 4, 5, 512, {1, 2, 3, 1, 2, 3});
  uint32_t z = b.tensor("z", 6, 4, 5, 1024, {1, 2, 3, 1, 2, 3});
  b.p.inputs = {x};
  b.p.outputs = {z};
  b.p.host = {HostSegment{HostOpKind::PackTaps, {x}, {y}, {2, 2, 1, 1}, 0, 0}};
  b.emit(instr(Opcode::Host, {{"segment", 0}}))
      .emit(load(Buf::FBuf, Region::Data, 0, 512, 20))
      .emit(instr(Opcode::Sync, {}))
      .emit(store(0, 1024, 20))
      .emit(instr(Opcode::End, {}));
  return b;
}

// The input a PackTaps segment alone reads is packed straight from its
// values (packedInputs), its DDR bytes never written: every tensor of
// every image, on one and on two machines, as with the input in DDR
// (DLPRT_PACK_INPUTS=0); and where anything else could see the
// difference, the input stays in DDR.
TEST(Runtime, PackedInputMatchesInputInDdr) {
  using namespace dlprt::isa;
  Builder b = packedInputProgram();
  llvm::Expected<std::unique_ptr<Simulator>> sim = Simulator::create(b.p);
  ASSERT_TRUE(bool(sim)) << llvm::toString(sim.takeError());
  EXPECT_EQ(packedInputs(b.p, (*sim)->schedule()), std::vector<int64_t>{0});
  auto packed = [](Program p) {
    llvm::Expected<std::unique_ptr<Simulator>> s = Simulator::create(p);
    EXPECT_TRUE(bool(s)) << llvm::toString(s.takeError());
    return s ? packedInputs(p, (*s)->schedule())[0] : -2;
  };
  { // a DMA reads the input
    Builder c = packedInputProgram();
    c.p.code.insert(c.p.code.end() - 1,
                    load(Buf::FBuf, Region::Data, 100, 0, 4));
    EXPECT_EQ(packed(c.p), -1);
  }
  { // a STORE before the segment writes its output
    Builder c = packedInputProgram();
    c.p.code.insert(c.p.code.begin(), store(0, 512, 1));
    c.p.code.insert(c.p.code.begin() + 1, instr(Opcode::Sync, {}));
    EXPECT_EQ(packed(c.p), -1);
  }
  { // the input is an output too
    Builder c = packedInputProgram();
    c.p.outputs.push_back(0);
    EXPECT_EQ(packed(c.p), -1);
  }

  std::mt19937 rng(5);
  std::vector<float> in(3 * 108);
  for (float &v : in)
    v = std::uniform_real_distribution<float>(-3.0f, 3.0f)(rng);
  auto run = [&](const char *env, unsigned threads) {
    setenv("DLPRT_PACK_INPUTS", env, 1);
    std::unique_ptr<Session> s = session(b.p);
    unsetenv("DLPRT_PACK_INPUTS");
    std::vector<std::vector<float>> all;
    if (!s)
      return all;
    std::vector<float> out(3 * 120, 7.0f);
    for (int rep = 0; rep < 2; ++rep) { // the second on used regions
      EXPECT_FALSE(bool(s->run(3, {in.data()}, {out.data()}, threads)));
      all.push_back(out);
      for (size_t t = 0; t < s->program().tensors.size(); ++t) {
        llvm::Expected<std::vector<float>> v = s->lastImageTensor(t);
        EXPECT_TRUE(bool(v));
        all.push_back(v ? *v : std::vector<float>{});
      }
    }
    return all;
  };
  std::vector<std::vector<float>> want = run("0", 1);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(run("1", 1), want);
  EXPECT_EQ(run("1", 2), want);
  // The last image's input as quantized (f = 1, 2, 3 per channel).
  for (size_t k = 0; k < 108; ++k) {
    int f = 1 + int(k / 36);
    EXPECT_EQ(want[1][k],
              std::ldexp(std::floor(std::ldexp(in[216 + k], f) + 0.5f), -f))
        << k;
  }
}

TEST(Runtime, LoadErrorsNameTheFile) {
  auto s = Session::load("/nonexistent/model.dlpb");
  ASSERT_FALSE(bool(s));
  EXPECT_NE(llvm::toString(s.takeError()).find("/nonexistent/model.dlpb"),
            std::string::npos);
  auto t = Session::load(DLPRT_CONFIG_DIR "/small.json");
  ASSERT_FALSE(bool(t));
  EXPECT_NE(llvm::toString(t.takeError()).find("small.json: header: bad magic"),
            std::string::npos);
}

} // namespace

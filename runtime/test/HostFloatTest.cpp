//===- HostFloatTest.cpp - Host float segments against references ---------===//
//
// Every float host kind (dequantize, quantize, each unary function, each
// broadcasting binary op, softmax) through the simulator, checked against
// formulas written here from docs/binary-format.md and docs/numerics.md;
// and the loader's refusals of malformed float segments.
//
//===----------------------------------------------------------------------===//

#include "ProgramBuilder.h"

#include "dlprt/HostOps.h"
#include "dlprt/kernels/Float.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace dlprt;
using namespace dlprt::isa;
using namespace dlprt::test;
namespace rk = dlprt::kernels;

namespace {

float *at(std::vector<uint8_t> &data, const TensorDesc &t) {
  return reinterpret_cast<float *>(data.data() + t.ddrOffset);
}

int64_t bits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return u;
}

/// Runs `segs` (one HOST each) on `data`.
void run(Builder &b, std::vector<HostSegment> segs,
         std::vector<uint8_t> &data) {
  b.p.host = std::move(segs);
  for (size_t i = 0; i < b.p.host.size(); ++i)
    b.emit(instr(Opcode::Host, {{"segment", int64_t(i)}}));
  b.emit(instr(Opcode::End, {}));
  ASSERT_TRUE(runProgram(b.p, data));
}

TEST(HostFloat, DequantizeThenQuantize) {
  Builder b;
  b.p.dataBytes = 1024;
  uint32_t q = b.tensor("q", 3, 2, 2, 0, {4, 0, -2});
  uint32_t f = floatTensor(b, "f", {1, 3, 2, 2}, 256);
  uint32_t r = b.tensor("r", 3, 2, 2, 512, {5, 1, -1});
  std::vector<uint8_t> data(b.p.dataBytes, 0);
  std::vector<int> in = {-128, -3, 0, 127, 5, -6, 7, -8, 1, 2, -1, 100};
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 4; ++i)
      data[blocked(2, 2, c, i / 2, i % 2)] = uint8_t(in[c * 4 + i]);
  run(b, {{HostOpKind::Dequantize, {q}, {f}, {}, 0, 0},
          {HostOpKind::Quantize, {f}, {r}, {}, 0, 0}},
      data);
  int fq[] = {4, 0, -2}, fr[] = {5, 1, -1};
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 4; ++i) {
      double x = in[c * 4 + i] * std::ldexp(1.0, -fq[c]);
      EXPECT_EQ(at(data, b.p.tensors[f])[c * 4 + i], float(x));
      // q = sat8(floor(x * 2^f + 1/2))
      double s = std::floor(std::ldexp(x, fr[c]) + 0.5);
      int want = int(std::min(127.0, std::max(-128.0, s)));
      EXPECT_EQ(int8_t(data[512 + blocked(2, 2, c, i / 2, i % 2)]), want);
    }
}

TEST(HostFloat, EveryUnaryOp) {
  const float xs[] = {-3.5f, -1.0f, -0.25f, 0.0f, 0.5f, 2.0f, 7.25f, 0.125f};
  for (int op = 0; op < int(rk::FloatUnaryOp::NumOps); ++op) {
    Builder b;
    b.p.dataBytes = 256;
    uint32_t x = floatTensor(b, "x", {1, 8}, 0);
    uint32_t y = floatTensor(b, "y", {1, 8}, 64);
    std::vector<uint8_t> data(b.p.dataBytes, 0);
    std::memcpy(at(data, b.p.tensors[x]), xs, sizeof(xs));
    float a = 0.3f, c = 1.5f;
    run(b, {{HostOpKind::FloatUnary, {x}, {y}, {op, bits(a), bits(c)}, 0, 0}},
        data);
    for (int i = 0; i < 8; ++i) {
      float v = xs[i], want;
      switch (rk::FloatUnaryOp(op)) {
      case rk::FloatUnaryOp::Relu: want = v > 0 ? v : 0; break;
      case rk::FloatUnaryOp::Sigmoid: want = 1.0f / (1.0f + std::exp(-v)); break;
      case rk::FloatUnaryOp::Clip: want = std::min(std::max(v, a), c); break;
      case rk::FloatUnaryOp::HardSigmoid:
        want = std::max(0.0f, std::min(1.0f, a * v + c));
        break;
      case rk::FloatUnaryOp::LeakyRelu: want = v >= 0 ? v : a * v; break;
      case rk::FloatUnaryOp::Neg: want = -v; break;
      case rk::FloatUnaryOp::Abs: want = std::fabs(v); break;
      case rk::FloatUnaryOp::Exp: want = std::exp(v); break;
      case rk::FloatUnaryOp::Log: want = std::log(v); break;
      case rk::FloatUnaryOp::Sqrt: want = std::sqrt(v); break;
      case rk::FloatUnaryOp::Tanh: want = std::tanh(v); break;
      case rk::FloatUnaryOp::Reciprocal: want = 1.0f / v; break;
      case rk::FloatUnaryOp::Erf: want = std::erf(v); break;
      default: FAIL() << "op " << op << " has no reference here"; break;
      }
      float got = at(data, b.p.tensors[y])[i];
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(got)) << "op " << op << " x " << v;
      else
        EXPECT_EQ(got, want) << "op " << op << " x " << v;
    }
  }
}

TEST(HostFloat, BroadcastingBinaryOps) {
  // [2, 3, 2] op [3, 1]: b repeats along the first and last axes.
  for (int op = 0; op < int(rk::FloatBinaryOp::NumOps); ++op) {
    Builder b;
    b.p.dataBytes = 512;
    uint32_t x = floatTensor(b, "a", {2, 3, 2}, 0);
    uint32_t y = floatTensor(b, "b", {3, 1}, 64);
    uint32_t z = floatTensor(b, "c", {2, 3, 2}, 128);
    std::vector<uint8_t> data(b.p.dataBytes, 0);
    for (int i = 0; i < 12; ++i)
      at(data, b.p.tensors[x])[i] = float(i) - 5.5f;
    for (int i = 0; i < 3; ++i)
      at(data, b.p.tensors[y])[i] = float(i) * 2 - 1.25f;
    run(b, {{HostOpKind::FloatBinary, {x, y}, {z}, {op}, 0, 0}}, data);
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 3; ++c)
        for (int w = 0; w < 2; ++w) {
          float u = float((n * 3 + c) * 2 + w) - 5.5f, v = float(c) * 2 - 1.25f;
          float want = op == 0 ? u + v
                       : op == 1 ? u - v
                       : op == 2 ? u * v
                       : op == 3 ? u / v
                       : op == 4 ? std::max(u, v)
                       : op == 5 ? std::min(u, v)
                       : op == 6 ? std::pow(u, v) // negative u: NaN
                       : op == 7 ? float(u == v)  // comparisons: 1 / 0
                       : op == 8 ? float(u < v)
                                 : float(u <= v);
          float got = at(data, b.p.tensors[z])[(n * 3 + c) * 2 + w];
          if (std::isnan(want))
            EXPECT_TRUE(std::isnan(got)) << "op " << op;
          else
            EXPECT_EQ(got, want) << "op " << op;
        }
  }
}

TEST(HostFloat, ConstantOperandOnEitherSide) {
  // a [2, 3, 2] op c [3, 1] (constant in CONST), with c on the right and on
  // the left.
  for (int side = 0; side < 2; ++side) {
    Builder b;
    b.p.dataBytes = 512;
    uint32_t x = floatTensor(b, "a", {2, 3, 2}, 0);
    uint32_t z = floatTensor(b, "c", {2, 3, 2}, 128);
    std::vector<uint8_t> data(b.p.dataBytes, 0);
    for (int i = 0; i < 12; ++i)
      at(data, b.p.tensors[x])[i] = float(i) - 5.5f;
    float c[3] = {0.5f, -2.0f, 4.0f};
    std::vector<uint8_t> bytes(reinterpret_cast<uint8_t *>(c),
                               reinterpret_cast<uint8_t *>(c) + 12);
    uint64_t off = b.addConst(bytes);
    int64_t sub = int64_t(rk::FloatBinaryOp::Sub);
    run(b, {{HostOpKind::FloatBinary, {x}, {z}, {sub, side, 2, 3, 1}, off, 12}},
        data);
    for (int n = 0; n < 2; ++n)
      for (int ch = 0; ch < 3; ++ch)
        for (int w = 0; w < 2; ++w) {
          float u = float((n * 3 + ch) * 2 + w) - 5.5f;
          float want = side == 1 ? u - c[ch] : c[ch] - u;
          EXPECT_EQ(at(data, b.p.tensors[z])[(n * 3 + ch) * 2 + w], want)
              << "side " << side;
        }
  }
}

TEST(HostFloat, SoftmaxOverTheLastAxis) {
  Builder b;
  b.p.dataBytes = 256;
  uint32_t x = floatTensor(b, "x", {2, 4}, 0);
  uint32_t y = floatTensor(b, "y", {2, 4}, 64);
  std::vector<uint8_t> data(b.p.dataBytes, 0);
  float in[] = {1, 2, 3, 4, -1, 0, 1000, 1};
  std::memcpy(at(data, b.p.tensors[x]), in, sizeof(in));
  run(b, {{HostOpKind::Softmax, {x}, {y}, {1}, 0, 0}}, data);
  for (int r = 0; r < 2; ++r) {
    double mx = *std::max_element(in + 4 * r, in + 4 * r + 4), sum = 0;
    for (int j = 0; j < 4; ++j)
      sum += std::exp(double(in[4 * r + j]) - mx);
    for (int j = 0; j < 4; ++j)
      EXPECT_NEAR(at(data, b.p.tensors[y])[4 * r + j],
                  std::exp(double(in[4 * r + j]) - mx) / sum, 1e-6);
  }
}

TEST(HostFloat, SoftmaxOverTheFirstAxis) {
  Builder b;
  b.p.dataBytes = 256;
  uint32_t x = floatTensor(b, "x", {2, 4}, 0);
  uint32_t y = floatTensor(b, "y", {2, 4}, 64);
  std::vector<uint8_t> data(b.p.dataBytes, 0);
  float in[] = {1, 2, 3, 4, -1, 0, 10, 1};
  std::memcpy(at(data, b.p.tensors[x]), in, sizeof(in));
  run(b, {{HostOpKind::Softmax, {x}, {y}, {0}, 0, 0}}, data);
  for (int c = 0; c < 4; ++c) {
    double e0 = std::exp(double(in[c])), e1 = std::exp(double(in[4 + c]));
    EXPECT_NEAR(at(data, b.p.tensors[y])[c], e0 / (e0 + e1), 1e-6);
    EXPECT_NEAR(at(data, b.p.tensors[y])[4 + c], e1 / (e0 + e1), 1e-6);
  }
}

TEST(HostFloat, TransposeAndConcat) {
  Builder b;
  b.p.dataBytes = 1024;
  uint32_t x = floatTensor(b, "x", {1, 2, 3, 4}, 0);
  uint32_t t = floatTensor(b, "t", {1, 4, 2, 3}, 128);
  uint32_t c = floatTensor(b, "c", {1, 2, 3, 8}, 256);
  std::vector<uint8_t> data(b.p.dataBytes, 0);
  for (int i = 0; i < 24; ++i)
    at(data, b.p.tensors[x])[i] = float(i);
  run(b, {{HostOpKind::FloatTranspose, {x}, {t}, {0, 3, 1, 2}, 0, 0},
          {HostOpKind::FloatConcat, {x, x}, {c}, {3}, 0, 0}},
      data);
  for (int w = 0; w < 4; ++w)
    for (int ch = 0; ch < 2; ++ch)
      for (int h = 0; h < 3; ++h)
        EXPECT_EQ(at(data, b.p.tensors[t])[(w * 2 + ch) * 3 + h],
                  float((ch * 3 + h) * 4 + w));
  for (int ch = 0; ch < 2; ++ch)
    for (int h = 0; h < 3; ++h)
      for (int w = 0; w < 8; ++w)
        EXPECT_EQ(at(data, b.p.tensors[c])[(ch * 3 + h) * 8 + w],
                  float((ch * 3 + h) * 4 + w % 4));
}

TEST(HostFloat, StridedSlice) {
  // x [1, 3, 5]: channels 1..2, columns 4, 2, 0 (step -2).
  Builder b;
  b.p.dataBytes = 512;
  uint32_t x = floatTensor(b, "x", {1, 3, 5}, 0);
  uint32_t y = floatTensor(b, "y", {1, 2, 3}, 128);
  std::vector<uint8_t> data(b.p.dataBytes, 0);
  for (int i = 0; i < 15; ++i)
    at(data, b.p.tensors[x])[i] = float(i);
  run(b, {{HostOpKind::FloatSlice, {x}, {y}, {0, 1, 4, 1, 1, -2}, 0, 0}},
      data);
  for (int c = 0; c < 2; ++c)
    for (int j = 0; j < 3; ++j)
      EXPECT_EQ(at(data, b.p.tensors[y])[c * 3 + j],
                float((1 + c) * 5 + 4 - 2 * j));
}

TEST(HostFloat, LoaderRefusesMalformedSegments) {
  auto check = [](HostSegment s, const char *msg) {
    Builder b;
    b.p.dataBytes = 512;
    b.p.constData.resize(64);
    uint32_t f = floatTensor(b, "f", {1, 4}, 0);
    uint32_t g = floatTensor(b, "g", {1, 4}, 64);
    uint32_t q = b.tensor("q", 4, 1, 1, 128, {0});
    uint32_t h = floatTensor(b, "h", {1, 3}, 256);
    for (uint32_t &t : s.inputs)
      t = t == 100 ? f : t == 101 ? g : t == 102 ? q : h;
    for (uint32_t &t : s.outputs)
      t = t == 100 ? f : t == 101 ? g : t == 102 ? q : h;
    b.p.host = {s};
    b.emit(instr(Opcode::Host, {{"segment", 0}}))
        .emit(instr(Opcode::End, {}));
    std::string text = validationError(b.p);
    EXPECT_NE(text.find(msg), std::string::npos) << text;
  };
  check({HostOpKind::FloatUnary, {100}, {101}, {99, 0, 0}, 0, 0},
        "unknown unary op 99");
  check({HostOpKind::FloatUnary, {102}, {101}, {0, 0, 0}, 0, 0},
        "input 'q' must be float32");
  check({HostOpKind::Dequantize, {100}, {101}, {}, 0, 0},
        "input 'f' must be int8");
  check({HostOpKind::FloatBinary, {100, 103}, {101}, {0}, 0, 0},
        "does not broadcast");
  check({HostOpKind::Softmax, {100}, {101}, {2}, 0, 0},
        "softmax axis 2 out of range");
  check({HostOpKind::Softmax, {100}, {103}, {1}, 0, 0},
        "input and output shapes differ");
  check({HostOpKind::FloatUnary, {100}, {101}, {0}, 0, 0}, "1 params");
  check({HostOpKind::FloatSlice, {100}, {101}, {0, 1, 1, 1}, 0, 0},
        "axis 1 reads outside the input");
  check({HostOpKind::FloatTranspose, {100}, {101}, {0, 0}, 0, 0},
        "params are not a permutation");
  check({HostOpKind::FloatConcat, {100, 101}, {101}, {1}, 0, 0},
        "inputs do not add up to the output on the axis");
  check({HostOpKind::FloatBinary, {100}, {101}, {0, 1, 1, 4}, 0, 12},
        "constant operand of 4 floats but 12 const bytes");
  check({HostOpKind::FloatBinary, {100}, {101}, {0, 2, 1, 4}, 0, 16},
        "params must be op, side");
}

} // namespace

//===- FloatNet.h - Programs of float host segments for tests ---*- C++ -*-===//
//
// A builder of programs made of float host segments (tensors in DDR data,
// constants through FloatConst) that runs them on the simulator or asks the
// loader, and a closeness check against definitions computed in double.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_TEST_FLOATNET_H
#define DLPRT_TEST_FLOATNET_H

#include "ProgramBuilder.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace dlprt::test {

inline int64_t bits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return u;
}

/// A program of float tensors in `data` (each at its own 64-byte aligned
/// offset) and constants copied in by FloatConst segments.
struct Net {
  Builder b;
  uint64_t next = 0;
  std::vector<HostSegment> segs;
  std::vector<std::vector<float>> init; ///< input tensor contents
  std::vector<uint32_t> initTensor;

  uint32_t tensor(std::vector<int64_t> shape) {
    uint32_t t = floatTensor(b, "t" + std::to_string(b.p.tensors.size()),
                             shape, next);
    next += (uint64_t(b.p.tensors[t].C) * 4 + 63) / 64 * 64;
    return t;
  }
  uint32_t input(std::vector<int64_t> shape, std::vector<float> v) {
    uint32_t t = tensor(shape);
    init.push_back(std::move(v));
    initTensor.push_back(t);
    return t;
  }
  uint32_t constant(std::vector<int64_t> shape, const std::vector<float> &v) {
    uint32_t t = tensor(shape);
    std::vector<uint8_t> bytes(v.size() * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    uint64_t off = b.addConst(bytes);
    segs.push_back({HostOpKind::FloatConst, {}, {t}, {}, off, bytes.size()});
    return t;
  }
  uint32_t op(HostOpKind k, std::vector<uint32_t> in,
              std::vector<int64_t> outShape, std::vector<int64_t> params) {
    uint32_t t = tensor(outShape);
    segs.push_back({k, std::move(in), {t}, std::move(params), 0, 0});
    return t;
  }
  /// Runs every segment; the float contents of `out`.
  std::vector<float> run(uint32_t out) {
    b.p.dataBytes = next;
    b.p.host = segs;
    for (size_t i = 0; i < segs.size(); ++i)
      b.emit(instr(isa::Opcode::Host, {{"segment", int64_t(i)}}));
    b.emit(instr(isa::Opcode::End, {}));
    std::vector<uint8_t> data(next, 0);
    for (size_t i = 0; i < init.size(); ++i)
      std::memcpy(data.data() + b.p.tensors[initTensor[i]].ddrOffset,
                  init[i].data(), init[i].size() * 4);
    EXPECT_TRUE(runProgram(b.p, data));
    const TensorDesc &t = b.p.tensors[out];
    std::vector<float> v(t.C);
    std::memcpy(v.data(), data.data() + t.ddrOffset, v.size() * 4);
    return v;
  }
  /// The loader's error for the program so far ("" when valid).
  std::string error() {
    b.p.dataBytes = next;
    b.p.host = segs;
    b.p.code.clear();
    for (size_t i = 0; i < segs.size(); ++i)
      b.emit(instr(isa::Opcode::Host, {{"segment", int64_t(i)}}));
    b.emit(instr(isa::Opcode::End, {}));
    llvm::Error e = validateProgram(b.p);
    return e ? llvm::toString(std::move(e)) : "";
  }
};

inline std::vector<float> ramp(int64_t n, float scale, float shift) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = float((i * 7) % 11) * scale + shift;
  return v;
}

/// Relative-or-absolute closeness of a float kernel to a double definition.
inline void expectClose(const std::vector<float> &got,
                        const std::vector<double> &want,
                        const char *what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0, std::fabs(want[i])))
        << what << " element " << i;
}

} // namespace dlprt::test

#endif // DLPRT_TEST_FLOATNET_H

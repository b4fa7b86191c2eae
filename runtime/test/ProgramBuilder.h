//===- ProgramBuilder.h - Hand-built DLP programs for the tests -*- C++ -*-===//
#ifndef DLPRT_TEST_PROGRAMBUILDER_H
#define DLPRT_TEST_PROGRAMBUILDER_H

#include "dlprt/Program.h"
#include "dlprt/Simulator.h"

#include <memory>

#include <utility>
#include <vector>

namespace dlprt::test {

/// L = Q = 8 with small buffers: 512 FBUF vectors, 512 WBUF rows, 128 ABUF
/// vectors, 64 parameter entries.
TargetConfig tinyTarget();

using Fields = std::vector<std::pair<const char *, int64_t>>;

/// An instruction with the named fields set (a test failure if a name is
/// unknown or a value does not fit).
isa::Instr instr(isa::Opcode op, Fields fields, uint8_t tokens = 0);

/// DMA helpers: a 3-D box (n0 units per run).
isa::Instr load(isa::Buf buf, isa::Region region, int64_t sram, int64_t ddr,
                int64_t n0, int64_t n1 = 1, int64_t s1 = 0, int64_t n2 = 1,
                int64_t s2 = 0, int64_t wfmt = 0, uint8_t tokens = 0);
isa::Instr store(int64_t sram, int64_t ddr, int64_t n0, int64_t n1 = 1,
                 int64_t s1 = 0, int64_t n2 = 1, int64_t s2 = 0,
                 uint8_t tokens = 0);

/// Appends to a program's const region and returns the offset.
struct Builder {
  Program p;
  explicit Builder(TargetConfig t = tinyTarget());

  uint64_t addConst(const std::vector<uint8_t> &bytes);
  /// Weight rows in DDR format: pow2 (codes packed two per byte) or int8.
  uint64_t pow2Rows(const std::vector<std::vector<uint8_t>> &codes,
                    const std::vector<uint8_t> &align);
  uint64_t int8Rows(const std::vector<std::vector<int8_t>> &w,
                    const std::vector<uint8_t> &align);
  /// One parameter entry (vectors of Q).
  uint64_t params(const std::vector<int32_t> &bias,
                  const std::vector<int8_t> &shift,
                  const std::vector<int8_t> &amin,
                  const std::vector<int8_t> &amax,
                  const std::vector<int8_t> &aux);
  /// A tensor in data at `offset` with logical shape 1 x C x H x W.
  uint32_t tensor(const std::string &name, int64_t C, int64_t H, int64_t W,
                  uint64_t offset, std::vector<int32_t> frac);
  Builder &emit(const isa::Instr &i) {
    p.code.push_back(i);
    return *this;
  }
};

/// A float32 tensor (row-major, storage C = elements) of `shape` in data at
/// `offset`; its index.
uint32_t floatTensor(Builder &b, const std::string &name,
                     std::vector<int64_t> shape, uint64_t offset);

/// A valid program that uses every opcode, every buffer and both weight
/// formats (tensors, host conv and concat, tokens between queues).
Program everyOpcodeProgram();

/// The error text of validateProgram(p) ("" when it is valid).
std::string validationError(const Program &p);
/// validationError of a program of one instruction (op with `fields`, in
/// order: a later value of a field replaces an earlier one) and END on
/// target t.
std::string oneInstructionError(const TargetConfig &t, isa::Opcode op,
                                Fields fields);

/// The error text of readBinary(bytes) ("" when it succeeds).
std::string loadError(const std::vector<uint8_t> &bytes,
                      const TargetConfig *expected = nullptr);

/// Validates and runs `p` once on `data` (resized to p.dataBytes); the
/// simulator (for its buffers), or nullptr with a test failure.
std::unique_ptr<Simulator> runProgram(const Program &p,
                                      std::vector<uint8_t> &data);

/// Channel-blocked byte offset of (c, y, x) in a C x H x W map (L = 8).
inline size_t blocked(int64_t H, int64_t W, int64_t c, int64_t y, int64_t x) {
  return size_t(((c / 8 * H + y) * W + x) * 8 + c % 8);
}

/// floor(a / 2^s) + rounding of numerics section 3, written out from the
/// contract in 128-bit arithmetic (independent of Numerics.h).
int64_t refRequant(int64_t acc, int s);

} // namespace dlprt::test

#endif // DLPRT_TEST_PROGRAMBUILDER_H

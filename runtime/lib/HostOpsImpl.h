//===- HostOpsImpl.h - Shared checks of the host segment kinds --*- C++ -*-===//
//
// Internal to runtime/lib: the helpers HostOps.cpp and HostOpsVision.cpp
// share to check and run host segments (errors name the HOST record, its
// kind and the param or tensor at fault).
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_LIB_HOSTOPSIMPL_H
#define DLPRT_LIB_HOSTOPSIMPL_H

#include "dlprt/Program.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlprt::hostops {

using u128 = unsigned __int128;

/// Largest kernel, stride, dilation, |pad|, group or LRN size a float
/// operator accepts.
constexpr int64_t kMaxFloatParam = 1 << 16;
/// Largest im2col patch matrix a float conv may need (bytes).
constexpr u128 kMaxPatchBytes = u128(1) << 32;

const char *kindName(HostOpKind k);
llvm::Error segError(size_t i, const HostSegment &h, const llvm::Twine &msg);
uint64_t elements(const TensorDesc &t);
std::string shapeText(const std::vector<int64_t> &s);
/// The shape of input `k` of a segment (checked to exist).
const std::vector<int64_t> &inShape(const Program &p, const HostSegment &h,
                                    size_t k);
/// Arity: between minIn and maxIn inputs, one output, and a const range
/// only for FloatConst.
llvm::Error checkArity(size_t i, const HostSegment &h, size_t minIn,
                       size_t maxIn, size_t nParams);
llvm::Error wantShape(size_t i, const HostSegment &h, const char *what,
                      const std::vector<int64_t> &got,
                      const std::vector<int64_t> &want);
/// Params [first, first + n) each in [lo, kMaxFloatParam] (|v| for pads,
/// lo < 0).
llvm::Error checkRange(size_t i, const HostSegment &h, size_t first, size_t n,
                       int64_t lo, const char *what);
const float *floatAt(const uint8_t *data, const TensorDesc &t);
/// Param k as the float it holds (IEEE-754 bits).
float paramFloat(const HostSegment &h, size_t k);

/// The operands, rank, param count and group of a FloatConv or
/// FloatConvTranspose segment: x, weight, optional bias; params: group,
/// then the window params per spatial axis.
llvm::Error checkConvHead(const Program &p, size_t i, const HostSegment &h);

/// FloatReduce .. FloatConvTranspose (HostOpsVision.cpp).
llvm::Error checkFloatVision(const Program &p, size_t i, const HostSegment &h);
void runFloatVision(const Program &p, const HostSegment &h,
                    const uint8_t *data, float *out, unsigned threads);

} // namespace dlprt::hostops

#endif // DLPRT_LIB_HOSTOPSIMPL_H

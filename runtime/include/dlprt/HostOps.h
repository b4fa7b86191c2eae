//===- HostOps.h - Host fallback ops of HOST segments -----------*- C++ -*-===//
//
// Ops the DLP lacks run on the CPU between device segments (docs/isa.md
// 3.6): they read and write DDR region `data` through tensor descriptors,
// in the channel-blocked layout, with the integer rules of
// docs/numerics.md. Kinds and constant layouts: dlprt/Program.h.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_HOSTOPS_H
#define DLPRT_HOSTOPS_H

#include "dlprt/Program.h"

#include <cstdint>

namespace dlprt {

/// Indices into HostSegment::params of a HostOpKind::Conv segment.
enum HostConvParam : unsigned {
  kConvGroup,
  kConvKH,
  kConvKW,
  kConvStrideH,
  kConvStrideW,
  kConvPadT,
  kConvPadL,
  kConvDilH,
  kConvDilW,
  kNumConvParams
};

/// Per spatial axis of a FloatConv segment (after params[0] = group) and
/// a FloatPool segment (after params[0] = the op, the kernel first): the
/// window parameters, in this order.
/// HostOpKind::Pool's params, in order.
enum HostPoolParam : unsigned {
  kPoolMode,
  kPoolKH,
  kPoolKW,
  kPoolSH,
  kPoolSW,
  kPoolPT,
  kPoolPL,
  kPoolPB,
  kPoolPR,
  kPoolDH,
  kPoolDW,
  kPoolNumParams
};

enum HostFloatWindowParam : unsigned {
  kWinStride,
  kWinPadBegin,
  kWinPadEnd,
  kWinDilation,
  kNumWinParams
};

/// Byte offset in DDR `data` of channel c, pixel (y, x) of `t` (docs/isa.md
/// section 1: ((cb * H + y) * W + x) * L + c % L).
inline uint64_t blockedOffset(const TensorDesc &t, uint32_t L, int64_t c,
                              int64_t y, int64_t x) {
  return t.ddrOffset + ((uint64_t(c / L) * t.H + y) * t.W + x) * L +
         uint64_t(c % L);
}

/// Checks host segment `index` of `p`: kind, tensor indices, parameters,
/// shapes, the constant range and (Conv) every out_shift in [-32, 63].
/// The program's tensors must already be valid.
llvm::Error checkHostSegment(const Program &p, size_t index);

/// Runs a (checked) segment on the DDR region `data` of `p`.
void runHostSegment(const Program &p, const HostSegment &h, uint8_t *data,
                    unsigned threads = 1);

/// The PackTaps segment `h` (checked; its input and output in one channel
/// block each) computed from the input's int8 values `q` (C x H x W,
/// logical order) instead of the input tensor's DDR bytes: writes every
/// byte of the output tensor in `data`, as runHostSegment does after the
/// input tensor received `q`.
void packTapsFromInt8(const Program &p, const HostSegment &h, const int8_t *q,
                      uint8_t *data, unsigned threads = 1);

} // namespace dlprt

#endif // DLPRT_HOSTOPS_H

//===- ChannelMul.h - Squeeze-and-excitation scaling in int8 ----*- C++ -*-===//
//
// x * gate between int8 feature maps (qnn.dequantize x and gate -> nn.mul
// broadcasting an N x C x 1 x 1 gate -> qnn.quantize) is exact in float32
// (an int8 x int8 product and power-of-two scales): --dlp-quantize replaces
// the chain by qnn.channel_mul (docs/numerics.md section 8).
//
//===----------------------------------------------------------------------===//
#ifndef DLP_QUANT_CHANNELMUL_H
#define DLP_QUANT_CHANNELMUL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>

namespace dlp::quant {

/// Replaces every qnn.quantize of an nn.mul (read only by that quantize)
/// of two qnn.dequantize results, one N x C x H x W and the other N x C x
/// 1 x 1 (or 1 x C x 1 x 1), by a qnn.channel_mul of the two int8 maps.
/// Returns the number of rewrites.
int64_t scaleChannels(mlir::func::FuncOp func);

} // namespace dlp::quant

#endif // DLP_QUANT_CHANNELMUL_H

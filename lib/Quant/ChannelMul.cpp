//===- ChannelMul.cpp - Squeeze-and-excitation scaling in int8 ------------===//
//
// Why the rewrite is exact: Dequantize gives q * 2^-f in float32 exactly
// (f in [-32, 31]); the float product qx * qg * 2^-(fx + fg) has |qx * qg|
// <= 2^14 < 2^24 and a normal exponent, so it is exact too; Quantize takes
// floor(p * 2^(fy - fx - fg) + 1/2) in double, saturated, which is
// roundShift(p, fx + fg - fy) then sat8 (a shift outside [-32, 63] is
// clamped without changing a result, as |p| < 2^15).
//
//===----------------------------------------------------------------------===//

#include "dlp/Quant/ChannelMul.h"

#include "NN/NNOps.h"
#include "QNN/QNNOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace dlp::quant {

namespace {

/// Whether `g` (shape) gates the channels of `x` (shape): N x C x 1 x 1 or
/// 1 x C x 1 x 1 against N x C x H x W.
bool gates(ArrayRef<int64_t> g, ArrayRef<int64_t> x) {
  return x.size() == 4 && g.size() == 4 && g[1] == x[1] && g[2] == 1 &&
         g[3] == 1 && (g[0] == x[0] || g[0] == 1) &&
         !ShapedType::isDynamic(x[1]);
}

} // namespace

int64_t scaleChannels(func::FuncOp func) {
  SmallVector<qnn::QuantizeOp> quants;
  func.walk([&](qnn::QuantizeOp q) { quants.push_back(q); });
  int64_t count = 0;
  for (qnn::QuantizeOp q : quants) {
    auto mul = q.getInput().getDefiningOp<nn::MulOp>();
    if (!mul || !mul->hasOneUse())
      continue;
    auto outType = cast<RankedTensorType>(q.getOutput().getType());
    for (int side = 0; side < 2; ++side) {
      auto dx = mul->getOperand(side).getDefiningOp<qnn::DequantizeOp>();
      auto dg = mul->getOperand(1 - side).getDefiningOp<qnn::DequantizeOp>();
      if (!dx || !dg)
        break;
      auto xType = cast<RankedTensorType>(dx.getInput().getType());
      auto gType = cast<RankedTensorType>(dg.getInput().getType());
      if (xType.getShape() != outType.getShape() ||
          !gates(gType.getShape(), xType.getShape()))
        continue;
      OpBuilder b(q);
      Value y = qnn::ChannelMulOp::create(b, mul->getLoc(), outType,
                                          dx.getInput(), dg.getInput());
      q.getOutput().replaceAllUsesWith(y);
      q.erase();
      mul->erase();
      ++count;
      break;
    }
  }
  return count;
}

} // namespace dlp::quant

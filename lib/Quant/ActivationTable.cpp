//===- ActivationTable.cpp - Activations as int8 lookup tables ------------===//

#include "dlp/Quant/ActivationTable.h"

#include "QNN/QNNOps.h"
#include "dlprt/kernels/Table.h"

#include "mlir/IR/Builders.h"

#include <functional>

using namespace mlir;

namespace dlp::quant {

namespace {

namespace rk = dlprt::kernels;

/// The float function `act` computes of its dequantized operand `dq`, or
/// null: a unary activation of `dq`, or HardSwish as the importer builds it
/// (nn.mul of `dq` and a HardSigmoid of `dq` that only the mul reads).
std::function<float(float)> activationOf(Operation *act,
                                         qnn::DequantizeOp &dq) {
  if (std::optional<FloatUnarySpec> s = floatUnarySpec(act)) {
    dq = act->getOperand(0).getDefiningOp<qnn::DequantizeOp>();
    return dq ? std::function<float(float)>(*s) : nullptr;
  }
  auto mul = dyn_cast<nn::MulOp>(act);
  if (!mul)
    return nullptr;
  for (int side = 0; side < 2; ++side) {
    Value x = mul->getOperand(side), g = mul->getOperand(1 - side);
    auto hs = g.getDefiningOp<nn::HardSigmoidOp>();
    dq = x.getDefiningOp<qnn::DequantizeOp>();
    if (!hs || !dq || hs.getInput() != x || !g.hasOneUse())
      continue;
    FloatUnarySpec h = *floatUnarySpec(hs);
    // The evaluator's order: the gate first, then the product (x on the
    // side it was on; float products commute exactly).
    return [h](float v) {
      return rk::floatBinary(rk::FloatBinaryOp::Mul, v, h(v));
    };
  }
  return nullptr;
}

} // namespace

int64_t tabulateActivations(func::FuncOp func) {
  SmallVector<qnn::QuantizeOp> quants;
  func.walk([&](qnn::QuantizeOp q) { quants.push_back(q); });
  int64_t count = 0;
  for (qnn::QuantizeOp q : quants) {
    Operation *act = q.getInput().getDefiningOp();
    if (!act || !act->hasOneUse())
      continue;
    qnn::DequantizeOp dq;
    std::function<float(float)> fn = activationOf(act, dq);
    if (!fn)
      continue;
    auto inType = cast<RankedTensorType>(dq.getInput().getType());
    auto outType = cast<RankedTensorType>(q.getOutput().getType());
    auto in = qnn::encodingOf<qnn::FmapAttr>(inType);
    auto out = qnn::encodingOf<qnn::FmapAttr>(outType);
    if (inType.getShape() != outType.getShape() ||
        in.getBlock() != out.getBlock() ||
        in.getValues().size() != out.getValues().size())
      continue;
    size_t entries = in.getValues().size();
    SmallVector<int8_t> table(entries * rk::kTableEntries);
    for (size_t k = 0; k < entries; ++k)
      rk::buildTable(fn, in.getValues()[k], out.getValues()[k],
                     table.data() + k * rk::kTableEntries);
    OpBuilder b(q);
    Value t = qnn::TableOp::create(b, act->getLoc(), outType, dq.getInput(),
                                   b.getDenseI8ArrayAttr(table));
    q.getOutput().replaceAllUsesWith(t);
    q.erase();
    // The activation (and HardSwish's gate) now has no user.
    SmallVector<Operation *> dead = {act};
    for (Value v : act->getOperands())
      if (Operation *d = v.getDefiningOp(); d && d != dq && v.hasOneUse())
        dead.push_back(d);
    for (Operation *d : dead)
      d->dropAllUses(), d->erase();
    ++count;
  }
  return count;
}

} // namespace dlp::quant

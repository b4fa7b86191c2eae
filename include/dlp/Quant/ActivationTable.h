//===- ActivationTable.h - Activations as int8 lookup tables ----*- C++ -*-===//
//
// An element-wise float activation between quantized feature maps
// (qnn.dequantize -> activation -> qnn.quantize) is, per channel, a function
// of 256 int8 codes: --dlp-quantize replaces the chain by qnn.table
// (docs/numerics.md section 7), exact by construction.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_QUANT_ACTIVATIONTABLE_H
#define DLP_QUANT_ACTIVATIONTABLE_H

#include "NN/NNOps.h"
#include "dlprt/kernels/Float.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

#include <optional>

namespace dlp::quant {

/// The float evaluator's element-wise function of a one-operand nn
/// activation: the kernel (dlprt/kernels/Float.h) and its parameters.
struct FloatUnarySpec {
  dlprt::kernels::FloatUnaryOp op;
  float a = 0, b = 0;
  float operator()(float v) const {
    return dlprt::kernels::floatUnary(op, a, b, v);
  }
};

/// The spec of `op`, or nullopt when it is not an element-wise unary
/// float function.
inline std::optional<FloatUnarySpec> floatUnarySpec(mlir::Operation *op) {
  using K = dlprt::kernels::FloatUnaryOp;
  using R = std::optional<FloatUnarySpec>;
  return llvm::TypeSwitch<mlir::Operation *, R>(op)
      .Case([](nn::ReluOp) { return FloatUnarySpec{K::Relu}; })
      .Case([](nn::SigmoidOp) { return FloatUnarySpec{K::Sigmoid}; })
      .Case([](nn::ClipOp c) {
        return FloatUnarySpec{K::Clip, c.getMin().convertToFloat(),
                              c.getMax().convertToFloat()};
      })
      .Case([](nn::HardSigmoidOp h) {
        return FloatUnarySpec{K::HardSigmoid, h.getAlpha().convertToFloat(),
                              h.getBeta().convertToFloat()};
      })
      .Case([](nn::LeakyReluOp l) {
        return FloatUnarySpec{K::LeakyRelu, l.getAlpha().convertToFloat()};
      })
      .Case([](nn::NegOp) { return FloatUnarySpec{K::Neg}; })
      .Case([](nn::AbsOp) { return FloatUnarySpec{K::Abs}; })
      .Case([](nn::ExpOp) { return FloatUnarySpec{K::Exp}; })
      .Case([](nn::LogOp) { return FloatUnarySpec{K::Log}; })
      .Case([](nn::SqrtOp) { return FloatUnarySpec{K::Sqrt}; })
      .Case([](nn::TanhOp) { return FloatUnarySpec{K::Tanh}; })
      .Case([](nn::ErfOp) { return FloatUnarySpec{K::Erf}; })
      .Case([](nn::ReciprocalOp) { return FloatUnarySpec{K::Reciprocal}; })
      .Default([](mlir::Operation *) { return R(); });
}

/// Replaces every qnn.quantize of an activation (a unary float function,
/// or HardSwish's x * HardSigmoid(x)) whose only float input is a
/// qnn.dequantize, and whose result only that quantize reads, by a
/// qnn.table of the dequantized map. Returns the number of tables.
int64_t tabulateActivations(mlir::func::FuncOp func);

} // namespace dlp::quant

#endif // DLP_QUANT_ACTIVATIONTABLE_H

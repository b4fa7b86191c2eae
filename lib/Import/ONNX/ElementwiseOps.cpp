//===- ElementwiseOps.cpp - ONNX activation and arithmetic builders -------===//

#include "ImporterContext.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace dlp;
using namespace dlp::onnximport;

namespace {
/// Unary op without attributes.
template <typename OpTy>
LogicalResult buildUnary(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = nc.create<OpTy>(*x);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildIdentity(NodeContext &nc) {
  // Constants stay constants so shape subgraphs keep folding.
  if (std::shared_ptr<ConstTensor> c = nc.constInput(0)) {
    nc.setOutput(0, c);
    return success();
  }
  return buildUnary<nn::IdentityOp>(nc);
}

LogicalResult buildClip(NodeContext &nc) {
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  if (nc.opset() < 11) {
    if (failed(nc.checkAttrs({"min", "max"})))
      return failure();
    lo = nc.attrFloat("min", lo);
    hi = nc.attrFloat("max", hi);
  } else {
    if (nc.hasInput(1)) {
      FailureOr<double> v = nc.constScalar(1, "min");
      if (failed(v))
        return failure();
      lo = static_cast<float>(*v);
    }
    if (nc.hasInput(2)) {
      FailureOr<double> v = nc.constScalar(2, "max");
      if (failed(v))
        return failure();
      hi = static_cast<float>(*v);
    }
  }
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = nc.create<nn::ClipOp>(*x, nc.f32(lo), nc.f32(hi));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildHardSigmoid(NodeContext &nc) {
  if (failed(nc.checkAttrs({"alpha", "beta"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = nc.create<nn::HardSigmoidOp>(
      *x, nc.f32(nc.attrFloat("alpha", 0.2f)),
      nc.f32(nc.attrFloat("beta", 0.5f)));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// HardSwish(x) = x * HardSigmoid(x; alpha = 1/6, beta = 1/2) (ONNX's
/// definition), imported as those two ops.
LogicalResult buildHardSwish(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> gate = nc.create<nn::HardSigmoidOp>(
      *x, nc.f32(1.0f / 6.0f), nc.f32(0.5f));
  if (failed(gate))
    return failure();
  FailureOr<Value> y = nc.create<nn::MulOp>(*x, *gate);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// Pow: an integer exponent known at import time (ONNX allows int32 / int64
/// / uint32 exponents on a float base) becomes a float constant; shape
/// arithmetic on two integer constants folds as buildBinary does.
LogicalResult buildPow(NodeContext &nc);

LogicalResult buildLeakyRelu(NodeContext &nc) {
  if (failed(nc.checkAttrs({"alpha"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y =
      nc.create<nn::LeakyReluOp>(*x, nc.f32(nc.attrFloat("alpha", 0.01f)));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// relu(x) and x - relu(x) = min(x, 0) (exact): the two sides of PRelu and
/// Elu.
FailureOr<std::pair<Value, Value>> reluParts(NodeContext &nc, Value x) {
  FailureOr<Value> pos = nc.createPart<nn::ReluOp>("positive", x);
  if (failed(pos))
    return failure();
  FailureOr<Value> neg = nc.createPart<nn::SubOp>("negative", x, *pos);
  if (failed(neg))
    return failure();
  return std::make_pair(*pos, *neg);
}

/// PRelu(x, slope) = max(x, 0) + slope * min(x, 0), slope broadcast to x
/// (unidirectionally), imported as relu(x) + slope * (x - relu(x)): the
/// same float result (one of the two terms is 0, and x - relu(x) is exact).
LogicalResult buildPRelu(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  FailureOr<Value> x = nc.input(0), slope = nc.floatInput(1);
  if (failed(x) || failed(slope))
    return failure();
  FailureOr<std::pair<Value, Value>> parts = reluParts(nc, *x);
  if (failed(parts))
    return failure();
  auto [pos, neg] = *parts;
  FailureOr<Value> scaled = nc.createPart<nn::MulOp>("scaled", neg, *slope);
  if (failed(scaled))
    return failure();
  if (NodeContext::shapeOf(*scaled) != NodeContext::shapeOf(*x))
    return nc.error() << "slope does not broadcast to the input's shape";
  FailureOr<Value> y = nc.create<nn::AddOp>(pos, *scaled);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// relu(x) + alpha * (exp(min(x, 0) / div) - 1): Elu, Celu (div = alpha)
/// and the part of Selu; `last`: the node's result (else a part, "sum").
FailureOr<Value> expLinear(NodeContext &nc, Value x, float alpha, float div,
                           bool last) {
  FailureOr<Value> one = nc.floatConstant("one", {}, {1.0f}),
                   a = nc.floatConstant("alpha", {}, {alpha});
  if (failed(one) || failed(a))
    return failure();
  FailureOr<std::pair<Value, Value>> parts = reluParts(nc, x);
  if (failed(parts))
    return failure();
  auto [pos, neg] = *parts;
  if (div != 1.0f) {
    FailureOr<Value> d = nc.floatConstant("divisor", {}, {div});
    if (failed(d))
      return failure();
    FailureOr<Value> q = nc.createPart<nn::DivOp>("scaled_input", neg, *d);
    if (failed(q))
      return failure();
    neg = *q;
  }
  FailureOr<Value> e = nc.createPart<nn::ExpOp>("exp", neg);
  if (failed(e))
    return failure();
  FailureOr<Value> em1 = nc.createPart<nn::SubOp>("expm1", *e, *one);
  if (failed(em1))
    return failure();
  FailureOr<Value> scaled = nc.createPart<nn::MulOp>("scaled", *a, *em1);
  if (failed(scaled))
    return failure();
  return last ? nc.create<nn::AddOp>(pos, *scaled)
              : nc.createPart<nn::AddOp>("sum", pos, *scaled);
}

/// Elu(x) = x for x > 0, alpha * (exp(x) - 1) otherwise, imported as
/// relu(x) + alpha * (exp(x - relu(x)) - 1): x - relu(x) = min(x, 0)
/// exactly, and for x > 0 the second term is alpha * (exp(0) - 1) = 0.
LogicalResult buildElu(NodeContext &nc) {
  if (failed(nc.checkAttrs({"alpha"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y =
      expLinear(nc, *x, nc.attrFloat("alpha", 1.0f), 1, true);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// Selu(x) = gamma * (x for x > 0, alpha * (exp(x) - 1) otherwise): gamma
/// times Elu's decomposition.
LogicalResult buildSelu(NodeContext &nc) {
  if (failed(nc.checkAttrs({"alpha", "gamma"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> e =
      expLinear(nc, *x, nc.attrFloat("alpha", 1.67326319217681884765625f), 1,
                false);
  FailureOr<Value> gamma = nc.floatConstant(
      "gamma", {}, {nc.attrFloat("gamma", 1.05070102214813232421875f)});
  if (failed(e) || failed(gamma))
    return failure();
  FailureOr<Value> y = nc.create<nn::MulOp>(*gamma, *e);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// Celu(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), imported as
/// relu(x) + alpha * (exp(min(x, 0) / alpha) - 1) (the second term is 0
/// for x > 0 and not positive otherwise).
LogicalResult buildCelu(NodeContext &nc) {
  if (failed(nc.checkAttrs({"alpha"})))
    return failure();
  float alpha = nc.attrFloat("alpha", 1.0f);
  if (alpha == 0.0f)
    return nc.error() << "alpha must not be 0";
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = expLinear(nc, *x, alpha, alpha, true);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// Softplus(x) = log(exp(x) + 1), imported in the overflow-free form
/// relu(x) + log(exp(-|x|) + 1) (onnxruntime's: x + log(exp(-x) + 1) for
/// x > 0, log(exp(x) + 1) otherwise; the same operations).
LogicalResult buildSoftplus(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  FailureOr<Value> one = nc.floatConstant("one", {}, {1.0f});
  if (failed(x) || failed(one))
    return failure();
  FailureOr<Value> pos = nc.createPart<nn::ReluOp>("positive", *x);
  if (failed(pos))
    return failure();
  FailureOr<Value> mag = nc.createPart<nn::AbsOp>("abs", *x);
  if (failed(mag))
    return failure();
  FailureOr<Value> negMag = nc.createPart<nn::NegOp>("neg_abs", *mag);
  if (failed(negMag))
    return failure();
  FailureOr<Value> e = nc.createPart<nn::ExpOp>("exp", *negMag);
  if (failed(e))
    return failure();
  FailureOr<Value> e1 = nc.createPart<nn::AddOp>("exp_plus_1", *e, *one);
  if (failed(e1))
    return failure();
  FailureOr<Value> l = nc.createPart<nn::LogOp>("log", *e1);
  if (failed(l))
    return failure();
  FailureOr<Value> y = nc.create<nn::AddOp>(*pos, *l);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// Softsign(x) = x / (1 + |x|).
LogicalResult buildSoftsign(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  FailureOr<Value> one = nc.floatConstant("one", {}, {1.0f});
  if (failed(x) || failed(one))
    return failure();
  FailureOr<Value> mag = nc.createPart<nn::AbsOp>("abs", *x);
  if (failed(mag))
    return failure();
  FailureOr<Value> d = nc.createPart<nn::AddOp>("denominator", *one, *mag);
  if (failed(d))
    return failure();
  FailureOr<Value> y = nc.create<nn::DivOp>(*x, *d);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// ThresholdedRelu(x) = x for x > alpha, else 0: where(alpha < x, x, 0).
LogicalResult buildThresholdedRelu(NodeContext &nc) {
  if (failed(nc.checkAttrs({"alpha"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  FailureOr<Value> alpha =
      nc.floatConstant("alpha", {}, {nc.attrFloat("alpha", 1.0f)});
  FailureOr<Value> zero = nc.floatConstant("zero", {}, {0.0f});
  if (failed(x) || failed(alpha) || failed(zero))
    return failure();
  FailureOr<Value> mask = nc.createPart<nn::LessOp>("mask", *alpha, *x);
  if (failed(mask))
    return failure();
  FailureOr<Value> y = nc.create<nn::WhereOp>(*mask, *x, *zero);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildDropout(NodeContext &nc) {
  if (failed(nc.checkAttrs({"ratio", "seed", "is_test"})))
    return failure();
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty())
    return nc.error() << "the mask output is not supported (inference only)";
  float ratio = nc.attrFloat("ratio", 0.5f);
  if (nc.opset() >= 12) {
    if (nc.hasInput(1)) {
      FailureOr<double> r = nc.constScalar(1, "ratio");
      if (failed(r))
        return failure();
      ratio = static_cast<float>(*r);
    }
    if (nc.hasInput(2)) {
      FailureOr<double> t = nc.constScalar(2, "training_mode");
      if (failed(t))
        return failure();
      if (*t != 0.0)
        return nc.error() << "training_mode=true is not supported";
    }
  }
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = nc.create<nn::DropoutOp>(*x, nc.f32(ratio));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// Folds an integer binary op on import-time constants (shape arithmetic).
template <typename Fn>
std::shared_ptr<ConstTensor> foldIntBinary(const ConstTensor &a,
                                           const ConstTensor &b, Fn fn) {
  if (!a.isInteger() || !b.isInteger())
    return nullptr;
  // Only scalar-vs-tensor or equal shapes: what shape subgraphs use.
  const ConstTensor &big = a.numElements() >= b.numElements() ? a : b;
  if (a.numElements() != b.numElements() && a.numElements() != 1 &&
      b.numElements() != 1)
    return nullptr;
  std::vector<int64_t> out(big.numElements());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = fn(a.ints[a.numElements() == 1 ? 0 : i],
                b.ints[b.numElements() == 1 ? 0 : i]);
  return ConstTensor::fromInts(big.dims, std::move(out));
}

template <typename OpTy, typename Fn>
LogicalResult buildBinary(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  std::shared_ptr<ConstTensor> ca = nc.constInput(0), cb = nc.constInput(1);
  if ((ca && ca->isInteger() && ca->hasSymbolicBatch()) ||
      (cb && cb->isInteger() && cb->hasSymbolicBatch()))
    return nc.error() << "shape arithmetic on the dynamic batch; pin it with "
                         "--input-shape NAME=D0xD1x... (dlpc, dlp-eval)";
  if (ca && cb && ca->isInteger() && cb->isInteger()) {
    if (auto folded = foldIntBinary(*ca, *cb, Fn())) {
      nc.setOutput(0, folded);
      return success();
    }
  }
  FailureOr<Value> a = nc.input(0), b = nc.input(1);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> y = nc.create<OpTy>(*a, *b);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

struct IntAdd {
  int64_t operator()(int64_t a, int64_t b) const { return a + b; }
};
struct IntSub {
  int64_t operator()(int64_t a, int64_t b) const { return a - b; }
};
struct IntMul {
  int64_t operator()(int64_t a, int64_t b) const { return a * b; }
};
struct IntDiv {
  int64_t operator()(int64_t a, int64_t b) const { return b ? a / b : 0; }
};
struct IntMax {
  int64_t operator()(int64_t a, int64_t b) const { return std::max(a, b); }
};
struct IntMin {
  int64_t operator()(int64_t a, int64_t b) const { return std::min(a, b); }
};
/// Integer power of shape arithmetic (a negative exponent gives 0 unless
/// the base is +-1, as integer division would).
struct IntPow {
  int64_t operator()(int64_t a, int64_t b) const {
    if (b < 0)
      return a == 1 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : 0;
    int64_t r = 1;
    for (int64_t i = 0; i < b && i < 64; ++i)
      r = int64_t(uint64_t(r) * uint64_t(a));
    return r;
  }
};

/// Variadic Max / Min / Sum: a chain of binary ops (broadcasting); Mean
/// (`IsMean`): the sum divided by the number of inputs.
template <typename OpTy, bool IsMean = false>
LogicalResult buildVariadic(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  FailureOr<Value> acc = nc.input(0);
  if (failed(acc))
    return failure();
  for (int i = 1; i < nc.numInputs(); ++i) {
    FailureOr<Value> next = nc.input(i);
    if (failed(next))
      return failure();
    // Partial results have layers of their own ("<node>/partial<i>").
    bool last = i + 1 == nc.numInputs() && !IsMean;
    acc = last ? nc.create<OpTy>(*acc, *next)
               : nc.createPart<OpTy>("partial" + std::to_string(i), *acc,
                                     *next);
    if (failed(acc))
      return failure();
  }
  if (IsMean && nc.numInputs() > 1) {
    FailureOr<Value> n =
        nc.floatConstant("count", {}, {float(nc.numInputs())});
    if (failed(n))
      return failure();
    acc = nc.create<nn::DivOp>(*acc, *n);
    if (failed(acc))
      return failure();
  }
  nc.setOutput(0, *acc);
  return success();
}

LogicalResult buildPow(NodeContext &nc) {
  std::shared_ptr<ConstTensor> base = nc.constInput(0), e = nc.constInput(1);
  bool floatBase = !base || base->isFloat();
  if (floatBase && e && e->isInteger() && !e->hasSymbolicBatch()) {
    FailureOr<Value> x = nc.input(0), exponent = nc.floatInput(1);
    if (failed(x) || failed(exponent))
      return failure();
    FailureOr<Value> y = nc.create<nn::PowOp>(*x, *exponent);
    if (failed(y))
      return failure();
    nc.setOutput(0, *y);
    return success();
  }
  return buildBinary<nn::PowOp, IntPow>(nc);
}

const OpTableEntry kTable[] = {
    {"Abs", 6, 17, buildUnary<nn::AbsOp>},
    {"Add", 7, 17, buildBinary<nn::AddOp, IntAdd>},
    {"Clip", 6, 17, buildClip},
    {"Div", 7, 17, buildBinary<nn::DivOp, IntDiv>},
    {"Dropout", 7, 17, buildDropout},
    {"Exp", 6, 17, buildUnary<nn::ExpOp>},
    {"HardSigmoid", 6, 17, buildHardSigmoid},
    {"HardSwish", 14, 17, buildHardSwish},
    {"Identity", 1, 17, buildIdentity},
    {"Elu", 6, 17, buildElu},
    {"Celu", 12, 17, buildCelu},
    {"Selu", 6, 17, buildSelu},
    {"Softplus", 1, 17, buildSoftplus},
    {"Softsign", 1, 17, buildSoftsign},
    {"Sum", 8, 17, buildVariadic<nn::AddOp>},
    {"ThresholdedRelu", 10, 17, buildThresholdedRelu},
    {"LeakyRelu", 6, 17, buildLeakyRelu},
    {"PRelu", 7, 17, buildPRelu},
    {"Log", 6, 17, buildUnary<nn::LogOp>},
    {"Max", 8, 17, buildVariadic<nn::MaxOp>},
    {"Mean", 8, 17, buildVariadic<nn::AddOp, true>},
    {"Min", 8, 17, buildVariadic<nn::MinOp>},
    {"Mul", 7, 17, buildBinary<nn::MulOp, IntMul>},
    {"Pow", 7, 17, buildPow},
    {"Neg", 6, 17, buildUnary<nn::NegOp>},
    {"Reciprocal", 6, 17, buildUnary<nn::ReciprocalOp>},
    {"Relu", 6, 17, buildUnary<nn::ReluOp>},
    {"Sigmoid", 6, 17, buildUnary<nn::SigmoidOp>},
    {"Sqrt", 6, 17, buildUnary<nn::SqrtOp>},
    {"Sub", 7, 17, buildBinary<nn::SubOp, IntSub>},
    {"Tanh", 6, 17, buildUnary<nn::TanhOp>},
    {"Erf", 9, 17, buildUnary<nn::ErfOp>},
};
} // namespace

ArrayRef<OpTableEntry> dlp::onnximport::elementwiseOpTable() { return kTable; }

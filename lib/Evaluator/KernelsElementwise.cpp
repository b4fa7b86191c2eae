//===- KernelsElementwise.cpp - Activations and broadcast arithmetic ------===//

#include "Kernels.h"
#include "NN/NNShapes.h"
#include "dlprt/kernels/Float.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace dlp;
using namespace dlp::eval;
using namespace dlp::eval::kernels;
using llvm::ArrayRef;
namespace shp = dlp::nn::shapes;
namespace rk = dlprt::kernels;

namespace {
/// Element-wise work below this many elements stays on the calling thread:
/// handing work to another thread costs more than the work (see Gemm.cpp).
constexpr int64_t kElementwiseChunk = int64_t(1) << 18;

/// The output buffer of an element-wise op: the input's own buffer when the
/// input dies here and nothing else references it, else a fresh one.
Tensor outputFor(const Tensor &x, ArrayRef<int64_t> shape) {
  if (x.isUniquelyOwned() && x.shape() == shape)
    return x;
  return Tensor::alloc(shape);
}

template <typename Fn>
Tensor mapUnary(const Tensor &x, ExecContext &ctx, Fn fn) {
  Tensor y = outputFor(x, x.shape());
  const float *xd = x.data();
  float *yd = y.mutableData();
  int64_t n = x.numElements();
  constexpr int64_t kChunk = kElementwiseChunk;
  parallelFor(ctx, (n + kChunk - 1) / kChunk, [&](int64_t b, int64_t e) {
    int64_t lo = b * kChunk, hi = std::min(n, e * kChunk);
    for (int64_t i = lo; i < hi; ++i)
      yd[i] = fn(xd[i]);
  });
  return y;
}

template <typename Fn>
Tensor mapBinary(const Tensor &a, const Tensor &b, ExecContext &ctx, Fn fn) {
  shp::ShapeResult r = shp::broadcast(a.shape(), b.shape());
  if (!r.ok)
    return fail(ctx, r.error);
  Tensor y = a.isUniquelyOwned() ? outputFor(a, r.shape)
                                  : outputFor(b, r.shape);
  const float *ad = a.data(), *bd = b.data();
  float *yd = y.mutableData();
  int64_t n = y.numElements();
  if (a.numElements() == n && b.numElements() == n) {
    for (int64_t i = 0; i < n; ++i)
      yd[i] = fn(ad[i], bd[i]);
    return y;
  }
  // Broadcast (the one definition in dlprt/kernels/Float.h), rows of the
  // innermost dimension in parallel.
  std::vector<int64_t> sa(a.shape().begin(), a.shape().end()),
      sb(b.shape().begin(), b.shape().end()),
      so(r.shape.begin(), r.shape.end());
  if (so.empty()) {
    yd[0] = fn(ad[0], bd[0]);
    return y;
  }
  int64_t inner = so.back();
  int64_t outer = inner ? n / inner : 0;
  parallelFor(ctx, outer, [&](int64_t lo, int64_t hi) {
    rk::broadcastRows(ad, sa, bd, sb, yd, so, lo, hi, fn);
  });
  return y;
}
} // namespace

Tensor kernels::unary(mlir::Operation *op, const Tensor &x, ExecContext &ctx) {
  return llvm::TypeSwitch<mlir::Operation *, Tensor>(op)
      .Case([&](nn::ReluOp) {
        return mapUnary(x, ctx, [](float v) { return rk::relu(v); });
      })
      .Case([&](nn::SigmoidOp) {
        return mapUnary(x, ctx,
                        [](float v) { return rk::sigmoid(v); });
      })
      .Case([&](nn::ClipOp c) {
        float lo = c.getMin().convertToFloat(), hi = c.getMax().convertToFloat();
        return mapUnary(x, ctx, [=](float v) { return rk::clip(v, lo, hi); });
      })
      .Case([&](nn::HardSigmoidOp h) {
        float al = h.getAlpha().convertToFloat(),
              be = h.getBeta().convertToFloat();
        return mapUnary(x, ctx, [=](float v) { return rk::hardSigmoid(v, al, be); });
      })
      .Case([&](nn::LeakyReluOp l) {
        float al = l.getAlpha().convertToFloat();
        return mapUnary(x, ctx, [=](float v) { return rk::leakyRelu(v, al); });
      })
      .Case([&](nn::NegOp) {
        return mapUnary(x, ctx, [](float v) { return rk::floatUnary(rk::FloatUnaryOp::Neg, 0, 0, v); });
      })
      .Case([&](nn::AbsOp) {
        return mapUnary(x, ctx, [](float v) { return rk::floatUnary(rk::FloatUnaryOp::Abs, 0, 0, v); });
      })
      .Case([&](nn::ExpOp) {
        return mapUnary(x, ctx, [](float v) { return rk::floatUnary(rk::FloatUnaryOp::Exp, 0, 0, v); });
      })
      .Case([&](nn::LogOp) {
        return mapUnary(x, ctx, [](float v) { return rk::floatUnary(rk::FloatUnaryOp::Log, 0, 0, v); });
      })
      .Case([&](nn::SqrtOp) {
        return mapUnary(x, ctx, [](float v) { return rk::floatUnary(rk::FloatUnaryOp::Sqrt, 0, 0, v); });
      })
      .Case([&](nn::TanhOp) {
        return mapUnary(x, ctx, [](float v) { return rk::floatUnary(rk::FloatUnaryOp::Tanh, 0, 0, v); });
      })
      .Case([&](nn::ErfOp) {
        return mapUnary(x, ctx, [](float v) { return rk::floatUnary(rk::FloatUnaryOp::Erf, 0, 0, v); });
      })
      .Case([&](nn::ReciprocalOp) {
        return mapUnary(x, ctx, [](float v) { return rk::floatUnary(rk::FloatUnaryOp::Reciprocal, 0, 0, v); });
      })
      .Case<nn::IdentityOp, nn::DropoutOp>([&](auto) { return x; })
      .Default([&](mlir::Operation *o) {
        return fail(ctx, "no unary kernel for " +
                             o->getName().getStringRef().str());
      });
}

/// mapBinary with the runtime's definition of op K.
template <rk::FloatBinaryOp K>
static Tensor mapOp(const Tensor &a, const Tensor &b, ExecContext &ctx) {
  return mapBinary(a, b, ctx,
                   [](float u, float v) { return rk::floatBinary(K, u, v); });
}

Tensor kernels::binary(mlir::Operation *op, const Tensor &a, const Tensor &b,
                       ExecContext &ctx) {
  using K = rk::FloatBinaryOp;
  return llvm::TypeSwitch<mlir::Operation *, Tensor>(op)
      .Case([&](nn::AddOp) { return mapOp<K::Add>(a, b, ctx); })
      .Case([&](nn::SubOp) { return mapOp<K::Sub>(a, b, ctx); })
      .Case([&](nn::MulOp) { return mapOp<K::Mul>(a, b, ctx); })
      .Case([&](nn::DivOp) { return mapOp<K::Div>(a, b, ctx); })
      .Case([&](nn::MaxOp) { return mapOp<K::Max>(a, b, ctx); })
      .Case([&](nn::MinOp) { return mapOp<K::Min>(a, b, ctx); })
      .Case([&](nn::PowOp) { return mapOp<K::Pow>(a, b, ctx); })
      .Case([&](nn::EqualOp) { return mapOp<K::Equal>(a, b, ctx); })
      .Case([&](nn::LessOp) { return mapOp<K::Less>(a, b, ctx); })
      .Case([&](nn::LessEqualOp) { return mapOp<K::LessEqual>(a, b, ctx); })
      .Default([&](mlir::Operation *o) {
        return fail(ctx, "no binary kernel for " +
                             o->getName().getStringRef().str());
      });
}

//===- KernelsElementwise.cpp - Activations and broadcast arithmetic ------===//

#include "Kernels.h"
#include "NN/NNShapes.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace dlp;
using namespace dlp::eval;
using namespace dlp::eval::kernels;
using llvm::ArrayRef;
namespace shp = dlp::nn::shapes;

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
  // Strides of a and b in the output index space (0 where broadcast).
  int64_t rank = r.shape.size();
  llvm::SmallVector<int64_t, 6> sa(rank, 0), sb(rank, 0);
  auto strides = [&](ArrayRef<int64_t> s, llvm::SmallVector<int64_t, 6> &st) {
    int64_t acc = 1;
    for (int64_t i = s.size() - 1, o = rank - 1; i >= 0; --i, --o) {
      st[o] = s[i] == 1 ? 0 : acc;
      acc *= s[i];
    }
  };
  strides(a.shape(), sa);
  strides(b.shape(), sb);
  if (rank == 0) {
    yd[0] = fn(ad[0], bd[0]);
    return y;
  }
  int64_t inner = r.shape[rank - 1];
  int64_t outer = inner ? n / inner : 0;
  int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  parallelFor(ctx, outer, [&](int64_t lo, int64_t hi) {
    for (int64_t o = lo; o < hi; ++o) {
      // Decompose o over the leading rank-1 dims.
      int64_t rem = o, offA = 0, offB = 0;
      for (int64_t d = rank - 2; d >= 0; --d) {
        int64_t idx = rem % r.shape[d];
        rem /= r.shape[d];
        offA += idx * sa[d];
        offB += idx * sb[d];
      }
      float *row = yd + o * inner;
      const float *pa = ad + offA, *pb = bd + offB;
      for (int64_t i = 0; i < inner; ++i)
        row[i] = fn(pa[i * ia], pb[i * ib]);
    }
  });
  return y;
}
} // namespace

Tensor kernels::unary(mlir::Operation *op, const Tensor &x, ExecContext &ctx) {
  return llvm::TypeSwitch<mlir::Operation *, Tensor>(op)
      .Case([&](nn::ReluOp) {
        return mapUnary(x, ctx, [](float v) { return v > 0.0f ? v : 0.0f; });
      })
      .Case([&](nn::SigmoidOp) {
        return mapUnary(x, ctx,
                        [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
      })
      .Case([&](nn::ClipOp c) {
        float lo = c.getMin().convertToFloat(), hi = c.getMax().convertToFloat();
        return mapUnary(x, ctx, [=](float v) {
          return std::isnan(v) ? v : std::min(std::max(v, lo), hi);
        });
      })
      .Case([&](nn::HardSigmoidOp h) {
        float al = h.getAlpha().convertToFloat(),
              be = h.getBeta().convertToFloat();
        return mapUnary(x, ctx, [=](float v) {
          return std::max(0.0f, std::min(1.0f, al * v + be));
        });
      })
      .Case([&](nn::LeakyReluOp l) {
        float al = l.getAlpha().convertToFloat();
        return mapUnary(x, ctx, [=](float v) { return v >= 0 ? v : al * v; });
      })
      .Case([&](nn::NegOp) {
        return mapUnary(x, ctx, [](float v) { return -v; });
      })
      .Case([&](nn::AbsOp) {
        return mapUnary(x, ctx, [](float v) { return std::fabs(v); });
      })
      .Case([&](nn::ExpOp) {
        return mapUnary(x, ctx, [](float v) { return std::exp(v); });
      })
      .Case([&](nn::LogOp) {
        return mapUnary(x, ctx, [](float v) { return std::log(v); });
      })
      .Case([&](nn::SqrtOp) {
        return mapUnary(x, ctx, [](float v) { return std::sqrt(v); });
      })
      .Case([&](nn::TanhOp) {
        return mapUnary(x, ctx, [](float v) { return std::tanh(v); });
      })
      .Case([&](nn::ReciprocalOp) {
        return mapUnary(x, ctx, [](float v) { return 1.0f / v; });
      })
      .Case<nn::IdentityOp, nn::DropoutOp>([&](auto) { return x; })
      .Default([&](mlir::Operation *o) {
        return fail(ctx, "no unary kernel for " +
                             o->getName().getStringRef().str());
      });
}

Tensor kernels::binary(mlir::Operation *op, const Tensor &a, const Tensor &b,
                       ExecContext &ctx) {
  return llvm::TypeSwitch<mlir::Operation *, Tensor>(op)
      .Case([&](nn::AddOp) {
        return mapBinary(a, b, ctx, [](float u, float v) { return u + v; });
      })
      .Case([&](nn::SubOp) {
        return mapBinary(a, b, ctx, [](float u, float v) { return u - v; });
      })
      .Case([&](nn::MulOp) {
        return mapBinary(a, b, ctx, [](float u, float v) { return u * v; });
      })
      .Case([&](nn::DivOp) {
        return mapBinary(a, b, ctx, [](float u, float v) { return u / v; });
      })
      .Case([&](nn::MaxOp) {
        return mapBinary(a, b, ctx,
                         [](float u, float v) { return std::max(u, v); });
      })
      .Case([&](nn::MinOp) {
        return mapBinary(a, b, ctx,
                         [](float u, float v) { return std::min(u, v); });
      })
      .Default([&](mlir::Operation *o) {
        return fail(ctx, "no binary kernel for " +
                             o->getName().getStringRef().str());
      });
}

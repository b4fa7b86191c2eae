//===- KernelsQuant.cpp - Integer kernels of the qnn ops -------------------===//
//
// The bit-exact golden model of docs/numerics.md. Every rule comes from
// dlprt/Numerics.h; the arithmetic is the runtime's integer kernels
// (dlprt/kernels), which the simulator runs too. This file maps qnn ops
// onto them. Conv and fully-connected layers run as an int32 matrix
// product of the int8 inputs with prepared term multipliers (a pow2-4 code
// becomes +-2^sh, an int8 weight q * 2^sh): a product by 2^sh is the shift
// of the contract, and because the compiler proved that the sum of all
// |terms| plus |bias| fits int32, every partial sum does too, so int32
// accumulation in any order gives the contract's accumulator exactly.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "NN/NNShapes.h"
#include "QNN/QNNOps.h"
#include "dlprt/Numerics.h"
#include "dlprt/kernels/Conv.h"
#include "dlprt/kernels/Pool.h"
#include "dlprt/kernels/Requant.h"
#include "dlprt/kernels/ChannelMul.h"
#include "dlprt/kernels/Table.h"

#include <algorithm>
#include <cstring>
#include <vector>

using namespace dlp;
using namespace dlp::eval;
using namespace dlp::eval::kernels;
using llvm::ArrayRef;
namespace num = dlprt::num;
namespace shp = dlp::nn::shapes;
namespace rk = dlprt::kernels;
using rk::Window2D;

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DLP_QKERNEL __attribute__((target_clones("avx2", "default")))
#else
#define DLP_QKERNEL
#endif

namespace {
qnn::FmapAttr fmapOf(mlir::Value v) {
  return qnn::encodingOf<qnn::FmapAttr>(v.getType());
}

/// N x C x inner view of a feature map.
struct ChannelView {
  int64_t n, c, inner;
};
ChannelView channels(const Tensor &t) {
  ChannelView v{t.rank() >= 1 ? t.dim(0) : 1, t.rank() >= 2 ? t.dim(1) : 1, 1};
  for (int64_t d = 2; d < t.rank(); ++d)
    v.inner *= t.dim(d);
  return v;
}

/// Runs fn(c, begin, end) for every (image, channel) slice [begin, end) of
/// the flat element range of `t`, c being the channel, in parallel.
void perChannel(const Tensor &t, ExecContext &ctx,
                llvm::function_ref<void(int64_t, int64_t, int64_t)> fn) {
  ChannelView v = channels(t);
  parallelFor(ctx, v.n * v.c, [&](int64_t b, int64_t e) {
    for (int64_t nc = b; nc < e; ++nc)
      fn(nc % v.c, nc * v.inner, (nc + 1) * v.inner);
  });
}

bool expect(const Tensor &t, ElemType type, ExecContext &ctx,
            const char *what) {
  if (t.elemType() == type)
    return true;
  fail(ctx, std::string("operand is not ") + what);
  return false;
}

bool window(ArrayRef<int64_t> x, ArrayRef<int64_t> y, ArrayRef<int64_t> k,
            ArrayRef<int64_t> s, ArrayRef<int64_t> pads,
            ArrayRef<int64_t> dil, Window2D &w, ExecContext &ctx) {
  size_t sp = x.size() - 2;
  if (sp < 1 || sp > 2) {
    fail(ctx, "the quantized evaluator supports 1-D and 2-D windows");
    return false;
  }
  auto at = [&](ArrayRef<int64_t> a, size_t i, int64_t dflt) {
    return a.empty() ? dflt : a[i];
  };
  if (sp == 1)
    w = {1, x[2], 1, y[2], 1, k[0], 1, s[0], 1, at(dil, 0, 1), 0, pads[0]};
  else
    w = {x[2],  x[3],  y[2],          y[3],          k[0],     k[1],
         s[0],  s[1],  at(dil, 0, 1), at(dil, 1, 1), pads[0], pads[1]};
  return true;
}

/// Int8 input check, output shape and window of a pooling op.
bool poolGeometry(const Tensor &x, ArrayRef<int64_t> kernel,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                  ArrayRef<int64_t> dilations, bool ceilMode,
                  shp::Shape &shape, Window2D &w, ExecContext &ctx) {
  if (!expect(x, ElemType::I8, ctx, "int8"))
    return false;
  shp::ShapeResult r =
      shp::pool(x.shape(), kernel, strides, pads, dilations, ceilMode);
  if (!r.ok) {
    fail(ctx, r.error);
    return false;
  }
  shape = r.shape;
  return window(x.shape(), shape, kernel, strides, pads, dilations, w, ctx);
}

/// Output-channel requantization and clamp (rk::requantClamp per channel).
struct Requant {
  std::vector<int> shift;
  std::vector<int8_t> lo, hi;
  template <typename OpT>
  Requant(OpT op, ArrayRef<int32_t> accFrac) {
    qnn::FmapAttr out = fmapOf(op.getOutput());
    for (size_t o = 0; o < accFrac.size(); ++o) {
      shift.push_back(accFrac[o] - out.at(o));
      lo.push_back(num::sat8(op.actMin(o)));
      hi.push_back(num::sat8(op.actMax(o)));
    }
  }
  int8_t operator()(int64_t acc, int64_t o) const {
    return rk::requantClamp(acc, shift[o], lo[o], hi[o]);
  }
  /// dst[i] = (*this)(acc[i], o) for i < count.
  void row(const int32_t *acc, int64_t count, int64_t o, int8_t *dst) const {
    rk::requantRow(acc, count, shift[o], lo[o], hi[o], dst);
  }
};

DLP_QKERNEL int64_t dot(const int32_t *a, const int32_t *b, int64_t n) {
  int32_t s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += a[i] * b[i];
  return s;
}
} // namespace

//===----------------------------------------------------------------------===//
// Prepared term tables
//===----------------------------------------------------------------------===//

std::shared_ptr<const PreparedTerms>
eval::prepareOp(mlir::Operation *op, const Tensor &weight, bool int16Gemm) {
  mlir::Value input, wv;
  int64_t group = 1;
  if (auto c = llvm::dyn_cast<qnn::ConvOp>(op)) {
    input = c.getInput();
    wv = c.getWeight();
    group = c.getGroup();
  } else if (auto f = llvm::dyn_cast<qnn::FullyConnectedOp>(op)) {
    input = f.getInput();
    wv = f.getWeight();
  } else {
    return nullptr;
  }
  auto wt = llvm::cast<mlir::RankedTensorType>(wv.getType());
  mlir::Attribute wenc = wt.getEncoding();
  qnn::FmapAttr in = fmapOf(input);
  int64_t numOut = wt.getDimSize(0), inPerGroup = wt.getDimSize(1);
  int64_t row = weight.numElements() / numOut;
  int64_t taps = row / inPerGroup;
  llvm::SmallVector<int32_t> acc =
      qnn::accumulatorFracs(in, wenc, numOut, inPerGroup, group);
  Tensor t = Tensor::alloc({numOut, row}, ElemType::I32);
  int32_t *dst = t.mutableAs<int32_t>();
  const int8_t *src = weight.as<int8_t>();
  auto pow2 = llvm::dyn_cast<qnn::Pow2Attr>(wenc);
  auto int8 = llvm::dyn_cast<qnn::Int8WAttr>(wenc);
  int64_t outPerGroup = numOut / group;
  for (int64_t o = 0; o < numOut; ++o) {
    int64_t g = o / outPerGroup;
    for (int64_t i = 0; i < inPerGroup; ++i) {
      int fIn = in.at(g * inPerGroup + i);
      for (int64_t k = 0; k < taps; ++k) {
        int64_t idx = o * row + i * taps + k;
        int64_t m =
            pow2 ? num::pow2Term(static_cast<uint8_t>(src[idx]), pow2.at(o),
                                 fIn, acc[o])
                 : num::int8Term(src[idx], int8.at(o), fIn, acc[o]);
        dst[idx] = static_cast<int32_t>(m); // |m| <= 2^31 - 1 by the proof
      }
    }
  }
  auto prepared = std::make_shared<PreparedTerms>();
  // The int16 GEMM computes kMR output channels of a group at a time: worth
  // it from half a tile on.
  if (int16Gemm && outPerGroup >= igemm::kMR / 2) {
    prepared->packed.resize(group);
    for (int64_t g = 0; g < group; ++g)
      if (!prepared->packed[g].pack(dst + g * outPerGroup * row, outPerGroup,
                                    row, row)) {
        prepared->packed.clear();
        break;
      }
  }
  // Only the direct kernels read the int32 table.
  if (prepared->packed.empty())
    prepared->terms = t;
  return prepared;
}

static std::shared_ptr<const PreparedTerms>
termsFor(mlir::Operation *op, const Tensor &weight, ExecContext &ctx) {
  if (ctx.prepared)
    if (auto it = ctx.prepared->find(op); it != ctx.prepared->end())
      return it->second;
  return prepareOp(op, weight);
}

static std::vector<int32_t> biasOf(int64_t numOut, ArrayRef<Tensor> in) {
  std::vector<int32_t> bias(numOut, 0);
  if (in.size() > 2 && !in[2].isNull())
    std::copy_n(in[2].as<int32_t>(), numOut, bias.begin());
  return bias;
}

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

Tensor eval::asFloat(mlir::Value v, const Tensor &t) {
  if (t.elemType() == ElemType::F32)
    return t;
  Tensor y = Tensor::alloc(t.shape());
  float *dst = y.mutableData();
  if (t.elemType() == ElemType::I32) {
    const int32_t *src = t.as<int32_t>();
    for (int64_t i = 0; i < t.numElements(); ++i)
      dst[i] = static_cast<float>(src[i]);
    return y;
  }
  qnn::FmapAttr f = fmapOf(v);
  const int8_t *src = t.as<int8_t>();
  ExecContext serial;
  perChannel(t, serial, [&](int64_t c, int64_t b, int64_t e) {
    int fc = f ? f.at(c) : 0;
    for (int64_t i = b; i < e; ++i)
      dst[i] = static_cast<float>(num::dequantize(src[i], fc));
  });
  return y;
}

Tensor kernels::qQuantize(qnn::QuantizeOp op, const Tensor &x,
                          ExecContext &ctx) {
  if (!expect(x, ElemType::F32, ctx, "f32"))
    return Tensor();
  qnn::FmapAttr f = fmapOf(op.getOutput());
  Tensor y = Tensor::alloc(x.shape(), ElemType::I8);
  const float *src = x.data();
  int8_t *dst = y.mutableAs<int8_t>();
  perChannel(x, ctx, [&](int64_t c, int64_t b, int64_t e) {
    rk::quantizeRow(src + b, e - b, f.at(c), dst + b);
  });
  return y;
}

Tensor kernels::qDequantize(qnn::DequantizeOp op, const Tensor &x,
                            ExecContext &ctx) {
  if (!expect(x, ElemType::I8, ctx, "int8"))
    return Tensor();
  return asFloat(op.getInput(), x);
}

Tensor kernels::qRequantize(qnn::RequantizeOp op, const Tensor &x,
                            ExecContext &ctx) {
  if (!expect(x, ElemType::I8, ctx, "int8"))
    return Tensor();
  qnn::FmapAttr fi = fmapOf(op.getInput()), fo = fmapOf(op.getOutput());
  Tensor y = Tensor::alloc(x.shape(), ElemType::I8);
  const int8_t *src = x.as<int8_t>();
  int8_t *dst = y.mutableAs<int8_t>();
  perChannel(x, ctx, [&](int64_t c, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      dst[i] = num::requantize(src[i], fi.at(c), fo.at(c));
  });
  return y;
}

//===----------------------------------------------------------------------===//
// Conv and fully-connected
//===----------------------------------------------------------------------===//

Tensor kernels::qConv(qnn::ConvOp op, ArrayRef<Tensor> in, ExecContext &ctx) {
  const Tensor &x = in[0];
  if (!expect(x, ElemType::I8, ctx, "int8"))
    return Tensor();
  auto wt = op.getWeight().getType();
  shp::ShapeResult r = shp::conv(x.shape(), wt.getShape(), op.getStrides(),
                                 op.getPads(), op.getDilations(),
                                 op.getGroup());
  if (!r.ok)
    return fail(ctx, r.error);
  Window2D w;
  if (!window(x.shape(), r.shape, wt.getShape().drop_front(2),
              op.getStrides(), op.getPads(), op.getDilations(), w, ctx))
    return Tensor();
  std::shared_ptr<const PreparedTerms> prep = termsFor(op, in[1], ctx);
  int64_t N = x.dim(0), C = x.dim(1), O = wt.getDimSize(0);
  int64_t G = op.getGroup(), inPerGroup = C / G, outPerGroup = O / G;
  int64_t P = w.oh * w.ow, K = inPerGroup * w.kh * w.kw;
  std::vector<int32_t> bias = biasOf(O, in);
  llvm::SmallVector<int32_t> accFrac = qnn::accumulatorFracs(
      fmapOf(op.getInput()), wt.getEncoding(), O, inPerGroup, G);
  Requant rq(op, accFrac);
  Tensor y = Tensor::alloc(r.shape, ElemType::I8);
  const int8_t *xs = x.as<int8_t>();
  int8_t *ys = y.mutableAs<int8_t>();
  // Batches of at least two images per thread run one image per thread;
  // otherwise each image's layers use all threads.
  bool perImage = N >= 2 * ctx.numThreads;
  auto groupInput = [&](int64_t n, int64_t g) {
    return xs + (n * C + g * inPerGroup) * w.ih * w.iw;
  };

  if (!prep->packed.empty()) {
    // int16 GEMM: C (outPerGroup x P) = terms x im2col, packed in pairs.
    igemm::BLayout layout(K, P);
    // A 1 x 1 conv with unit strides and no padding reads the input planes
    // as they are.
    bool noIm2col = w.kh == 1 && w.kw == 1 && w.sh == 1 && w.sw == 1 &&
                    w.oh == w.ih && w.ow == w.iw && w.pt == 0 && w.pl == 0;
    auto image = [&](int64_t n, int64_t threads, std::vector<int8_t> &rows,
                     std::vector<int16_t> &col) {
      col.resize(layout.size());
      if (!noIm2col)
        rows.resize(K * P);
      for (int64_t g = 0; g < G; ++g) {
        const igemm::PackedA &a = prep->packed[g];
        const int8_t *b = noIm2col ? groupInput(n, g) : rows.data();
        if (!noIm2col) {
          if (threads > 1)
            parallelFor(ctx, inPerGroup, [&](int64_t i0, int64_t i1) {
              rk::im2col(groupInput(n, g), w, i0, i1, rows.data());
            });
          else
            rk::im2col(groupInput(n, g), w, 0, inPerGroup, rows.data());
        }
        if (threads > 1)
          parallelFor(ctx, layout.panels(), [&](int64_t q0, int64_t q1) {
            igemm::packB(b, P, layout, a, col.data(), q0, q1);
          });
        else
          igemm::packB(b, P, layout, a, col.data(), 0, layout.panels());
        igemm::gemm(
            a, col.data(), layout, bias.data() + g * outPerGroup,
            [&](int64_t i0, int64_t rows, int64_t j0, int64_t cols,
                const int32_t *c, int64_t ldc) {
              for (int64_t rr = 0; rr < rows; ++rr) {
                int64_t o = g * outPerGroup + i0 + rr;
                rq.row(c + rr * ldc, cols, o, ys + (n * O + o) * P + j0);
              }
            },
            threads);
      }
    };
    if (perImage) {
      parallelFor(ctx, N, [&](int64_t b, int64_t e) {
        std::vector<int8_t> rows;
        std::vector<int16_t> col;
        for (int64_t n = b; n < e; ++n)
          image(n, 1, rows, col);
      });
    } else {
      std::vector<int8_t> rows;
      std::vector<int16_t> col;
      for (int64_t n = 0; n < N; ++n)
        image(n, ctx.numThreads, rows, col);
    }
    return y;
  }

  // Direct int32 path (depthwise and other narrow groups, terms beyond
  // int16): one output channel at a time, each tap adding a multiple of a
  // shifted input row to a row of accumulators.
  const int32_t *W = prep->terms.as<int32_t>();
  parallelFor(ctx, N * O, [&](int64_t b, int64_t e) {
    std::vector<int32_t> acc(P);
    for (int64_t no = b; no < e; ++no) {
      int64_t n = no / O, o = no % O;
      rk::directConvChannel(groupInput(n, o / outPerGroup), w.ih * w.iw,
                            inPerGroup, w, W + o * K, bias[o], acc.data());
      rq.row(acc.data(), P, o, ys + no * P);
    }
  });
  return y;
}

Tensor kernels::qFullyConnected(qnn::FullyConnectedOp op, ArrayRef<Tensor> in,
                                ExecContext &ctx) {
  const Tensor &x = in[0];
  if (!expect(x, ElemType::I8, ctx, "int8"))
    return Tensor();
  auto wt = op.getWeight().getType();
  int64_t N = x.dim(0), K = x.dim(1), O = wt.getDimSize(0);
  if (K != wt.getDimSize(1))
    return fail(ctx, "input has " + std::to_string(K) + " features, weight " +
                         std::to_string(wt.getDimSize(1)));
  std::shared_ptr<const PreparedTerms> prep = termsFor(op, in[1], ctx);
  std::vector<int32_t> bias = biasOf(O, in);
  llvm::SmallVector<int32_t> accFrac = qnn::accumulatorFracs(
      fmapOf(op.getInput()), wt.getEncoding(), O, K, 1);
  Requant rq(op, accFrac);
  Tensor y = Tensor::alloc({N, O}, ElemType::I8);
  const int8_t *xs = x.as<int8_t>();
  int8_t *ys = y.mutableAs<int8_t>();

  if (!prep->packed.empty()) {
    // int16 GEMM: C^T (O x N) = terms x X^T.
    igemm::BLayout layout(K, N);
    const igemm::PackedA &a = prep->packed[0];
    std::vector<int16_t> xt(layout.size(), 0);
    parallelFor(ctx, N, [&](int64_t b, int64_t e) {
      for (int64_t n = b; n < e; ++n)
        for (int64_t k = 0; k < K; ++k)
          xt[layout.index(k, n)] = int16_t(xs[n * K + k] * (1 << a.columnShift(k)));
    });
    igemm::gemm(
        a, xt.data(), layout, bias.data(),
        [&](int64_t i0, int64_t rows, int64_t j0, int64_t cols,
            const int32_t *c, int64_t ldc) {
          for (int64_t rr = 0; rr < rows; ++rr)
            for (int64_t q = 0; q < cols; ++q)
              ys[(j0 + q) * O + i0 + rr] = rq(c[rr * ldc + q], i0 + rr);
        },
        ctx.numThreads);
    return y;
  }

  const int32_t *W = prep->terms.as<int32_t>();
  auto rowsOf = [&](int64_t n, int64_t ob, int64_t oe,
                    std::vector<int32_t> &xr) {
    xr.assign(xs + n * K, xs + (n + 1) * K);
    for (int64_t o = ob; o < oe; ++o)
      ys[n * O + o] = rq(int64_t(bias[o]) + dot(W + o * K, xr.data(), K), o);
  };
  if (N >= 2 * ctx.numThreads) {
    parallelFor(ctx, N, [&](int64_t b, int64_t e) {
      std::vector<int32_t> xr;
      for (int64_t n = b; n < e; ++n)
        rowsOf(n, 0, O, xr);
    });
  } else {
    for (int64_t n = 0; n < N; ++n)
      parallelFor(ctx, O, [&](int64_t b, int64_t e) {
        std::vector<int32_t> xr;
        rowsOf(n, b, e, xr);
      });
  }
  return y;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

Tensor kernels::qMaxPool(qnn::MaxPoolOp op, const Tensor &x,
                         ExecContext &ctx) {
  shp::Shape shape;
  Window2D w;
  if (!poolGeometry(x, op.getKernelShape(), op.getStrides(), op.getPads(),
                    op.getDilations(), op.getCeilMode(), shape, w, ctx))
    return Tensor();
  Tensor y = Tensor::alloc(shape, ElemType::I8);
  const int8_t *xs = x.as<int8_t>();
  int8_t *ys = y.mutableAs<int8_t>();
  parallelFor(ctx, x.dim(0) * x.dim(1), [&](int64_t b, int64_t e) {
    std::vector<int8_t> rowMax(w.iw);
    for (int64_t nc = b; nc < e; ++nc)
      rk::maxPoolPlane(xs + nc * w.ih * w.iw, 1, w, rowMax.data(),
                       ys + nc * w.oh * w.ow);
  });
  return y;
}

Tensor kernels::qAvgPool(qnn::AvgPoolOp op, const Tensor &x,
                         ExecContext &ctx) {
  shp::Shape shape;
  Window2D w;
  if (!poolGeometry(x, op.getKernelShape(), op.getStrides(), op.getPads(), {},
                    op.getCeilMode(), shape, w, ctx))
    return Tensor();
  size_t sp = x.rank() - 2;
  int64_t pb = sp == 1 ? 0 : op.getPads()[2], pr = op.getPads()[2 * sp - 1];
  bool includePad = op.getCountIncludePad();
  Tensor y = Tensor::alloc(shape, ElemType::I8);
  const int8_t *xs = x.as<int8_t>();
  int8_t *ys = y.mutableAs<int8_t>();
  parallelFor(ctx, x.dim(0) * x.dim(1), [&](int64_t b, int64_t e) {
    for (int64_t nc = b; nc < e; ++nc)
      rk::avgPoolPlane(xs + nc * w.ih * w.iw, 1, w, includePad, pb, pr,
                       ys + nc * w.oh * w.ow);
  });
  return y;
}

Tensor kernels::qGlobalAvgPool(const Tensor &x, ExecContext &ctx) {
  if (!expect(x, ElemType::I8, ctx, "int8"))
    return Tensor();
  shp::ShapeResult r = shp::globalPool(x.shape());
  if (!r.ok)
    return fail(ctx, r.error);
  int64_t inner = channels(x).inner;
  Tensor y = Tensor::alloc(r.shape, ElemType::I8);
  const int8_t *xs = x.as<int8_t>();
  int8_t *ys = y.mutableAs<int8_t>();
  // An average pool whose window is the whole (flattened) plane.
  Window2D w{1, inner, 1, 1, 1, inner, 1, 1, 1, 1, 0, 0};
  perChannel(x, ctx, [&](int64_t, int64_t b, int64_t) {
    rk::avgPoolPlane(xs + b, 1, w, false, 0, 0, ys + b / inner);
  });
  return y;
}

//===----------------------------------------------------------------------===//
// Element-wise and data movement
//===----------------------------------------------------------------------===//

Tensor kernels::qAdd(qnn::AddOp op, const Tensor &a, const Tensor &b,
                     ExecContext &ctx) {
  if (!expect(a, ElemType::I8, ctx, "int8") ||
      !expect(b, ElemType::I8, ctx, "int8"))
    return Tensor();
  if (a.shape() != b.shape())
    return fail(ctx, "operand shapes " + shp::toString(a.shape()) + " and " +
                         shp::toString(b.shape()) + " differ");
  qnn::FmapAttr fa = fmapOf(op.getLhs()), fb = fmapOf(op.getRhs()),
                fo = fmapOf(op.getOutput());
  Tensor y = Tensor::alloc(a.shape(), ElemType::I8);
  const int8_t *as = a.as<int8_t>(), *bs = b.as<int8_t>();
  int8_t *ys = y.mutableAs<int8_t>();
  perChannel(a, ctx, [&](int64_t c, int64_t bg, int64_t e) {
    int f = std::max(fa.at(c), fb.at(c));
    int8_t alignA = int8_t(f - fa.at(c)), alignB = int8_t(f - fb.at(c));
    int8_t shift = int8_t(std::clamp(f - fo.at(c), -128, 127));
    int8_t lo = num::sat8(op.actMin(c)), hi = num::sat8(op.actMax(c));
    rk::addRequant(as + bg, bs + bg, e - bg, 1, &alignA, &alignB, &shift, &lo,
                   &hi, ys + bg);
  });
  return y;
}

Tensor kernels::qClamp(qnn::ClampOp op, const Tensor &x, ExecContext &ctx) {
  if (!expect(x, ElemType::I8, ctx, "int8"))
    return Tensor();
  Tensor y = Tensor::alloc(x.shape(), ElemType::I8);
  const int8_t *xs = x.as<int8_t>();
  int8_t *ys = y.mutableAs<int8_t>();
  perChannel(x, ctx, [&](int64_t c, int64_t b, int64_t e) {
    int lo = op.actMin(c), hi = op.actMax(c);
    for (int64_t i = b; i < e; ++i)
      ys[i] = static_cast<int8_t>(std::clamp<int>(xs[i], lo, hi));
  });
  return y;
}

Tensor kernels::qTable(qnn::TableOp op, const Tensor &x, ExecContext &ctx) {
  if (!expect(x, ElemType::I8, ctx, "int8"))
    return Tensor();
  Tensor y = Tensor::alloc(x.shape(), ElemType::I8);
  int64_t block =
      qnn::encodingOf<qnn::FmapAttr>(op.getInput().getType()).getBlock();
  const int8_t *tables = op.getTable().data();
  const int8_t *xs = x.as<int8_t>();
  int8_t *ys = y.mutableAs<int8_t>();
  perChannel(x, ctx, [&](int64_t c, int64_t b, int64_t e) {
    rk::applyTable(tables + (c / block) * rk::kTableEntries, xs + b, ys + b,
                   e - b);
  });
  return y;
}

Tensor kernels::qChannelMul(qnn::ChannelMulOp op, const Tensor &x,
                            const Tensor &g, ExecContext &ctx) {
  if (!expect(x, ElemType::I8, ctx, "int8") ||
      !expect(g, ElemType::I8, ctx, "int8"))
    return Tensor();
  ChannelView v = channels(x), gv = channels(g);
  if (x.rank() != 4 || g.rank() != 4 || gv.c != v.c || gv.inner != 1 ||
      (gv.n != v.n && gv.n != 1))
    return fail(ctx, "gate shape " + shp::toString(g.shape()) +
                         " does not scale the channels of " +
                         shp::toString(x.shape()));
  qnn::FmapAttr fx = fmapOf(op.getInput()), fg = fmapOf(op.getGate()),
                fy = fmapOf(op.getOutput());
  Tensor y = Tensor::alloc(x.shape(), ElemType::I8);
  const int8_t *xs = x.as<int8_t>(), *gs = g.as<int8_t>();
  int8_t *ys = y.mutableAs<int8_t>();
  perChannel(x, ctx, [&](int64_t c, int64_t b, int64_t e) {
    int64_t n = b / (v.c * v.inner);
    int8_t gate = gs[(gv.n == 1 ? 0 : n) * v.c + c];
    rk::channelMul(xs + b, gate,
                   rk::channelMulShift(fx.at(c), fg.at(c), fy.at(c)), ys + b,
                   e - b);
  });
  return y;
}

Tensor kernels::qConcat(int64_t axis, ArrayRef<Tensor> in, ExecContext &ctx) {
  llvm::SmallVector<ArrayRef<int64_t>> shapes;
  for (const Tensor &t : in) {
    if (!expect(t, ElemType::I8, ctx, "int8"))
      return Tensor();
    shapes.push_back(t.shape());
  }
  shp::ShapeResult r = shp::concat(shapes, axis);
  if (!r.ok)
    return fail(ctx, r.error);
  Tensor y = Tensor::alloc(r.shape, ElemType::I8);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= r.shape[d];
  int64_t rowOut = y.numElements() / std::max<int64_t>(outer, 1);
  int8_t *ys = y.mutableAs<int8_t>();
  int64_t off = 0;
  for (const Tensor &t : in) {
    int64_t row = t.numElements() / std::max<int64_t>(outer, 1);
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(ys + o * rowOut + off, t.as<int8_t>() + o * row, row);
    off += row;
  }
  return y;
}

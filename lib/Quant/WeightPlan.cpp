//===- WeightPlan.cpp - Data-driven weight quantization -------------------===//
//
// One walk over the function's ops with two sets of values: the float
// model's and the quantized-so-far model's (op by op with the float
// evaluator's kernels, all samples as one batch). At a conv /
// fully-connected layer the quantized path's input gives the Hessian, the
// layer is rounded, and the difference of the two paths' outputs gives the
// bias correction; the quantized path continues with the planned layer.
// Feature maps on the quantized path are rounded to the int8 grid of their
// calibrated scales where --dlp-quantize makes them int8.
//
//===----------------------------------------------------------------------===//

#include "dlp/Quant/WeightPlan.h"
#include "dlp/Quant/ActivationTable.h"
#include "NN/NNOps.h"
#include "dlp/Evaluator/Evaluator.h"
#include "dlp/Support/Constants.h"
#include "dlprt/Npy.h"
#include "dlprt/Numerics.h"
#include "dlprt/kernels/FloatConv.h"
#include "dlprt/kernels/FloatGemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace dlp;
using namespace dlp::quant;
namespace num = dlprt::num;
namespace kernels = dlprt::kernels;

namespace {

/// Rounds `t` (N x C x ...) to the int8 grid of per-channel fractional bits
/// `fracs` (docs/numerics.md section 1), into a new tensor.
eval::Tensor fakeQuantize(const eval::Tensor &t, llvm::ArrayRef<int> fracs) {
  eval::Tensor out = eval::Tensor::alloc(t.shape());
  int64_t n = t.rank() ? t.dim(0) : 1;
  int64_t c = t.rank() > 1 ? t.dim(1) : 1;
  int64_t inner = n * c != 0 ? t.numElements() / (n * c) : 0;
  const float *src = t.data();
  float *dst = out.mutableData();
  for (int64_t i = 0; i < n * c; ++i) {
    // num::quantize / dequantize with the power of two formed once (the
    // scaling is exact either way).
    int f = fracs[i % c];
    double up = std::ldexp(1.0, f), down = std::ldexp(1.0, -f);
    for (int64_t k = i * inner; k < (i + 1) * inner; ++k) {
      double q = std::floor(double(src[k]) * up + 0.5);
      dst[k] = float(std::clamp(q, -128.0, 127.0) * down);
    }
  }
  return out;
}

/// A value on the samples: one tensor per chunk of samples (the model's
/// static batch, else all of them); a constant is one tensor for all.
using Chunks = llvm::SmallVector<eval::Tensor, 1>;
const eval::Tensor &chunk(const Chunks &c, size_t i) {
  return c.size() == 1 ? c[0] : c[i];
}

/// Per output channel (dimension 1) mean of a - b over the other axes.
std::vector<double> channelMeanDiff(const Chunks &a, const Chunks &b) {
  int64_t c = a[0].dim(1), count = 0;
  std::vector<double> sum(static_cast<size_t>(c), 0.0);
  for (size_t k = 0; k < a.size(); ++k) {
    const eval::Tensor &x = a[k], &y = b[k];
    int64_t n = x.dim(0), inner = n * c != 0 ? x.numElements() / (n * c) : 0;
    for (int64_t i = 0; i < n * c; ++i) {
      double s = 0;
      for (int64_t e = i * inner; e < (i + 1) * inner; ++e)
        s += double(x.data()[e]) - y.data()[e];
      sum[i % c] += s;
    }
    count += n * inner;
  }
  for (double &s : sum)
    s /= double(std::max<int64_t>(1, count));
  return sum;
}

/// The float weights of a planned precision.
eval::Tensor dequantizedWeights(const QuantizedWeights &q,
                                llvm::ArrayRef<int64_t> shape) {
  eval::Tensor t = eval::Tensor::alloc(shape);
  int64_t numOut = shape[0], row = numOut ? t.numElements() / numOut : 0;
  float *d = t.mutableData();
  for (int64_t o = 0; o < numOut; ++o) {
    num::Pow2Coder coder(q.scale[o]);
    double down = std::ldexp(1.0, -q.scale[o]);
    for (int64_t k = o * row; k < (o + 1) * row; ++k)
      d[k] = q.pow2 ? float(coder.value(uint8_t(q.q[k])))
                    : float(double(q.q[k]) * down);
  }
  return t;
}

class Planner {
public:
  Planner(func::FuncOp func, const CalibrationSamples &samples,
          const CalibrationTable &table, const WeightPlanOptions &opt,
          Int8Choice isInt8)
      : func(func), samples(samples), table(table), opt(opt), isInt8(isInt8) {
    ctx.numThreads = std::max(1u, opt.numThreads);
  }
  FailureOr<WeightPlan> run();

private:
  /// The calibrated grid of value `v` (empty: none).
  std::vector<int> gridOf(Value v) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || t.getRank() < 2 || t.isDynamicDim(1))
      return {};
    std::vector<int> f = table.fracBits(tensorName(v), opt.maxFracSpread);
    if (int64_t(f.size()) != t.getDimSize(1))
      return {};
    return f;
  }
  /// Sets the quantized path's value of `v`, on grid `f` (empty: none),
  /// rounded to it unless it is already there.
  void setQuant(Value v, Chunks t, const std::vector<int> &f,
                bool round = true) {
    grid[v] = f;
    if (!f.empty() && round)
      for (eval::Tensor &c : t)
        c = fakeQuantize(c, f);
    quantVals[v] = std::move(t);
  }
  LayerHessian hessian(Operation *op, const Chunks &x, const Chunks &y,
                       llvm::ArrayRef<int64_t> wShape);
  /// Whether --dlp-quantize makes `op`'s result an int8 map on its own
  /// calibrated grid: a residual add of two maps, an activation of a map
  /// (an int8 table), a product of two maps (a per-channel gate). Other ops
  /// (a layer norm's reductions, square roots, divisions, ...) stay float:
  /// rounding their values to a grid is not what the quantized model
  /// computes (and can divide zero by zero).
  bool onQuantizedGrid(Operation &op) {
    auto mapped = [&](Value v) { return !grid.lookup(v).empty(); };
    if (isa<nn::AddOp, nn::MulOp>(op))
      return llvm::all_of(op.getOperands(), mapped);
    return op.getNumOperands() == 1 && floatUnarySpec(&op) &&
           mapped(op.getOperand(0));
  }
  LogicalResult planMac(Operation *op, const FloatConstant &w,
                        const std::optional<FloatConstant> &b);
  /// Evaluates `op` chunk by chunk on `operands` (one Chunks per operand);
  /// emits the kernel's error.
  FailureOr<Chunks> evaluate(Operation *op, llvm::ArrayRef<Chunks> operands) {
    Chunks out;
    for (int64_t c = 0; c < numChunks; ++c) {
      SmallVector<eval::Tensor> in;
      for (const Chunks &o : operands)
        in.push_back(chunk(o, c));
      eval::Tensor t = eval::evaluateOp(op, in, ctx);
      if (t.isNull())
        return op->emitError()
               << "calibration for the weight rounding: " << ctx.error;
      out.push_back(t);
    }
    return out;
  }
  /// The operands' values on one path.
  SmallVector<Chunks> operands(Operation *op,
                               const DenseMap<Value, Chunks> &vals) {
    SmallVector<Chunks> in;
    for (Value v : op->getOperands())
      in.push_back(vals.lookup(v));
    return in;
  }

  func::FuncOp func;
  const CalibrationSamples &samples;
  const CalibrationTable &table;
  const WeightPlanOptions &opt;
  Int8Choice isInt8;
  eval::ExecContext ctx;
  int64_t numChunks = 1;
  DenseMap<Value, Chunks> floatVals, quantVals;
  DenseMap<Value, std::vector<int>> grid;
  WeightPlan plan;
};

/// A single-use ReLU / Clip after `v`'s producer, which --dlp-quantize
/// fuses (the pre-activation value is never int8).
bool feedsFusedActivation(Value v) {
  return v.hasOneUse() && isa<nn::ReluOp, nn::ClipOp>(*v.getUsers().begin());
}

LayerHessian Planner::hessian(Operation *op, const Chunks &xs, const Chunks &ys,
                              llvm::ArrayRef<int64_t> wShape) {
  const eval::Tensor &x0 = xs[0];
  int64_t n = 0;
  for (const eval::Tensor &x : xs)
    n += x.dim(0);
  int64_t threads = ctx.numThreads;
  // The diagonal blocks of group g's H += A^T A, for A = count rows of K
  // columns (row i, column j at a[i * ld + j]) or (colMajor) at a[j * ld + i].
  LayerHessian lh;
  std::vector<float> gram;
  auto addGram = [&](int64_t g, const float *a, int64_t count, int64_t ld,
                     bool colMajor) {
    for (auto [c, range] : llvm::enumerate(lh.chunks)) {
      int64_t c0 = range.first, n = range.second - c0;
      gram.resize(static_cast<size_t>(n * n));
      if (colMajor)
        kernels::sgemm(false, true, n, n, count, 1.0f, a + c0 * ld, ld,
                       a + c0 * ld, ld, 0.0f, gram.data(), n, threads);
      else
        kernels::sgemm(true, false, n, n, count, 1.0f, a + c0, ld, a + c0, ld,
                       0.0f, gram.data(), n, threads);
      std::vector<double> &h = lh.blocks[g * lh.chunks.size() + c];
      for (int64_t i = 0; i < n * n; ++i)
        h[i] += gram[i];
    }
  };
  if (auto conv = dyn_cast<nn::ConvOp>(op)) {
    int64_t group = conv.getGroup();
    int64_t cg = x0.dim(1) / group;
    llvm::SmallVector<int64_t> kernel(wShape.begin() + 2, wShape.end());
    kernels::FloatWindow win;
    kernels::makeFloatWindow(x0.shape(), kernel, conv.getStrides(),
                             conv.getPads(), conv.getDilations(), ys[0].shape(),
                             win);
    int64_t taps = win.taps(), P = win.outPlane(), K = cg * taps;
    lh = LayerHessian::zeros(group, K, taps, opt.gptq.maxColumns);
    int64_t stride =
        std::max<int64_t>(1, (n * P + opt.maxRows - 1) / opt.maxRows);
    std::vector<float> col(static_cast<size_t>(K * P)), pick;
    int64_t img = 0; // over all chunks
    for (const eval::Tensor &x : xs)
      for (int64_t i = 0; i < x.dim(0); ++i, ++img) {
        // Every stride-th row over (image, output position).
        int64_t first = (stride - (img * P) % stride) % stride;
        int64_t count = first < P ? (P - 1 - first) / stride + 1 : 0;
        if (!count)
          continue;
        for (int64_t g = 0; g < lh.group; ++g) {
          kernels::floatIm2col(x.data() +
                                   (i * x.dim(1) + g * cg) * win.inPlane(),
                               cg, win, col.data());
          const float *a = col.data();
          if (stride > 1) {
            pick.resize(static_cast<size_t>(K * count));
            for (int64_t r = 0; r < K; ++r)
              for (int64_t j = 0; j < count; ++j)
                pick[r * count + j] = col[r * P + first + j * stride];
            a = pick.data();
          }
          addGram(g, a, count, stride > 1 ? count : P, /*colMajor=*/true);
        }
        lh.rows += count;
      }
  } else {
    int64_t K = x0.numElements() / std::max<int64_t>(1, x0.dim(0));
    lh = LayerHessian::zeros(1, K, 1, opt.gptq.maxColumns);
    for (const eval::Tensor &x : xs)
      addGram(0, x.data(), x.dim(0), K, /*colMajor=*/false);
    lh.rows = n;
  }
  return lh;
}

LogicalResult Planner::planMac(Operation *op, const FloatConstant &w,
                               const std::optional<FloatConstant> &b) {
  std::string layer = eval::Evaluator::layerName(op);
  Value in = op->getOperand(0), out = op->getResult(0);
  Chunks xq = quantVals.lookup(in);
  // A float input is quantized on entry to the layer.
  if (grid.lookup(in).empty())
    if (std::vector<int> f = gridOf(in); !f.empty())
      for (eval::Tensor &c : xq)
        c = fakeQuantize(c, f);
  int64_t numOut = w.shape[0];
  SmallVector<Chunks> fin = operands(op, floatVals);
  FailureOr<Chunks> yf = evaluate(op, fin);
  if (failed(yf))
    return failure();
  bool int8 = isInt8(layer, w.data, numOut);
  QuantizedWeights qw =
      !int8 && opt.gptqRounding
          ? gptqPow2(w.data, numOut, hessian(op, xq, *yf, w.shape),
                     opt.perLayer, opt.gptq)
          : quantizeWeights(w.data, numOut, !int8, opt.perLayer);
  SmallVector<Chunks> qin = {xq, Chunks{dequantizedWeights(qw, w.shape)}};
  if (op->getNumOperands() > 2)
    qin.push_back(fin[2]);
  FailureOr<Chunks> yq = evaluate(op, qin);
  if (failed(yq))
    return failure();
  std::vector<double> corr = channelMeanDiff(*yf, *yq);
  PlannedLayer &pl = plan.layers[layer];
  pl.int8 = int8;
  pl.planned = {std::move(qw), std::vector<float>(static_cast<size_t>(numOut))};
  for (int64_t o = 0; o < numOut; ++o)
    pl.planned.bias[o] = float((b ? double(b->data[o]) : 0.0) + corr[o]);
  // The quantized path continues with the corrected layer.
  for (eval::Tensor &t : *yq) {
    int64_t c = t.dim(1), inner = t.numElements() / (t.dim(0) * c);
    float *d = t.mutableData();
    for (int64_t i = 0; i < t.numElements(); ++i)
      d[i] += float(corr[(i / inner) % c]);
  }
  floatVals[out] = *yf;
  setQuant(out, *yq,
           feedsFusedActivation(out) ? std::vector<int>() : gridOf(out));
  return success();
}

FailureOr<WeightPlan> Planner::run() {
  Block &body = func.getBody().front();
  if (samples.inputs.size() != body.getNumArguments())
    return func.emitError()
           << "the weight rounding's calibration samples "
              "hold "
           << samples.inputs.size() << " array(s) for a function with "
           << body.getNumArguments() << " argument(s)";
  for (auto [arg, t] : llvm::zip(body.getArguments(), samples.inputs)) {
    auto type = cast<RankedTensorType>(arg.getType());
    bool fits = type.getRank() == t.rank() && type.getElementType().isF32();
    for (int64_t d = 1; fits && d < t.rank(); ++d)
      fits = type.isDynamicDim(d) || type.getDimSize(d) == t.dim(d);
    if (!fits) {
      std::string shape;
      for (int64_t d : t.shape())
        shape += (shape.empty() ? "" : "x") + std::to_string(d);
      return func.emitError()
             << "calibration samples for argument #" << arg.getArgNumber()
             << " have shape " << shape << ", the argument is " << type;
    }
    // Chunks of the argument's static batch (every argument's samples
    // split alike), else one.
    int64_t batch = type.isDynamicDim(0) ? t.dim(0) : type.getDimSize(0);
    if (batch < 1 || t.dim(0) % batch != 0)
      return func.emitError()
             << "the weight rounding needs a multiple of the "
                "model's batch ("
             << batch << ") of calibration samples, got " << t.dim(0);
    numChunks = t.dim(0) / batch;
    Chunks c;
    for (int64_t k = 0; k < numChunks; ++k)
      c.push_back(
          samples.slice(k * batch, (k + 1) * batch).inputs[arg.getArgNumber()]);
    floatVals[arg] = c;
    setQuant(arg, c, gridOf(arg));
  }
  // Last use of every value, to free the batch-sized tensors early.
  DenseMap<Value, Operation *> lastUser;
  for (Operation &op : body)
    for (Value v : op.getOperands())
      lastUser[v] = &op;
  for (Operation &op : body) {
    if (isa<func::ReturnOp>(op))
      break;
    if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
      std::optional<FloatConstant> c = readFloatConstant(cst.getResult());
      if (!c)
        return cst.emitError("the weight rounding needs f32 constants with "
                             "their data");
      Chunks t = {eval::constantTensor(std::move(*c))};
      floatVals[cst] = quantVals[cst] = t;
      continue;
    }
    if (op.getNumResults() != 1)
      return op.emitError("the weight rounding cannot evaluate this op");
    Value res = op.getResult(0);
    std::optional<FloatConstant> w, b;
    if (isa<nn::ConvOp, nn::FullyConnectedOp>(op)) {
      w = readFloatConstant(op.getOperand(1));
      if (op.getNumOperands() > 2)
        b = readFloatConstant(op.getOperand(2));
    }
    if (w && (op.getNumOperands() < 3 || b)) {
      if (failed(planMac(&op, *w, b)))
        return failure();
    } else {
      FailureOr<Chunks> yf = evaluate(&op, operands(&op, floatVals)),
                        yq = evaluate(&op, operands(&op, quantVals));
      if (failed(yf) || failed(yq))
        return failure();
      floatVals[res] = *yf;
      // Scale-keeping ops stay on their input's grid (average pools are
      // rounded back to it); everything else goes to its own calibrated
      // grid, except a pre-activation value.
      std::vector<int> in = op.getNumOperands() ? grid.lookup(op.getOperand(0))
                                                : std::vector<int>();
      if (isa<nn::FlattenOp, nn::ReshapeOp, nn::ConcatOp>(op))
        setQuant(res, *yq, {});
      else if (isa<nn::MaxPoolOp>(op) ||
               (isa<nn::ReluOp, nn::ClipOp>(op) && !in.empty()))
        setQuant(res, *yq, in, /*round=*/false);
      else if (isa<nn::AvgPoolOp, nn::GlobalAvgPoolOp>(op))
        setQuant(res, *yq, in);
      else if (onQuantizedGrid(op))
        setQuant(res, *yq,
                 feedsFusedActivation(res) ? std::vector<int>() : gridOf(res));
      else // kept in float by --dlp-quantize: not rounded
        setQuant(res, *yq, {});
    }
    for (Value v : op.getOperands())
      if (lastUser.lookup(v) == &op && !isa<BlockArgument>(v)) {
        floatVals.erase(v);
        quantVals.erase(v);
      }
  }
  return std::move(plan);
}
} // namespace

CalibrationSamples CalibrationSamples::slice(int64_t begin, int64_t end) const {
  CalibrationSamples s;
  s.count = end - begin;
  for (const eval::Tensor &t : inputs) {
    llvm::SmallVector<int64_t> shape(t.shape());
    int64_t inner = shape[0] ? t.numElements() / shape[0] : 0;
    shape[0] = end - begin;
    s.inputs.push_back(eval::Tensor::view(shape, t.data() + begin * inner,
                                          std::make_shared<eval::Tensor>(t)));
  }
  return s;
}

llvm::Expected<CalibrationSamples>
CalibrationSamples::readNpy(llvm::ArrayRef<std::string> paths) {
  CalibrationSamples s;
  for (const std::string &path : paths) {
    auto arr = std::make_shared<dlprt::NpyArray>();
    std::string err;
    if (!dlprt::readNpy(path, *arr, err))
      return llvm::createStringError(err);
    if (arr->shape.empty())
      return llvm::createStringError("calibration samples '" + path +
                                     "' are a scalar, not a batch");
    if (!s.inputs.empty() && arr->shape[0] != s.count)
      return llvm::createStringError(
          "calibration samples disagree on the sample count (" +
          std::to_string(s.count) + " vs " + std::to_string(arr->shape[0]) +
          " in '" + path + "')");
    s.count = arr->shape[0];
    s.inputs.push_back(eval::Tensor::view(arr->shape, arr->data.data(), arr));
  }
  return s;
}

int64_t dlp::quant::planSampleLimit(func::FuncOp func, int64_t budgetBytes) {
  int64_t largest = 1;
  func.walk([&](Operation *op) {
    if (isa<arith::ConstantOp>(op))
      return; // weights: held once, not per sample
    for (Value v : op->getResults()) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t || t.getRank() < 1)
        continue;
      int64_t n = 1;
      for (int64_t d = 1; d < t.getRank(); ++d)
        n *= t.isDynamicDim(d) ? 1 : t.getDimSize(d);
      largest = std::max(largest, n);
    }
  });
  return std::max<int64_t>(1, budgetBytes /
                                  (4 * largest * int64_t(sizeof(float))));
}

FailureOr<WeightPlan> dlp::quant::planWeights(func::FuncOp func,
                                              const CalibrationSamples &samples,
                                              const CalibrationTable &table,
                                              const WeightPlanOptions &options,
                                              Int8Choice isInt8) {
  if (!func.getBody().hasOneBlock())
    return func.emitError("the weight rounding needs a function with one "
                          "block");
  return Planner(func, samples, table, options, isInt8).run();
}

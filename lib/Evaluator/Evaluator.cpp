//===- Evaluator.cpp - Float reference evaluator of nn modules ------------===//

#include "dlp/Evaluator/Evaluator.h"
#include "Kernels.h"
#include "NN/NNShapes.h"
#include "dlp/Evaluator/Parallel.h"
#include "dlp/Support/Constants.h"
#include "dlp/Support/ModelBatch.h"
#include "dlprt/Runtime.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstring>

using namespace mlir;
using namespace dlp;
using namespace dlp::eval;
namespace shp = dlp::nn::shapes;

//===----------------------------------------------------------------------===//
// Helpers shared by the kernels
//===----------------------------------------------------------------------===//

Tensor kernels::fail(ExecContext &ctx, const std::string &msg) {
  if (ctx.error.empty())
    ctx.error = msg;
  return Tensor();
}

void kernels::parallelFor(ExecContext &ctx, int64_t n,
                          llvm::function_ref<void(int64_t, int64_t)> fn) {
  dlprt::kernels::parallelForRange(ctx.numThreads, n, fn);
}

static Tensor viewAs(const Tensor &x, const shp::ShapeResult &r,
                     ExecContext &ctx) {
  if (!r.ok)
    return kernels::fail(ctx, r.error);
  if (shp::numElements(r.shape) == shp::kDynamic)
    return kernels::fail(ctx, "result shape " + shp::toString(r.shape) +
                                  " is not fully determined");
  return x.reshaped(r.shape);
}

Tensor eval::evaluateOp(Operation *op, ArrayRef<Tensor> in, ExecContext &ctx) {
  using namespace kernels;
  return llvm::TypeSwitch<Operation *, Tensor>(op)
      .Case([&](nn::ConvOp o) { return conv(o, in, ctx); })
      .Case([&](nn::MaxPoolOp o) { return maxPool(o, in[0], ctx); })
      .Case([&](nn::AvgPoolOp o) { return avgPool(o, in[0], ctx); })
      .Case([&](nn::GlobalAvgPoolOp) { return globalAvgPool(in[0], ctx); })
      .Case([&](nn::BatchNormOp o) { return batchNorm(o, in, ctx); })
      .Case([&](nn::GemmOp o) { return gemm(o, in, ctx); })
      .Case([&](nn::MatMulOp) { return matmul(in[0], in[1], ctx); })
      .Case([&](nn::FullyConnectedOp) { return fullyConnected(in, ctx); })
      .Case([&](nn::SoftmaxOp o) {
        return softmax(static_cast<int64_t>(o.getAxis()), in[0], ctx);
      })
      .Case([&](nn::LRNOp o) { return lrn(o, in[0], ctx); })
      .Case([&](nn::ConcatOp o) {
        return concat(static_cast<int64_t>(o.getAxis()), in, ctx);
      })
      .Case([&](nn::FlattenOp o) {
        return viewAs(in[0],
                      shp::flatten(in[0].shape(),
                                   static_cast<int64_t>(o.getAxis())),
                      ctx);
      })
      .Case([&](nn::ReshapeOp o) {
        return viewAs(in[0],
                      shp::reshape(in[0].shape(), o.getShape(),
                                   o.getAllowzero()),
                      ctx);
      })
      .Case([&](nn::SqueezeOp o) {
        return viewAs(in[0], shp::squeeze(in[0].shape(), o.getAxes()), ctx);
      })
      .Case([&](nn::UnsqueezeOp o) {
        return viewAs(in[0], shp::unsqueeze(in[0].shape(), o.getAxes()), ctx);
      })
      .Case([&](nn::TransposeOp o) { return transpose(o.getPerm(), in[0], ctx); })
      .Case([&](nn::SliceOp o) { return slice(o, in[0], ctx); })
      .Case([&](nn::PadOp o) { return pad(o, in[0], ctx); })
      .Case([&](nn::ReduceMeanOp o) {
        return reduce(o.getAxes(), o.getKeepdims(), dlprt::kernels::FloatReduceOp::Mean,
                      in[0], ctx);
      })
      .Case([&](nn::ReduceSumOp o) {
        return reduce(o.getAxes(), o.getKeepdims(), dlprt::kernels::FloatReduceOp::Sum, in[0],
                      ctx);
      })
      .Case([&](nn::ReduceMaxOp o) {
        return reduce(o.getAxes(), o.getKeepdims(), dlprt::kernels::FloatReduceOp::Max, in[0],
                      ctx);
      })
      .Case([&](nn::ReduceMinOp o) {
        return reduce(o.getAxes(), o.getKeepdims(), dlprt::kernels::FloatReduceOp::Min, in[0],
                      ctx);
      })
      .Case([&](nn::WhereOp) { return where(in, ctx); })
      .Case([&](nn::ExpandOp o) { return expand(o.getShape(), in[0], ctx); })
      .Case([&](nn::ResizeOp o) { return resize(o, in[0], ctx); })
      .Case([&](nn::ConvTransposeOp o) { return convTranspose(o, in, ctx); })
      .Case([&](qnn::QuantizeOp o) { return qQuantize(o, in[0], ctx); })
      .Case([&](qnn::DequantizeOp o) { return qDequantize(o, in[0], ctx); })
      .Case([&](qnn::RequantizeOp o) { return qRequantize(o, in[0], ctx); })
      .Case([&](qnn::ConvOp o) { return qConv(o, in, ctx); })
      .Case([&](qnn::FullyConnectedOp o) {
        return qFullyConnected(o, in, ctx);
      })
      .Case([&](qnn::MaxPoolOp o) { return qMaxPool(o, in[0], ctx); })
      .Case([&](qnn::AvgPoolOp o) { return qAvgPool(o, in[0], ctx); })
      .Case([&](qnn::GlobalAvgPoolOp) { return qGlobalAvgPool(in[0], ctx); })
      .Case([&](qnn::AddOp o) { return qAdd(o, in[0], in[1], ctx); })
      .Case([&](qnn::ClampOp o) { return qClamp(o, in[0], ctx); })
      .Case([&](qnn::TableOp o) { return qTable(o, in[0], ctx); })
      .Case([&](qnn::ChannelMulOp o) {
        return qChannelMul(o, in[0], in[1], ctx);
      })
      .Case([&](qnn::ConcatOp o) {
        return qConcat(static_cast<int64_t>(o.getAxis()), in, ctx);
      })
      .Case([&](qnn::FlattenOp o) {
        return viewAs(in[0], shp::flatten(in[0].shape(), 1), ctx);
      })
      .Case<nn::AddOp, nn::SubOp, nn::MulOp, nn::DivOp, nn::MaxOp, nn::MinOp,
            nn::PowOp, nn::EqualOp, nn::LessOp, nn::LessEqualOp>(
          [&](Operation *o) { return binary(o, in[0], in[1], ctx); })
      .Default([&](Operation *o) -> Tensor {
        if (o->getNumOperands() == 1 && o->getNumResults() == 1 &&
            isa<nn::NNDialect>(o->getDialect()))
          return unary(o, in[0], ctx);
        return fail(ctx, "the evaluator does not support '" +
                             o->getName().getStringRef().str() + "'");
      });
}

Tensor eval::constantTensor(FloatConstant c) {
  // Moving the vector keeps its buffer, so `c.data` stays valid.
  auto keep = std::make_shared<std::vector<float>>(std::move(c.storage));
  return Tensor::view(c.shape, c.data.data(), keep);
}

//===----------------------------------------------------------------------===//
// Evaluator
//===----------------------------------------------------------------------===//

namespace {
struct Step {
  Operation *op;
  SmallVector<int> inputs; // slot per operand, -1 for an absent optional
  /// Operands whose value dies here (and is not used twice by this step):
  /// they are moved into the kernel, which may then reuse the buffer.
  SmallVector<bool> moveInput;
  int output;
  SmallVector<int> freeAfter; // slots whose last use is this step
};
} // namespace

struct Evaluator::Impl {
  func::FuncOp func;
  SmallVector<Step> steps;
  SmallVector<Tensor> constants; // slot -> tensor for constant slots
  SmallVector<bool> isConstant;
  SmallVector<int> outputSlots;
  /// Term tables of qnn conv / fully-connected ops, built once.
  llvm::DenseMap<Operation *, std::shared_ptr<const PreparedTerms>> prepared;
  unsigned numArgs = 0;
  int numSlots = 0;
  int64_t numThreads = 1;
  /// The function has qnn ops (ExecContext::imageByImage).
  bool quantized = false;
  /// The function is one image (runsAsOneImage: a static batch of 1, or a
  /// static batch and nothing quantized): its tensors' axis 0 is no batch
  /// axis to go image by image on.
  bool singleImage = false;
};

Evaluator::Evaluator() : impl(std::make_unique<Impl>()) {}
Evaluator::~Evaluator() = default;

unsigned Evaluator::numInputs() const { return impl->numArgs; }
unsigned Evaluator::numOutputs() const { return impl->outputSlots.size(); }

Evaluator::KernelCounts Evaluator::kernelCounts() const {
  KernelCounts counts;
  for (auto &entry : impl->prepared) {
    const std::vector<igemm::PackedA> &packed = entry.second->packed;
    if (packed.empty()) {
      ++counts.direct;
      continue;
    }
    ++counts.int16Gemm;
    if (llvm::any_of(packed, [](const igemm::PackedA &a) {
          return a.hasColumnShifts();
        }))
      ++counts.columnShifts;
  }
  return counts;
}

std::string Evaluator::layerName(Operation *op) {
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (isa<NameLoc>(l)) {
        loc = l;
        break;
      }
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  std::string s;
  llvm::raw_string_ostream os(s);
  os << op->getName().getStringRef() << "@";
  loc.print(os);
  return s;
}

std::unique_ptr<Evaluator> Evaluator::create(func::FuncOp func,
                                             unsigned numThreads,
                                             bool int16Gemm) {
  std::unique_ptr<Evaluator> ev(new Evaluator());
  Impl &im = *ev->impl;
  im.func = func;
  if (!func.getBody().hasOneBlock())
    return func.emitError("the evaluator needs a function with one block"),
           nullptr;
  llvm::DenseMap<Value, int> slotOf;
  Block &entry = func.getBody().front();
  auto newSlot = [&](Value v) {
    slotOf[v] = im.numSlots++;
    im.constants.emplace_back();
    im.isConstant.push_back(false);
    return im.numSlots - 1;
  };
  for (BlockArgument arg : entry.getArguments())
    newSlot(arg);
  im.numArgs = entry.getNumArguments();
  im.singleImage = runsAsOneImage(func);
  for (Operation &op : entry) {
    if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
      std::optional<FloatConstant> c = readFloatConstant(cst.getValue());
      if (!c)
        return cst.emitError("the evaluator needs f32 tensor constants with "
                             "their data (was the resource blob elided?)"),
               nullptr;
      int s = newSlot(cst.getResult());
      im.constants[s] = constantTensor(std::move(*c));
      im.isConstant[s] = true;
      continue;
    }
    if (auto cst = dyn_cast<qnn::ConstantOp>(op)) {
      Tensor t;
      if (auto c = readI8Constant(cst.getValue())) {
        auto keep = std::make_shared<std::vector<int8_t>>(std::move(c->storage));
        t = Tensor::view(c->shape, ElemType::I8, c->data.data(), keep);
      } else if (auto c = readI32Constant(cst.getValue())) {
        auto keep =
            std::make_shared<std::vector<int32_t>>(std::move(c->storage));
        t = Tensor::view(c->shape, ElemType::I32, c->data.data(), keep);
      } else {
        return cst.emitError("the evaluator needs the constant's data (was "
                             "the resource blob elided?)"),
               nullptr;
      }
      int s = newSlot(cst.getResult());
      im.constants[s] = t;
      im.isConstant[s] = true;
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        im.outputSlots.push_back(slotOf.lookup(v));
      continue;
    }
    if (!isa<nn::NNDialect, qnn::QNNDialect>(op.getDialect()) ||
        op.getNumResults() != 1)
      return op.emitError("the evaluator does not support this op"), nullptr;
    im.quantized |= isa<qnn::QNNDialect>(op.getDialect());
    Step step;
    step.op = &op;
    for (Value v : op.getOperands())
      step.inputs.push_back(slotOf.lookup(v));
    step.output = newSlot(op.getResult(0));
    if (isa<qnn::ConvOp, qnn::FullyConnectedOp>(op)) {
      int w = step.inputs[1];
      if (!im.isConstant[w])
        return op.emitError("the evaluator needs a constant weight"), nullptr;
      // The overflow proof (docs/numerics.md section 3) for every module,
      // not only the ones --dlp-quantize made.
      if (isa<qnn::QNNDialect>(op.getDialect())) {
        const Tensor &wt = im.constants[w];
        ArrayRef<int32_t> bias;
        if (step.inputs.size() > 2) {
          if (!im.isConstant[step.inputs[2]])
            return op.emitError("the evaluator needs a constant bias"), nullptr;
          const Tensor &b = im.constants[step.inputs[2]];
          bias = ArrayRef<int32_t>(b.as<int32_t>(), b.numElements());
        }
        std::string why = qnn::proveNoOverflow(
            &op, ArrayRef<int8_t>(wt.as<int8_t>(), wt.numElements()), bias);
        if (!why.empty())
          return op.emitError()
                     << "refused: its int32 accumulator could overflow ("
                     << why << ")",
                 nullptr;
      }
      im.prepared[&op] = prepareOp(&op, im.constants[w], int16Gemm);
    }
    im.steps.push_back(std::move(step));
  }
  // Free each intermediate after its last use.
  SmallVector<int> lastUse(im.numSlots, -1);
  for (auto [i, step] : llvm::enumerate(im.steps))
    for (int s : step.inputs)
      lastUse[s] = i;
  for (int s : im.outputSlots)
    lastUse[s] = INT32_MAX;
  for (int s = im.numArgs; s < im.numSlots; ++s)
    if (!im.isConstant[s] && lastUse[s] >= 0 && lastUse[s] != INT32_MAX)
      im.steps[lastUse[s]].freeAfter.push_back(s);
  for (Step &step : im.steps)
    for (int s : step.inputs)
      step.moveInput.push_back(llvm::is_contained(step.freeAfter, s) &&
                               llvm::count(step.inputs, s) == 1);
  im.numThreads = std::max(1u, numThreads);
  return ev;
}

bool Evaluator::run(ArrayRef<Tensor> inputs, SmallVectorImpl<Tensor> &outputs,
                    std::string &error, DumpFn dump) {
  Impl &im = *impl;
  if (inputs.size() != im.numArgs) {
    error = "expected " + std::to_string(im.numArgs) + " input(s), got " +
            std::to_string(inputs.size());
    return false;
  }
  // A single-image function given N images (axis 0 of every input N times
  // the declared one, the other axes as declared): N runs, as dlp-run
  // does; results along axis 0 (an output whose axis 0 is not 1: on a new
  // leading axis).
  int64_t images = 0;
  if (im.singleImage)
    for (unsigned i = 0; i < im.numArgs; ++i) {
      const Tensor &t = inputs[i];
      auto type = cast<RankedTensorType>(im.func.getArgument(i).getType());
      int64_t d0 = type.getRank() ? type.getDimSize(0) : 1;
      bool same = t.rank() == type.getRank() && t.rank() && d0 >= 1 &&
                  t.dim(0) % d0 == 0 &&
                  llvm::equal(t.shape().drop_front(),
                              type.getShape().drop_front());
      int64_t n = same ? t.dim(0) / d0 : -1;
      images = n > 0 && (!images || n == images) ? n : -1;
    }
  if (images > 1) {
    SmallVector<SmallVector<Tensor>> per(im.numArgs);
    for (int64_t n = 0; n < images; ++n) {
      SmallVector<Tensor> one, out;
      for (const Tensor &t : inputs) {
        SmallVector<int64_t> shape(t.shape());
        shape[0] /= images;
        size_t bytes = size_t(t.numElements() / images) * elemSize(t.elemType());
        one.push_back(Tensor::view(shape, t.elemType(),
                                   t.as<char>() + n * bytes));
      }
      if (!run(one, out, error, dump)) {
        error = "image " + std::to_string(n) + ": " + error;
        return false;
      }
      if (n == 0)
        per.assign(out.size(), {});
      for (size_t k = 0; k < out.size(); ++k)
        per[k].push_back(out[k]);
    }
    // A constant output (as dlprt::outputShape): once, as it is.
    Operation *ret = im.func.getBody().front().getTerminator();
    outputs.clear();
    for (auto [k, imgs] : llvm::enumerate(per)) {
      if (k < ret->getNumOperands() &&
          ret->getOperand(unsigned(k)).getDefiningOp<arith::ConstantOp>()) {
        outputs.push_back(imgs[0]);
        continue;
      }
      Tensor all = Tensor::alloc(dlprt::stackedShape(imgs[0].shape(), images),
                                 imgs[0].elemType());
      size_t bytes =
          size_t(imgs[0].numElements()) * elemSize(imgs[0].elemType());
      for (int64_t n = 0; n < images; ++n)
        std::memcpy(all.mutableAs<char>() + n * bytes,
                    imgs[size_t(n)].as<char>(), bytes);
      outputs.push_back(std::move(all));
    }
    return true;
  }
  SmallVector<Tensor> slots(im.constants.begin(), im.constants.end());
  for (unsigned i = 0; i < im.numArgs; ++i) {
    auto type = cast<RankedTensorType>(im.func.getArgument(i).getType());
    ElemType want = type.getElementType().isF32()  ? ElemType::F32
                    : type.getElementType().isInteger(8) ? ElemType::I8
                                                         : ElemType::I32;
    if (inputs[i].elemType() != want) {
      error = "input #" + std::to_string(i) + " has the wrong element type";
      return false;
    }
    bool ok = type.getRank() == inputs[i].rank();
    for (int64_t d = 0; ok && d < type.getRank(); ++d)
      ok = type.isDynamicDim(d) || type.getDimSize(d) == inputs[i].dim(d);
    if (!ok) {
      error = "input #" + std::to_string(i) + " has shape " +
              shp::toString(inputs[i].shape()) + ", expected " +
              shp::toString(type.getShape());
      return false;
    }
    slots[i] = inputs[i];
  }
  ExecContext ctx;
  ctx.numThreads = im.numThreads;
  ctx.prepared = &im.prepared;
  ctx.imageByImage = im.quantized && !im.singleImage;
  SmallVector<Tensor, 4> args;
  for (const Step &step : im.steps) {
    args.clear();
    for (auto [s, move] : llvm::zip(step.inputs, step.moveInput))
      args.push_back(move ? std::move(slots[s]) : slots[s]);
    Tensor out = evaluateOp(step.op, args, ctx);
    if (!ctx.error.empty()) {
      error = "layer '" + layerName(step.op) + "' (" +
              step.op->getName().getStringRef().str() + "): " + ctx.error;
      return false;
    }
    slots[step.output] = std::move(out);
    if (dump)
      dump(layerName(step.op), step.op, slots[step.output]);
    for (int s : step.freeAfter)
      slots[s] = Tensor();
  }
  outputs.clear();
  for (int s : im.outputSlots)
    outputs.push_back(slots[s]);
  return true;
}

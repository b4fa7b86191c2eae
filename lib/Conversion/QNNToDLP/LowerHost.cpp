//===- LowerHost.cpp - Float ops as host float segments -------------------===//
//
// Ops the quantizer leaves in float (between qnn.dequantize and
// qnn.quantize, or after the last dequantize) run on the host: each becomes
// a host segment (a HOST barrier) reading and writing float32 tensors in DDR
// region data with the runtime's float kernels (dlprt/kernels/Float.h, the
// float evaluator's own definitions). Reshapes of float tensors are views.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "NN/NNOps.h"
#include "dlp/Quant/ActivationTable.h"
#include "NN/NNShapes.h"
#include "dlp/Support/Constants.h"
#include "dlprt/kernels/Float.h"
#include "dlprt/kernels/FloatConv.h"
#include "dlprt/kernels/FloatLinalg.h"
#include "dlprt/kernels/FloatVision.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cstring>

using namespace mlir;
using namespace dlp;
using namespace dlp::conv;
namespace risa = dlprt::isa;
namespace rk = dlprt::kernels;

void Lowering::hostSegment(Location loc, dlprt::HostOpKind kind,
                           std::vector<uint32_t> in, uint32_t out,
                           std::vector<int64_t> params) {
  dlprt::HostSegment s;
  s.kind = kind;
  s.inputs = std::move(in);
  s.outputs = {out};
  s.params = std::move(params);
  host.push_back(std::move(s));
  em.barrier(risa::Opcode::Host, loc,
             {{"segment", int64_t(host.size() - 1)}});
}

namespace {
int64_t floatBits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}
int64_t doubleBits(double v) {
  int64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}
} // namespace

uint32_t Lowering::floatConstTensor(Location loc, Value v, bool firstSlice) {
  if (tensorIndex.count(v))
    return tensorOf(v);
  std::optional<FloatConstant> data = readFloatConstant(v);
  assert(data && "the caller checks that the constant reads");
  if (firstSlice) {
    data->data = data->data.take_front(data->data.size() /
                                       size_t(data->shape[0]));
    data->shape[0] = 1;
  }
  TensorRec r;
  r.name = layerName(v.getDefiningOp());
  r.isFloat = true;
  r.shape.assign(data->shape.begin(), data->shape.end());
  if (r.shape.empty())
    r.shape = {1};
  r.C = int64_t(data->data.size());
  r.H = r.W = 1;
  uint32_t t = newTensor(std::move(r));
  tensorIndex[v] = int(t);
  ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>(data->data.data()),
                          data->data.size() * sizeof(float));
  uint64_t off = addConst(bytes);
  hostSegment(loc, dlprt::HostOpKind::FloatConst, {}, t);
  host.back().constOffset = off;
  host.back().constBytes = bytes.size();
  return t;
}

LogicalResult Lowering::lowerHostFloat(Operation *op) {
  using K = dlprt::HostOpKind;
  Location loc = op->getLoc();
  auto isConst = [](Value v) {
    return v.getDefiningOp() &&
           v.getDefiningOp()->getName().getStringRef() == "arith.constant";
  };
  // Operands are tensors in DDR. A binary op with one float constant
  // operand keeps it in CONST, named by its params (constInParams); the
  // float operators take constant operands as FloatConst tensors, and so
  // do other ops (a quantize of a constant token, a binary op of two
  // constants: constTensors, made below).
  unsigned consts = llvm::count_if(op->getOperands(), isConst);
  bool nnOperator =
      isa<nn::ConvOp, nn::MaxPoolOp, nn::AvgPoolOp, nn::GlobalAvgPoolOp,
          nn::MatMulOp, nn::GemmOp, nn::FullyConnectedOp, nn::LRNOp,
          nn::BatchNormOp, nn::PadOp, nn::ConvTransposeOp, nn::WhereOp>(op);
  bool constInParams =
      consts == 1 && isa<nn::AddOp, nn::SubOp, nn::MulOp, nn::DivOp,
                         nn::MaxOp, nn::MinOp, nn::PowOp, nn::EqualOp,
                         nn::LessOp, nn::LessEqualOp>(op);
  // (A concat takes its constant operands itself: one over the batch is
  // its first slice.)
  bool constTensors =
      consts && !nnOperator && !constInParams && !isa<nn::ConcatOp>(op);
  auto unary = [&](rk::FloatUnaryOp u, float a = 0,
                   float b = 0) -> LogicalResult {
    uint32_t in = tensorOf(op->getOperand(0));
    hostSegment(loc, K::FloatUnary, {in}, tensorOf(op->getResult(0)),
                {int64_t(u), floatBits(a), floatBits(b)});
    return success();
  };
  auto binary = [&](rk::FloatBinaryOp b) -> LogicalResult {
    if (!constInParams) {
      uint32_t x = tensorOf(op->getOperand(0)),
               y = tensorOf(op->getOperand(1));
      hostSegment(loc, K::FloatBinary, {x, y}, tensorOf(op->getResult(0)),
                  {int64_t(b)});
      return success();
    }
    // One constant operand: its float32 data in CONST, its side and shape
    // in the params.
    int64_t side = isConst(op->getOperand(1)) ? 1 : 0;
    Value c = op->getOperand(side), other = op->getOperand(1 - side);
    std::optional<FloatConstant> data = readFloatConstant(c);
    if (!data)
      return error(op, "cannot read the float constant operand");
    std::vector<int64_t> params = {int64_t(b), side,
                                   int64_t(data->shape.size())};
    params.insert(params.end(), data->shape.begin(), data->shape.end());
    ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>(data->data.data()),
                            data->data.size() * sizeof(float));
    uint64_t off = addConst(bytes);
    uint32_t x = tensorOf(other);
    hostSegment(loc, K::FloatBinary, {x}, tensorOf(op->getResult(0)),
                std::move(params));
    host.back().constOffset = off;
    host.back().constBytes = bytes.size();
    return success();
  };
  auto view = [&]() -> LogicalResult {
    // Row-major float32: a reshape is the same bytes.
    TensorRec r = tensors[tensorOf(op->getOperand(0))];
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    auto inType = cast<RankedTensorType>(op->getOperand(0).getType());
    if (batchAxis(inType) && type.getRank() &&
        type.getDimSize(0) != inType.getDimSize(0) &&
        inType.getDimSize(0) != 1)
      return batchError(op, "a reshape across the batch axis");
    r.name = layerName(op);
    r.shape.assign(type.getShape().begin(), type.getShape().end());
    if (batchAxis(type))
      r.shape[0] = 1;
    if (r.shape.empty())
      r.shape = {1};
    tensors.push_back(std::move(r));
    return success();
  };
  // The program runs one image at a time, so every tensor's axis 0 is the
  // image. An operand whose axis 0 is the image in the op (the input of a
  // conv, the rows of a matrix product) must not be a constant with more
  // than one row on it; any other operand (weights, biases, parameters)
  // must be a constant (copied in whole) or have extent 1 on axis 0.
  auto perImage = [&](Value v) -> LogicalResult {
    auto t = cast<RankedTensorType>(v.getType());
    // (A constant of lower rank than the result broadcasts from the last
    // axes: it does not reach axis 0.)
    bool belowRank = op->getNumResults() == 1 &&
                     t.getRank() < cast<RankedTensorType>(op->getResult(0).getType()).getRank();
    if (isConst(v) && batchAxis(t) && !belowRank && t.getDimSize(0) != 1)
      return batchError(op, "a constant operand along the batch axis");
    return success();
  };
  auto whole = [&](Value v) -> LogicalResult {
    auto t = cast<RankedTensorType>(v.getType());
    if (!isConst(v) && batchAxis(t) && t.getDimSize(0) != 1)
      return batchError(op, "an operand that is not a constant and whose axis "
                            "0 is not the batch axis");
    return success();
  };
  // An operand's tensor; a constant gets its own float tensor.
  auto operand = [&](Value v) -> uint32_t {
    return isConst(v) ? floatConstTensor(loc, v) : uint32_t(tensorOf(v));
  };
  if (constTensors)
    for (Value v : op->getOperands())
      if (isConst(v)) {
        if (!readFloatConstant(v))
          return error(op, "cannot read a float constant operand");
        operand(v);
      }
  // A segment of `kind` over `ins` (checked with `roles`: true = per image)
  // into the op's result.
  auto nnSegment = [&](K kind, ArrayRef<Value> ins, ArrayRef<bool> roles,
                       std::vector<int64_t> params) -> LogicalResult {
    for (auto [v, img] : llvm::zip(ins, roles)) {
      if (isConst(v) && !readFloatConstant(v))
        return error(op, "cannot read a float constant operand");
      if (failed(img ? perImage(v) : whole(v)))
        return failure();
    }
    std::vector<uint32_t> t;
    for (Value v : ins)
      t.push_back(operand(v));
    hostSegment(loc, kind, std::move(t), tensorOf(op->getResult(0)),
                std::move(params));
    return success();
  };
  auto spatialRank = [&](Value x) -> std::optional<int64_t> {
    int64_t r = cast<RankedTensorType>(x.getType()).getRank();
    if (r < 3 || r > 5) {
      error(op, "a float window op over rank ") << r << " (1-3 spatial axes)";
      return std::nullopt;
    }
    return r - 2;
  };
  // Per spatial axis: (kernel,) stride, begin pad, end pad, dilation.
  auto windowParams = [](std::vector<int64_t> &params, int64_t sp,
                         ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                         ArrayRef<int64_t> pads, ArrayRef<int64_t> dil) {
    for (int64_t a = 0; a < sp; ++a) {
      if (!kernel.empty())
        params.push_back(kernel[a]);
      params.insert(params.end(), {strides[a], pads[a], pads[sp + a],
                                   dil.empty() ? 1 : dil[a]});
    }
  };
  auto pool = [&](rk::FloatPoolOp kind, Value x, ArrayRef<int64_t> kernel,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                  ArrayRef<int64_t> dil) -> LogicalResult {
    std::optional<int64_t> sp = spatialRank(x);
    if (!sp)
      return failure();
    std::vector<int64_t> params = {int64_t(kind)};
    if (kind != rk::FloatPoolOp::GlobalAvg)
      windowParams(params, *sp, kernel, strides, pads, dil);
    return nnSegment(K::FloatPool, {x}, {true}, std::move(params));
  };
  // FloatConv / FloatConvTranspose: group, then the window per spatial
  // axis (HostFloatWindowParam); inputs x, the weight, the optional bias.
  auto convLike = [&](K kind, auto c) -> LogicalResult {
    std::optional<int64_t> sp = spatialRank(c.getInput());
    if (!sp)
      return failure();
    std::vector<int64_t> params = {int64_t(c.getGroup())};
    windowParams(params, *sp, {}, c.getStrides(), c.getPads(),
                 c.getDilations());
    SmallVector<Value> ins = {c.getInput(), c.getWeight()};
    if (c.getBias())
      ins.push_back(c.getBias());
    return nnSegment(kind, ins, {true, false, false}, std::move(params));
  };
  auto dim0 = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getDimSize(0);
  };
  auto rankOf = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getRank();
  };
  if (std::optional<quant::FloatUnarySpec> u = quant::floatUnarySpec(op))
    return unary(u->op, u->a, u->b);
  // FloatReduce: mean or sum over the op's axes (normalized, ascending).
  auto reduce = [&](auto r, rk::FloatReduceOp kind) -> LogicalResult {
    Value x = r.getInput();
    int64_t rank = rankOf(x);
    std::vector<int64_t> axes;
    for (int64_t a : r.getAxes())
      axes.push_back(a < 0 ? a + rank : a);
    llvm::sort(axes);
    axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
    // Axis 0 is the image: reducing it is a no-op only when it has extent 1
    // and stays (dropped, the result's axis 0 would not be the image any
    // more).
    if (batchAxis(x.getType()) && !axes.empty() && axes[0] == 0 &&
        (dim0(x) != 1 || !r.getKeepdims()))
      return batchError(op, "a reduction over the batch axis");
    std::vector<int64_t> params = {int64_t(kind), r.getKeepdims() ? 1 : 0};
    params.insert(params.end(), axes.begin(), axes.end());
    return nnSegment(K::FloatReduce, {x}, {true}, std::move(params));
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](nn::ConvOp c) { return convLike(K::FloatConv, c); })
      .Case([&](nn::MaxPoolOp p) {
        return pool(rk::FloatPoolOp::Max, p.getInput(), p.getKernelShape(),
                    p.getStrides(), p.getPads(), p.getDilations());
      })
      .Case([&](nn::AvgPoolOp p) {
        return pool(p.getCountIncludePad() ? rk::FloatPoolOp::AvgCountPad
                                           : rk::FloatPoolOp::Avg,
                    p.getInput(), p.getKernelShape(), p.getStrides(),
                    p.getPads(), {});
      })
      .Case([&](nn::GlobalAvgPoolOp p) {
        return pool(rk::FloatPoolOp::GlobalAvg, p.getInput(), {}, {}, {}, {});
      })
      .Case([&](nn::LRNOp l) {
        return nnSegment(K::FloatLRN, {l.getInput()}, {true},
                         {int64_t(l.getSize()),
                          floatBits(l.getAlpha().convertToFloat()),
                          floatBits(l.getBeta().convertToFloat()),
                          floatBits(l.getBias().convertToFloat())});
      })
      .Case([&](nn::BatchNormOp bn) {
        return nnSegment(K::FloatBatchNorm,
                         {bn.getInput(), bn.getScale(), bn.getBias(),
                          bn.getMean(), bn.getVar()},
                         {true, false, false, false, false},
                         {floatBits(bn.getEpsilon().convertToFloat())});
      })
      .Case([&](nn::PadOp p) -> LogicalResult {
        ArrayRef<int64_t> pads = p.getPads();
        int64_t rank = pads.size() / 2;
        if (pads[0] || pads[rank])
          return batchError(op, "a pad of the batch axis");
        StringRef mode = p.getMode();
        auto m = mode == "constant" ? rk::FloatPadMode::Constant
                 : mode == "edge"   ? rk::FloatPadMode::Edge
                                    : rk::FloatPadMode::Reflect;
        std::vector<int64_t> params = {int64_t(m),
                                       floatBits(p.getValue().convertToFloat())};
        params.insert(params.end(), pads.begin(), pads.end());
        return nnSegment(K::FloatPad, {p.getInput()}, {true},
                         std::move(params));
      })
      .Case([&](nn::FullyConnectedOp fc) {
        SmallVector<Value> ins = {fc.getInput(), fc.getWeight()};
        if (fc.getBias())
          ins.push_back(fc.getBias());
        return nnSegment(K::FloatFullyConnected, ins, {true, false, false},
                         {});
      })
      .Case([&](nn::GemmOp g) -> LogicalResult {
        // Rows of A (and of a C with rows) are the images; a transposed A
        // has them on axis 1.
        if (batchAxis(g.getOutput().getType()) && g.getTransA() &&
            dim0(g.getOutput()) != 1)
          return batchError(
              op, "a gemm with a transposed A whose rows are the batch axis");
        SmallVector<Value> ins = {g.getA(), g.getB()};
        SmallVector<bool> roles = {!g.getTransA(), false};
        if (g.getC()) {
          ins.push_back(g.getC());
          roles.push_back(rankOf(g.getC()) == 2 && dim0(g.getC()) != 1);
        }
        return nnSegment(K::FloatGemm, ins, roles,
                         {g.getTransA() ? 1 : 0, g.getTransB() ? 1 : 0,
                          floatBits(g.getAlpha().convertToFloat()),
                          floatBits(g.getBeta().convertToFloat())});
      })
      .Case([&](nn::MatMulOp mm) -> LogicalResult {
        // With batch axes (an operand of rank >= 3) the leading batch axis
        // is the image on the operands of full rank; otherwise the rows of
        // a 2-D left operand are.
        int64_t ra = rankOf(mm.getLhs()), rb = rankOf(mm.getRhs());
        int64_t full = std::max<int64_t>({ra, rb, 2});
        SmallVector<bool> roles = {full >= 3 ? ra == full : ra == 2,
                                   full >= 3 && rb == full};
        if (!roles[0] && !roles[1] && batchAxis(mm.getOutput().getType()) &&
            dim0(mm.getOutput()) != 1)
          return batchError(
              op, "a matmul whose output's axis 0 is not the batch axis");
        return nnSegment(K::FloatMatMul, {mm.getLhs(), mm.getRhs()}, roles,
                         {});
      })
      .Case([&](qnn::DequantizeOp d) {
        uint32_t in = tensorOf(d.getInput());
        hostSegment(loc, K::Dequantize, {in}, tensorOf(d.getOutput()));
        return success();
      })
      .Case([&](qnn::QuantizeOp q) {
        uint32_t in = tensorOf(q.getInput());
        hostSegment(loc, K::Quantize, {in}, tensorOf(q.getOutput()));
        return success();
      })
      .Case([&](nn::AddOp) { return binary(rk::FloatBinaryOp::Add); })
      .Case([&](nn::SubOp) { return binary(rk::FloatBinaryOp::Sub); })
      .Case([&](nn::MulOp) { return binary(rk::FloatBinaryOp::Mul); })
      .Case([&](nn::DivOp) { return binary(rk::FloatBinaryOp::Div); })
      .Case([&](nn::MaxOp) { return binary(rk::FloatBinaryOp::Max); })
      .Case([&](nn::MinOp) { return binary(rk::FloatBinaryOp::Min); })
      .Case([&](nn::PowOp) { return binary(rk::FloatBinaryOp::Pow); })
      .Case([&](nn::EqualOp) { return binary(rk::FloatBinaryOp::Equal); })
      .Case([&](nn::LessOp) { return binary(rk::FloatBinaryOp::Less); })
      .Case([&](nn::LessEqualOp) {
        return binary(rk::FloatBinaryOp::LessEqual);
      })
      .Case([&](nn::SoftmaxOp s) -> LogicalResult {
        auto type = cast<RankedTensorType>(s.getInput().getType());
        if (batchAxis(type) && s.getAxis() == 0 && type.getDimSize(0) != 1)
          return batchError(op, "softmax over the batch axis");
        uint32_t in = tensorOf(s.getInput());
        hostSegment(loc, K::Softmax, {in}, tensorOf(s.getOutput()),
                    {int64_t(s.getAxis())});
        return success();
      })
      .Case([&](nn::TransposeOp t) -> LogicalResult {
        auto type = cast<RankedTensorType>(t.getInput().getType());
        if (batchAxis(type) && t.getPerm()[0] != 0 && type.getDimSize(0) != 1)
          return batchError(op, "a transpose that moves the batch axis");
        uint32_t in = tensorOf(t.getInput());
        hostSegment(loc, K::FloatTranspose, {in}, tensorOf(t.getOutput()),
                    std::vector<int64_t>(t.getPerm().begin(),
                                         t.getPerm().end()));
        return success();
      })
      .Case([&](nn::ConcatOp c) -> LogicalResult {
        auto type = cast<RankedTensorType>(c.getOutput().getType());
        if (batchAxis(type) && c.getAxis() == 0 && type.getDimSize(0) != 1)
          return batchError(op, "a concat along the batch axis");
        std::vector<uint32_t> ins;
        for (Value v : c.getInputs()) {
          // A constant over the batch (learned tokens expanded to every
          // image: equal slices) is its first slice in each image's run.
          if (!isConst(v)) {
            ins.push_back(tensorOf(v));
            continue;
          }
          std::optional<FloatConstant> k = readFloatConstant(v);
          if (!k)
            return error(op, "cannot read a float constant operand");
          bool batched = batchAxis(type) && k->shape.size() >= 2 &&
                         k->shape[0] > 1 && !tensorIndex.count(v);
          if (batched) {
            size_t per = k->data.size() / size_t(k->shape[0]);
            for (size_t i = per; i < k->data.size(); ++i)
              if (std::memcmp(&k->data[i], &k->data[i % per], sizeof(float)))
                return batchError(op, "a constant operand along the batch "
                                      "axis whose images differ");
          }
          ins.push_back(floatConstTensor(loc, v, batched));
        }
        hostSegment(loc, K::FloatConcat, std::move(ins),
                    tensorOf(c.getOutput()), {int64_t(c.getAxis())});
        return success();
      })
      .Case([&](nn::SliceOp sl) -> LogicalResult {
        auto type = cast<RankedTensorType>(sl.getInput().getType());
        int64_t rank = type.getRank();
        std::vector<int64_t> start(rank, 0), step(rank, 1);
        for (size_t k = 0; k < sl.getAxes().size(); ++k) {
          int64_t a = sl.getAxes()[k];
          if (batchAxis(type) && a == 0 && type.getDimSize(0) != 1)
            return batchError(op, "a slice of the batch axis");
          nn::shapes::SliceAxis s = nn::shapes::resolveSliceAxis(
              type.getDimSize(a), sl.getStarts()[k], sl.getEnds()[k],
              sl.getSteps()[k]);
          start[a] = s.start;
          step[a] = s.step;
        }
        std::vector<int64_t> params = start;
        params.insert(params.end(), step.begin(), step.end());
        uint32_t in = tensorOf(sl.getInput());
        hostSegment(loc, K::FloatSlice, {in}, tensorOf(sl.getOutput()),
                    std::move(params));
        return success();
      })
      .Case([&](nn::ReduceMeanOp r) {
        return reduce(r, rk::FloatReduceOp::Mean);
      })
      .Case([&](nn::ReduceSumOp r) {
        return reduce(r, rk::FloatReduceOp::Sum);
      })
      .Case([&](nn::ReduceMaxOp r) {
        return reduce(r, rk::FloatReduceOp::Max);
      })
      .Case([&](nn::ReduceMinOp r) {
        return reduce(r, rk::FloatReduceOp::Min);
      })
      .Case([&](nn::ExpandOp e) -> LogicalResult {
        // The result's axis 0 must be the input's image axis (same rank,
        // same extent) or have extent 1.
        int64_t out0 = rankOf(e.getOutput()) ? dim0(e.getOutput()) : 1;
        bool sameAxis0 = rankOf(e.getInput()) > 0 &&
                         rankOf(e.getOutput()) == rankOf(e.getInput()) &&
                         dim0(e.getInput()) == out0;
        if (batchAxis(e.getOutput().getType()) && out0 != 1 && !sameAxis0)
          return batchError(op, "an expand along the batch axis");
        return nnSegment(K::FloatExpand, {e.getInput()}, {true}, {});
      })
      .Case([&](nn::WhereOp w) {
        return nnSegment(K::FloatWhere,
                         {w.getCondition(), w.getLhs(), w.getRhs()},
                         {true, true, true}, {});
      })
      .Case([&](nn::ResizeOp r) -> LogicalResult {
        if (batchAxis(r.getInput().getType()) &&
            dim0(r.getOutput()) != dim0(r.getInput()))
          return batchError(op, "a resize of the batch axis");
        rk::ResizeParams rp;
        rk::setResizeModes(rp, r.getMode(), r.getCoordinateTransformationMode(),
                           r.getNearestMode());
        ArrayRef<double> roi = r.getRoi();
        std::vector<int64_t> params = {
            int64_t(rp.mode),
            int64_t(rp.coord),
            int64_t(rp.nearest),
            doubleBits(double(r.getCubicCoeffA().convertToFloat())),
            r.getExcludeOutside() ? 1 : 0,
            floatBits(r.getExtrapolationValue().convertToFloat()),
            int64_t(roi.size())};
        // The op's scales (one per axis, its verifier's rule), as the float
        // evaluator passes them.
        for (double v : r.getScales())
          params.push_back(doubleBits(v));
        for (double v : roi)
          params.push_back(doubleBits(v));
        return nnSegment(K::FloatResize, {r.getInput()}, {true},
                         std::move(params));
      })
      .Case([&](nn::ConvTransposeOp c) {
        return convLike(K::FloatConvTranspose, c);
      })
      .Case<nn::IdentityOp, nn::DropoutOp, nn::FlattenOp, nn::ReshapeOp,
            nn::SqueezeOp, nn::UnsqueezeOp>([&](Operation *) {
        LogicalResult r = view();
        tensorIndex[op->getResult(0)] = tensors.size() - 1;
        return r;
      })
      .Default([&](Operation *) -> LogicalResult {
        return error(op, "no DLP lowering and no host kernel for this float "
                         "op yet");
      });
}

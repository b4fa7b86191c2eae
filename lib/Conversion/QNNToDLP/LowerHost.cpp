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
#include "NN/NNShapes.h"
#include "dlp/Support/Constants.h"
#include "dlprt/kernels/Float.h"

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
} // namespace

LogicalResult Lowering::lowerHostFloat(Operation *op) {
  using K = dlprt::HostOpKind;
  Location loc = op->getLoc();
  auto isConst = [](Value v) {
    return v.getDefiningOp() &&
           v.getDefiningOp()->getName().getStringRef() == "arith.constant";
  };
  // Operands are tensors in DDR; a binary op may have one float constant
  // operand (stored in CONST).
  unsigned consts = llvm::count_if(op->getOperands(), isConst);
  if (consts && (!isa<nn::AddOp, nn::SubOp, nn::MulOp, nn::DivOp, nn::MaxOp,
                      nn::MinOp>(op) ||
                 consts > 1))
    return error(op, "a float constant operand of a host op is only "
                     "supported for one operand of a binary op");
  auto unary = [&](rk::FloatUnaryOp u, float a = 0,
                   float b = 0) -> LogicalResult {
    uint32_t in = tensorOf(op->getOperand(0));
    hostSegment(loc, K::FloatUnary, {in}, tensorOf(op->getResult(0)),
                {int64_t(u), floatBits(a), floatBits(b)});
    return success();
  };
  auto binary = [&](rk::FloatBinaryOp b) -> LogicalResult {
    if (!consts) {
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
    if (inType.getRank() && type.getRank() &&
        type.getDimSize(0) != inType.getDimSize(0) &&
        inType.getDimSize(0) != 1)
      return error(op, "a reshape across the batch axis (the program runs "
                       "one image at a time)");
    r.name = layerName(op);
    r.shape.assign(type.getShape().begin(), type.getShape().end());
    if (!r.shape.empty())
      r.shape[0] = 1;
    tensors.push_back(std::move(r));
    return success();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
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
      .Case([&](nn::ReluOp) { return unary(rk::FloatUnaryOp::Relu); })
      .Case([&](nn::SigmoidOp) { return unary(rk::FloatUnaryOp::Sigmoid); })
      .Case([&](nn::ClipOp c) {
        return unary(rk::FloatUnaryOp::Clip, c.getMin().convertToFloat(),
                     c.getMax().convertToFloat());
      })
      .Case([&](nn::HardSigmoidOp h) {
        return unary(rk::FloatUnaryOp::HardSigmoid,
                     h.getAlpha().convertToFloat(),
                     h.getBeta().convertToFloat());
      })
      .Case([&](nn::LeakyReluOp l) {
        return unary(rk::FloatUnaryOp::LeakyRelu,
                     l.getAlpha().convertToFloat());
      })
      .Case([&](nn::NegOp) { return unary(rk::FloatUnaryOp::Neg); })
      .Case([&](nn::AbsOp) { return unary(rk::FloatUnaryOp::Abs); })
      .Case([&](nn::ExpOp) { return unary(rk::FloatUnaryOp::Exp); })
      .Case([&](nn::LogOp) { return unary(rk::FloatUnaryOp::Log); })
      .Case([&](nn::SqrtOp) { return unary(rk::FloatUnaryOp::Sqrt); })
      .Case([&](nn::TanhOp) { return unary(rk::FloatUnaryOp::Tanh); })
      .Case([&](nn::ReciprocalOp) {
        return unary(rk::FloatUnaryOp::Reciprocal);
      })
      .Case([&](nn::AddOp) { return binary(rk::FloatBinaryOp::Add); })
      .Case([&](nn::SubOp) { return binary(rk::FloatBinaryOp::Sub); })
      .Case([&](nn::MulOp) { return binary(rk::FloatBinaryOp::Mul); })
      .Case([&](nn::DivOp) { return binary(rk::FloatBinaryOp::Div); })
      .Case([&](nn::MaxOp) { return binary(rk::FloatBinaryOp::Max); })
      .Case([&](nn::MinOp) { return binary(rk::FloatBinaryOp::Min); })
      .Case([&](nn::SoftmaxOp s) -> LogicalResult {
        auto type = cast<RankedTensorType>(s.getInput().getType());
        if (s.getAxis() == 0 && type.getDimSize(0) != 1)
          return error(op, "softmax over the batch axis (the program runs "
                           "one image at a time)");
        uint32_t in = tensorOf(s.getInput());
        hostSegment(loc, K::Softmax, {in}, tensorOf(s.getOutput()),
                    {int64_t(s.getAxis())});
        return success();
      })
      .Case([&](nn::TransposeOp t) -> LogicalResult {
        auto type = cast<RankedTensorType>(t.getInput().getType());
        if (t.getPerm()[0] != 0 && type.getDimSize(0) != 1)
          return error(op, "a transpose that moves the batch axis (the "
                           "program runs one image at a time)");
        uint32_t in = tensorOf(t.getInput());
        hostSegment(loc, K::FloatTranspose, {in}, tensorOf(t.getOutput()),
                    std::vector<int64_t>(t.getPerm().begin(),
                                         t.getPerm().end()));
        return success();
      })
      .Case([&](nn::ConcatOp c) -> LogicalResult {
        auto type = cast<RankedTensorType>(c.getOutput().getType());
        if (c.getAxis() == 0 && type.getDimSize(0) != 1)
          return error(op, "a concat along the batch axis (the program runs "
                           "one image at a time)");
        std::vector<uint32_t> ins;
        for (Value v : c.getInputs())
          ins.push_back(tensorOf(v));
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
          if (a == 0 && type.getDimSize(0) != 1)
            return error(op, "a slice of the batch axis (the program runs "
                             "one image at a time)");
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

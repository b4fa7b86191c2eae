//===- Quantize.cpp - nn -> qnn quantization (--dlp-quantize) -------------===//
//
// Walks each function once, in order. A converted op's float result is
// replaced by a qnn.dequantize of the new qnn value; a later converted
// consumer looks through that dequantize, an unconverted (float) consumer
// keeps reading it. Unused dequantize ops and float weights are removed at
// the end. See Passes.td for the rules and docs/numerics.md for the math.
//
//===----------------------------------------------------------------------===//

#include "dlp/Quant/ActivationTable.h"
#include "dlp/Quant/AutoPrecision.h"
#include "dlp/Quant/ChannelMul.h"
#include "dlp/Quant/Passes.h"
#include "dlp/Quant/WeightPlan.h"
#include "dlp/Quant/WeightQuant.h"
#include "dlp/Support/Proof.h"
#include "dlprt/Npy.h"
#include "dlp/Support/Constants.h"
#include "dlp/Support/ModelBatch.h"
#include "dlprt/Numerics.h"

#include "dlp/Evaluator/Evaluator.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

namespace dlp {
#define GEN_PASS_DEF_DLPQUANTIZE
#include "dlp/Quant/Passes.h.inc"
} // namespace dlp

using namespace mlir;
using namespace dlp;
namespace num = dlprt::num;

namespace {

/// Weight precision per layer.
struct PrecisionConfig {
  int maxFracSpread = 8;
  /// Activations between quantized maps as qnn.table.
  bool tables = true;
  bool defaultInt8 = false;
  bool perLayerScale = false;  // one weight window / scale per layer
  llvm::StringMap<bool> int8; // layer -> int8?
  /// layer -> CSR weights or dense on the DLP (the lowering reads it from
  /// the quantized op's `dlp.csr` attribute; unnamed layers follow
  /// --csr-density).
  llvm::StringMap<bool> csr;
  double autoSqnr = 0;

  /// Whether layer `layer` (float weights `w`, numOut rows) gets int8
  /// weights: named, else the default, else the auto-int8-sqnr rule.
  bool isInt8(StringRef layer, ArrayRef<float> w, int64_t numOut) const {
    if (auto it = int8.find(layer); it != int8.end())
      return it->second;
    if (defaultInt8)
      return true;
    return autoSqnr > 0 &&
           quant::quantizeWeights(w, numOut, /*pow2=*/true, perLayerScale)
                   .sqnrDb < autoSqnr;
  }
};

/// Diagnostics go to `loc` (the module's), without the module attached.
LogicalResult readPrecisionFile(StringRef path, PrecisionConfig &cfg,
                                Location loc) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return emitError(loc) << "cannot read precision config '" << path
                              << "': " << buf.getError().message();
  auto parsed = llvm::json::parse((*buf)->getBuffer());
  if (!parsed)
    return emitError(loc) << "precision config '" << path
                              << "' is not JSON: "
                              << llvm::toString(parsed.takeError());
  auto parsePrec = [&](const llvm::json::Value &v, StringRef what,
                       bool &isInt8) -> LogicalResult {
    std::optional<StringRef> s = v.getAsString();
    if (!s || (*s != "pow2" && *s != "int8"))
      return emitError(loc) << "precision config '" << path << "': " << what
                                << " must be \"pow2\" or \"int8\"";
    isInt8 = *s == "int8";
    return success();
  };
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root)
    return emitError(loc) << "precision config '" << path
                              << "' must be a JSON object";
  for (const auto &[key, value] : *root) {
    if (key == "default") {
      if (failed(parsePrec(value, "\"default\"", cfg.defaultInt8)))
        return failure();
    } else if (key == "auto_int8_sqnr") {
      std::optional<double> d = value.getAsNumber();
      if (!d)
        return emitError(loc) << "precision config '" << path
                                  << "': \"auto_int8_sqnr\" must be a number";
      cfg.autoSqnr = *d;
    } else if (key == "layers") {
      const llvm::json::Object *layers = value.getAsObject();
      if (!layers)
        return emitError(loc) << "precision config '" << path
                                  << "': \"layers\" must be an object";
      for (const auto &[name, p] : *layers) {
        bool isInt8;
        if (failed(parsePrec(p, "layer '" + name.str() + "'", isInt8)))
          return failure();
        cfg.int8[name.str()] = isInt8;
      }
    } else if (key == "csr") {
      const llvm::json::Object *layers = value.getAsObject();
      if (!layers)
        return emitError(loc) << "precision config '" << path
                                  << "': \"csr\" must be an object";
      for (const auto &[name, v] : *layers) {
        std::optional<bool> on = v.getAsBoolean();
        if (!on)
          return emitError(loc) << "precision config '" << path
                                    << "': csr of layer '" << name.str()
                                    << "' must be true or false";
        cfg.csr[name.str()] = *on;
      }
    } else {
      return emitError(loc) << "precision config '" << path
                                << "': unknown key \"" << key.str() << "\"";
    }
  }
  return success();
}

/// Location of an op with a fused activation: the activation's first, so
/// that the fused result carries the name of the float tensor it replaces
/// (the calibration table's and the float evaluator's key).
Location fusedLoc(Operation *op, Operation *act) {
  if (!act)
    return op->getLoc();
  return FusedLoc::get(op->getContext(), {act->getLoc(), op->getLoc()});
}

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

RankedTensorType fmapType(RankedTensorType like, ArrayRef<int32_t> fracs,
                          int64_t block = 1) {
  MLIRContext *ctx = like.getContext();
  return RankedTensorType::get(like.getShape(), IntegerType::get(ctx, 8),
                               qnn::FmapAttr::get(ctx, fracs, block));
}

/// Quantizes one function.
class FuncQuantizer {
public:
  /// `plan` (may be null): weights and biases planned from calibration
  /// samples, used where a layer's precision has a plan.
  FuncQuantizer(func::FuncOp func, const quant::CalibrationTable &table,
                const PrecisionConfig &cfg,
                llvm::StringSet<llvm::MallocAllocator> &usedLayers,
                const quant::WeightPlan *plan = nullptr)
      : func(func), table(table), cfg(cfg), usedLayers(usedLayers),
        plan(plan), b(func.getContext()) {}

  LogicalResult run();
  int64_t numPow2 = 0, numInt8 = 0, numQuantized = 0, numFloat = 0;
  int64_t numNarrowed = 0, numTables = 0, numChannelMuls = 0;

private:
  /// The int8 version of float value `v` (null if it cannot have one).
  Value fmap(Value v);
  /// Calibrated fractional bits of `v` (empty if missing / unusable).
  SmallVector<int32_t> fracsOf(Value v);
  /// Replaces float value `old` by a dequantize of `q` and erases `dead`.
  void replace(Value old, Value q, ArrayRef<Operation *> dead);

  /// A single-use ReLU / Clip consumer of `v`, fused into its producer.
  Operation *fusibleActivation(Value v);
  /// Per-channel clamp bounds of activation `act` (null: none) at `fracs`.
  void actBounds(Operation *act, ArrayRef<int32_t> fracs,
                 DenseI32ArrayAttr &lo, DenseI32ArrayAttr &hi);

  LogicalResult convertMac(Operation *op, Value input, Value weight,
                           Value bias, bool isConv);
  LogicalResult convertPool(Operation *op);
  LogicalResult convertAdd(nn::AddOp op);
  LogicalResult convertConcat(nn::ConcatOp op);
  LogicalResult convertFlatten(Operation *op, Value input);
  LogicalResult convertClamp(Operation *op);

  func::FuncOp func;
  const quant::CalibrationTable &table;
  const PrecisionConfig &cfg;
  llvm::StringSet<llvm::MallocAllocator> &usedLayers;
  const quant::WeightPlan *plan;
  OpBuilder b;
  DenseMap<Value, Value> quantized;
  bool failedHard = false;
  /// The model's batch (ShapedType::kDynamic: dynamic or mixed).
  int64_t batch = ShapedType::kDynamic;
};

SmallVector<int32_t> FuncQuantizer::fracsOf(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || t.getRank() < 2 || t.isDynamicDim(1))
    return {};
  // A feature map's axis 0 is the batch (or 1): a tensor whose axis 0 is
  // something else (a ViT's 197 tokens x 12 heads of one image) stays float.
  int64_t d0 = t.getDimSize(0);
  if (!t.isDynamicDim(0) && d0 != 1 && d0 != batch)
    return {};
  // A constant (e.g. a learned token concatenated to a feature map) is its
  // own calibration: the rule of the table on its values per channel.
  // (One over the batch stays float: the lowering takes its first slice
  // where its images are equal.)
  if (t.getDimSize(0) != 1 && v.getDefiningOp<arith::ConstantOp>())
    return {};
  std::optional<FloatConstant> c =
      t.getDimSize(0) == 1 ? readFloatConstant(v) : std::nullopt;
  if (c) {
    int64_t C = t.getDimSize(1), inner = 1;
    for (int64_t d = 2; d < t.getRank(); ++d)
      inner *= t.getDimSize(d);
    std::vector<double> range(size_t(C), 0.0);
    for (size_t i = 0; i < c->data.size(); ++i) {
      double a = std::fabs(double(c->data[i]));
      double &r = range[size_t((int64_t(i) / inner) % C)];
      if (!(a <= r)) // NaN sticks, and is refused below
        r = a;
    }
    for (double r : range)
      if (!std::isfinite(r)) {
        emitError(v.getLoc()) << "constant operand '" << quant::tensorName(v)
                              << "' holds a non-finite value";
        failedHard = true;
        return {};
      }
    std::vector<int> f = quant::cappedFracBits(range, cfg.maxFracSpread);
    return SmallVector<int32_t>(f.begin(), f.end());
  }
  std::string name = quant::tensorName(v);
  // An activation that held an infinite or NaN value stays float.
  if (table.nonFinite(name))
    return {};
  std::vector<int> f = table.fracBits(name, cfg.maxFracSpread);
  if (f.empty()) {
    emitError(v.getLoc()) << "no calibration entry for tensor '" << name
                          << "' (was the table made for this model?)";
    failedHard = true;
    return {};
  }
  if (static_cast<int64_t>(f.size()) != t.getDimSize(1)) {
    emitError(v.getLoc()) << "calibration entry '" << name << "' has "
                          << f.size() << " channels, the tensor "
                          << t.getDimSize(1);
    failedHard = true;
    return {};
  }
  return SmallVector<int32_t>(f.begin(), f.end());
}

Value FuncQuantizer::fmap(Value v) {
  if (auto dq = v.getDefiningOp<qnn::DequantizeOp>())
    return dq.getInput();
  if (Value q = quantized.lookup(v))
    return q;
  SmallVector<int32_t> f = fracsOf(v);
  if (f.empty())
    return {};
  OpBuilder::InsertionGuard guard(b);
  if (Operation *def = v.getDefiningOp())
    b.setInsertionPointAfter(def);
  else
    b.setInsertionPointToStart(&func.getBody().front());
  Value q = qnn::QuantizeOp::create(b, v.getLoc(),
                                    fmapType(tensorType(v), f), v);
  quantized[v] = q;
  return q;
}

void FuncQuantizer::replace(Value old, Value q, ArrayRef<Operation *> dead) {
  b.setInsertionPointAfterValue(q);
  Value dq = qnn::DequantizeOp::create(b, q.getLoc(), old.getType(), q);
  old.replaceAllUsesWith(dq);
  for (Operation *op : llvm::reverse(dead))
    op->erase();
  ++numQuantized;
}

Operation *FuncQuantizer::fusibleActivation(Value v) {
  if (!v.hasOneUse())
    return nullptr;
  Operation *user = *v.getUsers().begin();
  return isa<nn::ReluOp, nn::ClipOp>(user) ? user : nullptr;
}

void FuncQuantizer::actBounds(Operation *act, ArrayRef<int32_t> fracs,
                              DenseI32ArrayAttr &lo, DenseI32ArrayAttr &hi) {
  MLIRContext *ctx = func.getContext();
  if (!act)
    return;
  if (isa<nn::ReluOp>(act)) {
    lo = DenseI32ArrayAttr::get(ctx, {0});
    return;
  }
  auto clip = cast<nn::ClipOp>(act);
  SmallVector<int32_t> l, h;
  for (int32_t f : fracs) {
    l.push_back(num::clipBound(clip.getMin().convertToFloat(), f));
    h.push_back(num::clipBound(clip.getMax().convertToFloat(), f));
  }
  auto compact = [&](SmallVector<int32_t> &v, int32_t absent) {
    if (llvm::all_equal(v))
      v.resize(1);
    return v.size() == 1 && v[0] == absent ? DenseI32ArrayAttr()
                                           : DenseI32ArrayAttr::get(ctx, v);
  };
  lo = compact(l, -128);
  hi = compact(h, 127);
}

LogicalResult FuncQuantizer::convertMac(Operation *op, Value input,
                                        Value weight, Value bias, bool isConv) {
  std::optional<FloatConstant> w = readFloatConstant(weight);
  std::optional<FloatConstant> bc;
  if (bias)
    bc = readFloatConstant(bias);
  if (!w || (bias && !bc))
    return failure(); // non-constant weights stay in float
  Operation *act = fusibleActivation(op->getResult(0));
  Value out = act ? act->getResult(0) : op->getResult(0);
  SmallVector<int32_t> outFrac = fracsOf(out);
  Value x = fmap(input);
  if (!x || outFrac.empty())
    return failure();
  // A fully-connected layer reads a flat N x K map.
  if (!isConv && tensorType(x).getRank() > 2) {
    RankedTensorType xt = tensorType(x);
    int64_t inner = 1;
    for (int64_t d = 2; d < xt.getRank(); ++d)
      inner *= xt.getDimSize(d);
    if (ShapedType::isDynamic(inner))
      return failure();
    auto enc = qnn::encodingOf<qnn::FmapAttr>(xt);
    SmallVector<int64_t> shape = {xt.getDimSize(0),
                                  xt.getDimSize(1) * inner};
    b.setInsertionPoint(op);
    x = qnn::FlattenOp::create(
        b,
        NameLoc::get(b.getStringAttr(eval::Evaluator::layerName(op) +
                                     ".flatten")),
        RankedTensorType::get(shape, xt.getElementType(),
                              qnn::FmapAttr::get(b.getContext(),
                                                 enc.getValues(),
                                                 enc.getBlock() * inner)),
        x);
  }

  std::string layer = eval::Evaluator::layerName(op);
  usedLayers.insert(layer);
  RankedTensorType wt = tensorType(weight);
  int64_t numOut = wt.getDimSize(0);
  bool int8 = cfg.isInt8(layer, w->data, numOut);
  // The planned weights and bias of this precision, else the nearest
  // rounding and the model's bias.
  const quant::PlannedWeights *planned = nullptr;
  if (plan)
    if (auto it = plan->layers.find(layer);
        it != plan->layers.end() && it->second.int8 == int8)
      planned = &it->second.planned;
  quant::QuantizedWeights qw =
      planned ? planned->weights
              : quant::quantizeWeights(w->data, numOut, !int8,
                                       cfg.perLayerScale, /*withSqnr=*/false);
  ArrayRef<float> biasData;
  if (planned)
    biasData = planned->bias;
  else if (bc)
    biasData = bc->data;
  (int8 ? numInt8 : numPow2)++;

  MLIRContext *ctx = func.getContext();
  Attribute wenc = int8 ? Attribute(qnn::Int8WAttr::get(ctx, qw.scale, 1))
                        : Attribute(qnn::Pow2Attr::get(ctx, qw.scale, 1));
  auto xenc = qnn::encodingOf<qnn::FmapAttr>(x.getType());
  int64_t group = isConv ? cast<nn::ConvOp>(op).getGroup() : 1;
  int64_t inPerGroup = wt.getDimSize(1);
  int64_t taps = wt.getNumElements() / (numOut * inPerGroup);

  // Accumulator scale, int32 bias and the overflow proof at the input's
  // scales. When the proof fails, the input is requantized for this layer
  // to a narrower spread of fractional bits (the finest channels made
  // coarser), which shrinks the terms of those channels, one bit at a time
  // down to a single scale.
  ArrayRef<int32_t> xf = xenc.getValues();
  int32_t minF = *llvm::min_element(xf), fullSpread = *llvm::max_element(xf) - minF;
  SmallVector<int32_t> acc, biasInt;
  qnn::FmapAttr useEnc;
  std::string why;
  // Below a single scale (spread < 0) only while the bias is what does not
  // fit: an input calibrated to an almost-zero range (e.g. the mean of an
  // instance-normalized map) gets so many fractional bits that the
  // accumulator cannot hold the bias; coarser input bits change no term's
  // bound, only the accumulator's scale.
  int32_t spread = fullSpread;
  bool biasTooWide = false;
  for (; spread >= 0 || (biasTooWide && minF + spread >= num::kMinFrac);
       --spread) {
    SmallVector<int32_t> capped;
    for (int32_t f : xf)
      capped.push_back(std::min(f, minF + spread));
    useEnc = qnn::FmapAttr::get(ctx, capped, xenc.getBlock());
    acc = qnn::accumulatorFracs(useEnc, wenc, numOut, inPerGroup, group);
    biasInt.clear();
    why.clear();
    biasTooWide = false;
    for (int64_t o = 0; !biasData.empty() && o < numOut && why.empty(); ++o) {
      int64_t v = num::roundHalfUpScaled(biasData[o], acc[o]);
      if (v < INT32_MIN || v > INT32_MAX) {
        biasTooWide = true;
        llvm::raw_string_ostream os(why);
        os << "bias of output channel " << o << " (" << biasData[o]
           << ") does not fit int32 at " << acc[o] << " fractional bits";
      }
      biasInt.push_back(static_cast<int32_t>(v));
    }
    if (why.empty()) {
      SmallVector<int32_t> inFrac;
      for (int64_t i = 0; i < inPerGroup * group; ++i)
        inFrac.push_back(useEnc.at(i));
      // Only the last attempt's message is reported.
      why = quant::proveNoOverflow(qw, {numOut, inPerGroup, taps, group},
                                   inFrac, acc, biasInt,
                                   /*message=*/spread <= 0);
    }
    if (why.empty())
      break;
  }
  if (!why.empty()) {
    failedHard = true;
    return op->emitError() << "layer '" << layer
                           << "' cannot be quantized without risking int32 "
                              "accumulator overflow, even with its input at "
                              "a single scale: "
                           << why;
  }
  if (spread < 0) {
    op->emitWarning() << "layer '" << layer
                      << "': input requantized from " << minF
                      << " to at most " << minF + spread
                      << " fractional bits so that the int32 accumulator "
                         "holds the bias (a bias large for the input's "
                         "scale, or an input of an almost-zero range)";
  } else if (spread < fullSpread) {
    op->emitWarning() << "layer '" << layer
                      << "': input requantized from a fractional-bit spread "
                         "of "
                      << fullSpread << " to " << spread
                      << " so that the int32 accumulator provably cannot "
                         "overflow";
  }
  if (spread < fullSpread) {
    b.setInsertionPoint(op);
    x = qnn::RequantizeOp::create(
        b, NameLoc::get(b.getStringAttr(layer + ".requantize")),
        fmapType(tensorType(x), useEnc.getValues(), useEnc.getBlock()), x);
    ++numNarrowed;
  }

  b.setInsertionPoint(op);
  Location loc = fusedLoc(op, act);
  auto wType = RankedTensorType::get(wt.getShape(), b.getI8Type(), wenc);
  Value qwv = qnn::ConstantOp::create(
      b, loc, wType,
      createI8ResourceAttr(ctx, wt.getShape(), layer + ".w",
                           std::move(qw.q)));
  Value qb;
  if (!biasData.empty()) {
    auto bType = RankedTensorType::get({numOut}, b.getI32Type(),
                                       qnn::AccAttr::get(ctx, acc, 1));
    qb = qnn::ConstantOp::create(
        b, loc, bType,
        createI32ResourceAttr(ctx, {numOut}, layer + ".b",
                              [&](MutableArrayRef<int32_t> d) {
                                llvm::copy(biasInt, d.begin());
                              }));
  }
  DenseI32ArrayAttr lo, hi;
  actBounds(act, outFrac, lo, hi);
  RankedTensorType resType = fmapType(tensorType(out), outFrac);
  Value res;
  if (isConv) {
    auto conv = cast<nn::ConvOp>(op);
    res = qnn::ConvOp::create(b, loc, resType, x, qwv, qb, conv.getStrides(),
                              conv.getPads(), conv.getDilations(),
                              conv.getGroup(), lo, hi);
  } else {
    res = qnn::FullyConnectedOp::create(b, loc, resType, x, qwv, qb, lo, hi);
  }
  if (auto it = cfg.csr.find(layer); it != cfg.csr.end())
    res.getDefiningOp()->setAttr("dlp.csr", b.getBoolAttr(it->second));
  SmallVector<Operation *> dead = {op};
  if (act)
    dead.push_back(act);
  replace(out, res, dead);
  return success();
}

LogicalResult FuncQuantizer::convertPool(Operation *op) {
  Value x = fmap(op->getOperand(0));
  if (!x)
    return failure();
  auto enc = qnn::encodingOf<qnn::FmapAttr>(x.getType());
  auto resType =
      fmapType(tensorType(op->getResult(0)), enc.getValues(), enc.getBlock());
  b.setInsertionPoint(op);
  Location loc = op->getLoc();
  Value res =
      llvm::TypeSwitch<Operation *, Value>(op)
          .Case([&](nn::MaxPoolOp p) {
            return qnn::MaxPoolOp::create(b, loc, resType, x,
                                          p.getKernelShape(), p.getStrides(),
                                          p.getPads(), p.getDilations(),
                                          p.getCeilMode());
          })
          .Case([&](nn::AvgPoolOp p) {
            return qnn::AvgPoolOp::create(b, loc, resType, x,
                                          p.getKernelShape(), p.getStrides(),
                                          p.getPads(), p.getCeilMode(),
                                          p.getCountIncludePad());
          })
          .Case([&](nn::GlobalAvgPoolOp) {
            return qnn::GlobalAvgPoolOp::create(b, loc, resType, x);
          });
  replace(op->getResult(0), res, {op});
  return success();
}

LogicalResult FuncQuantizer::convertAdd(nn::AddOp op) {
  RankedTensorType t = tensorType(op.getOutput());
  if (tensorType(op.getLhs()) != t || tensorType(op.getRhs()) != t)
    return failure(); // broadcasting adds stay in float
  Operation *act = fusibleActivation(op.getOutput());
  Value out = act ? act->getResult(0) : Value(op.getOutput());
  SmallVector<int32_t> outFrac = fracsOf(out);
  Value x = fmap(op.getLhs()), y = fmap(op.getRhs());
  if (!x || !y || outFrac.empty())
    return failure();
  auto fa = qnn::encodingOf<qnn::FmapAttr>(x.getType());
  auto fb = qnn::encodingOf<qnn::FmapAttr>(y.getType());
  // The ADD aligns the operands on int32 by at most 22 bits (127 << 22
  // plus the other stays inside int32). A channel whose operands' scales
  // are further apart (a residual branch scaled by 1e-6, ConvNeXt's layer
  // scale) has its finer operand requantized to the coarser one's
  // fractional bits + 22: it loses only what lies 2^-22 below the other
  // operand's step.
  const int64_t C = t.getDimSize(1);
  auto narrow = [&](Value &v, qnn::FmapAttr mine, qnn::FmapAttr other) {
    SmallVector<int32_t> f(mine.getValues());
    bool any = false;
    for (int64_t c = 0; c < C; ++c)
      if (mine.at(c) - other.at(c) > 22) {
        // (One entry per block of channels: the block's smallest.)
        int32_t &e = f[size_t(c / mine.getBlock())];
        e = std::min(e, other.at(c) + 22);
        any = true;
      }
    if (!any)
      return;
    std::string layer = eval::Evaluator::layerName(op);
    op.emitWarning() << "layer '" << layer
                     << "': an operand requantized to at most 22 fractional "
                        "bits more than the other's (their scales are over "
                        "2^22 apart)";
    b.setInsertionPoint(op);
    v = qnn::RequantizeOp::create(
        b, NameLoc::get(b.getStringAttr(layer + ".requantize")),
        fmapType(tensorType(v), f, mine.getBlock()), v);
    ++numNarrowed;
  };
  narrow(x, fa, fb);
  narrow(y, fb, qnn::encodingOf<qnn::FmapAttr>(x.getType()));
  DenseI32ArrayAttr lo, hi;
  actBounds(act, outFrac, lo, hi);
  b.setInsertionPoint(op);
  Value res = qnn::AddOp::create(b, fusedLoc(op, act),
                                 fmapType(tensorType(out), outFrac),
                                 x, y, lo, hi);
  SmallVector<Operation *> dead = {op};
  if (act)
    dead.push_back(act);
  replace(out, res, dead);
  return success();
}

LogicalResult FuncQuantizer::convertConcat(nn::ConcatOp op) {
  if (op.getAxis() != 1)
    return failure();
  SmallVector<Value> ins;
  SmallVector<int32_t> fracs;
  for (Value v : op.getInputs()) {
    Value q = fmap(v);
    if (!q)
      return failure();
    auto enc = qnn::encodingOf<qnn::FmapAttr>(q.getType());
    if (enc.getBlock() != 1)
      return failure();
    ins.push_back(q);
    llvm::append_range(fracs, enc.getValues());
  }
  b.setInsertionPoint(op);
  Value res = qnn::ConcatOp::create(
      b, op.getLoc(), fmapType(tensorType(op.getOutput()), fracs), ins,
      op.getAxis());
  replace(op.getOutput(), res, {op});
  return success();
}

/// nn.flatten at axis 1, or a reshape that is one (N x C x ... -> N x C*...).
LogicalResult FuncQuantizer::convertFlatten(Operation *op, Value input) {
  RankedTensorType in = tensorType(input), out = tensorType(op->getResult(0));
  if (in.getRank() < 2 || out.getRank() != 2 ||
      in.getDimSize(0) != out.getDimSize(0))
    return failure();
  int64_t inner = 1;
  for (int64_t d = 2; d < in.getRank(); ++d)
    inner *= in.getDimSize(d);
  if (ShapedType::isDynamic(inner) || in.isDynamicDim(1) ||
      out.getDimSize(1) != in.getDimSize(1) * inner)
    return failure();
  Value x = fmap(input);
  if (!x)
    return failure();
  auto enc = qnn::encodingOf<qnn::FmapAttr>(x.getType());
  b.setInsertionPoint(op);
  Value res = qnn::FlattenOp::create(
      b, op->getLoc(), fmapType(out, enc.getValues(), enc.getBlock() * inner),
      x);
  replace(op->getResult(0), res, {op});
  return success();
}

LogicalResult FuncQuantizer::convertClamp(Operation *op) {
  Value x = fmap(op->getOperand(0));
  if (!x)
    return failure();
  auto enc = qnn::encodingOf<qnn::FmapAttr>(x.getType());
  SmallVector<int32_t> fracs;
  for (int64_t c = 0; c < enc.extent(); ++c)
    fracs.push_back(enc.at(c));
  DenseI32ArrayAttr lo, hi;
  actBounds(op, fracs, lo, hi);
  b.setInsertionPoint(op);
  Value res = qnn::ClampOp::create(b, op->getLoc(), x.getType(), x, lo, hi);
  replace(op->getResult(0), res, {op});
  return success();
}

LogicalResult FuncQuantizer::run() {
  batch = modelBatch(func);
  SmallVector<Operation *> ops;
  for (Operation &op : func.getBody().front())
    if (isa<nn::NNDialect>(op.getDialect()))
      ops.push_back(&op);
  // Ops fused into a producer are erased when it converts.
  llvm::DenseSet<Operation *> erased;
  for (Operation *op : ops) {
    if (erased.contains(op))
      continue;
    // The integer kernels and the DLP take 1-D and 2-D windows: a 3-D
    // convolution or pool stays float (a host float segment).
    if (isa<nn::ConvOp, nn::MaxPoolOp, nn::AvgPoolOp, nn::GlobalAvgPoolOp>(op) &&
        cast<RankedTensorType>(op->getOperand(0).getType()).getRank() > 4) {
      ++numFloat;
      continue;
    }
    Operation *act = nullptr;
    if (isa<nn::ConvOp, nn::FullyConnectedOp, nn::AddOp>(op))
      act = fusibleActivation(op->getResult(0));
    LogicalResult done =
        llvm::TypeSwitch<Operation *, LogicalResult>(op)
            .Case([&](nn::ConvOp o) {
              return convertMac(o, o.getInput(), o.getWeight(), o.getBias(),
                                true);
            })
            .Case([&](nn::FullyConnectedOp o) {
              return convertMac(o, o.getInput(), o.getWeight(), o.getBias(),
                                false);
            })
            .Case<nn::MaxPoolOp, nn::AvgPoolOp, nn::GlobalAvgPoolOp>(
                [&](Operation *o) { return convertPool(o); })
            .Case([&](nn::AddOp o) { return convertAdd(o); })
            .Case([&](nn::ConcatOp o) { return convertConcat(o); })
            .Case([&](nn::FlattenOp o) {
              return o.getAxis() == 1 ? convertFlatten(o, o.getInput())
                                      : failure();
            })
            .Case([&](nn::ReshapeOp o) {
              return convertFlatten(o, o.getInput());
            })
            .Case<nn::ReluOp, nn::ClipOp>(
                [&](Operation *o) { return convertClamp(o); })
            .Default([](Operation *) { return failure(); });
    if (failedHard)
      return failure();
    if (succeeded(done)) {
      if (act)
        erased.insert(act);
    } else {
      ++numFloat;
    }
  }
  // Activations between quantized maps become exact int8 tables.
  // and x * gate of int8 maps an integer per-channel scaling (after the
  // tables: a gate may be a table's output).
  if (cfg.tables) {
    numTables = quant::tabulateActivations(func);
    numChannelMuls = quant::scaleChannels(func);
  }
  // An equality of a dequantized map and a float value that is also
  // quantized (CenterNet's maxpool(h) == h) compares the two on one grid:
  // the float side is replaced by its own quantize / dequantize (a float
  // and its rounding are almost never equal).
  func.walk([&](nn::EqualOp eq) {
    for (unsigned i = 0; i < 2; ++i) {
      Value v = eq->getOperand(i), other = eq->getOperand(1 - i);
      if (!other.getDefiningOp<qnn::DequantizeOp>() ||
          v.getDefiningOp<qnn::DequantizeOp>())
        continue;
      auto q = llvm::find_if(v.getUsers(), [](Operation *u) {
        return isa<qnn::QuantizeOp>(u);
      });
      if (q == v.getUsers().end())
        continue;
      b.setInsertionPoint(eq);
      Location loc = NameLoc::get(
          b.getStringAttr(quant::tensorName(eq.getResult()) + "/operand" +
                          std::to_string(i)),
          eq.getLoc());
      Value back =
          qnn::DequantizeOp::create(b, loc, v.getType(), (*q)->getResult(0));
      eq->setOperand(i, back);
    }
  });
  // Drop what the rewrite left unused: dequantize ops of values only
  // quantized consumers read, and the float weights.
  SmallVector<Operation *> worklist;
  for (Operation &op : func.getBody().front())
    worklist.push_back(&op);
  for (Operation *op : llvm::reverse(worklist))
    if (op->use_empty() &&
        isa<qnn::DequantizeOp, qnn::QuantizeOp, arith::ConstantOp>(op))
      op->erase();
  return success();
}

/// Top-1 agreement and output error of `func` quantized with `cfg` / `plan`
/// against the float outputs `ref` (samples x classes), on a copy of the
/// function.
/// Warnings of the copy's quantization are dropped (the real run repeats
/// them).
FailureOr<quant::PrecisionMeasure>
measureOf(func::FuncOp func, const quant::CalibrationTable &table,
          const PrecisionConfig &cfg, const quant::WeightPlan *plan,
          const quant::CalibrationSamples &samples, ArrayRef<float> ref,
          int64_t classes) {
  ScopedDiagnosticHandler quiet(func.getContext(), [](Diagnostic &d) {
    return success(d.getSeverity() == DiagnosticSeverity::Warning ||
                   d.getSeverity() == DiagnosticSeverity::Remark);
  });
  auto copy = cast<func::FuncOp>(func->clone());
  llvm::scope_exit erase([&] { copy->erase(); });
  llvm::StringSet<llvm::MallocAllocator> used;
  FuncQuantizer q(copy, table, cfg, used, plan);
  if (failed(q.run()))
    return failure();
  int64_t n = 0;
  FailureOr<std::vector<float>> out =
      quant::evaluateOutputs(copy, samples, unsigned(dlp::compileThreads()), n);
  if (failed(out))
    return failure();
  if (n != classes)
    return func.emitError("the quantized model's output has another size");
  return quant::PrecisionMeasure{
      quant::top1Agreement(out->data(), ref.data(), samples.count, classes),
      quant::outputError(out->data(), ref.data(), int64_t(ref.size()))};
}

class QuantizePass : public dlp::impl::DLPQuantizeBase<QuantizePass> {
public:
  using Base::Base;
  QuantizePass(const DLPQuantizeOptions &options,
               std::shared_ptr<const quant::CalibrationTable> table,
               std::shared_ptr<const quant::CalibrationSamples> samples)
      : Base(options), table(std::move(table)), samples(std::move(samples)) {}

  void runOnOperation() override;

private:
  /// precision=auto on one function: adds the int8 layers to `cfg`.
  /// The rounding is planned on `samples`, the agreement measured on
  /// `heldOut` (may be the same samples).
  LogicalResult choosePrecision(func::FuncOp func,
                                const quant::CalibrationTable &table,
                                const quant::CalibrationSamples &samples,
                                const quant::CalibrationSamples &heldOut,
                                bool heldOutDiffers, PrecisionConfig &cfg);
  /// The weight plan of `func` for the precisions `cfg` says.
  FailureOr<quant::WeightPlan> plan(func::FuncOp func,
                                    const quant::CalibrationTable &table,
                                    const quant::CalibrationSamples &samples,
                                    const PrecisionConfig &cfg);

  std::shared_ptr<const quant::CalibrationTable> table;
  std::shared_ptr<const quant::CalibrationSamples> samples;
};

FailureOr<quant::WeightPlan>
QuantizePass::plan(func::FuncOp func, const quant::CalibrationTable &table,
                   const quant::CalibrationSamples &samples,
                   const PrecisionConfig &cfg) {
  quant::WeightPlanOptions opt;
  opt.perLayer = cfg.perLayerScale;
  opt.maxFracSpread = cfg.maxFracSpread;
  opt.numThreads = unsigned(dlp::compileThreads());
  return quant::planWeights(
      func, samples, table, opt,
      [&](StringRef layer, ArrayRef<float> w, int64_t numOut) {
        return cfg.isInt8(layer, w, numOut);
      });
}

LogicalResult
QuantizePass::choosePrecision(func::FuncOp func,
                              const quant::CalibrationTable &table,
                              const quant::CalibrationSamples &samples,
                              const quant::CalibrationSamples &heldOut,
                              bool heldOutDiffers, PrecisionConfig &cfg) {
  int64_t classes = 0;
  FailureOr<std::vector<float>> ref = quant::evaluateOutputs(
      func, heldOut, unsigned(dlp::compileThreads()), classes);
  if (failed(ref))
    return failure();
  // Every trial plans the layers for its precisions (with gptq): a layer's
  // rounding and bias correction depend on the precisions before it.
  bool gptq = weightRounding == "gptq";
  bool failedRun = false;
  quant::AutoPrecisionResult r = quant::searchPrecision(
      quant::layerMacs(func), autoAgreement,
      [&](const std::set<std::string> &int8) {
        PrecisionConfig trial = cfg;
        for (const std::string &l : int8)
          trial.int8[l] = true;
        std::optional<quant::WeightPlan> p;
        if (gptq && !failedRun) {
          FailureOr<quant::WeightPlan> made = plan(func, table, samples, trial);
          failedRun |= failed(made);
          if (succeeded(made))
            p = std::move(*made);
        }
        if (failedRun)
          return quant::PrecisionMeasure();
        FailureOr<quant::PrecisionMeasure> m = measureOf(
            func, table, trial, p ? &*p : nullptr, heldOut, *ref, classes);
        failedRun |= failed(m);
        return failed(m) ? quant::PrecisionMeasure() : *m;
      });
  if (failedRun)
    return failure();
  for (const std::string &l : r.int8)
    cfg.int8[l] = true;
  double agreement = r.agreement;
  std::string names;
  for (const std::string &l : r.int8)
    names += (names.empty() ? "" : ", ") + l;
  InFlightDiagnostic d = agreement >= autoAgreement
                             ? emitRemark(func.getLoc())
                             : emitWarning(func.getLoc());
  d << "precision=auto: " << r.int8.size() << " of "
    << quant::layerMacs(func).size() << " conv / fully-connected layers int8"
    << (names.empty() ? "" : " (") << names << (names.empty() ? "" : ")")
    << ", " << llvm::formatv("{0:f1}", 100.0 * r.pow2Fraction())
    << " % of MACs on pow2-4 weights; top-1 agreement with the float model "
    << llvm::formatv("{0:f2}", agreement) << " % on " << heldOut.count
    << (heldOutDiffers ? " held-out" : "") << " calibration samples (target "
    << llvm::formatv("{0:f2}", autoAgreement.getValue()) << " %"
    << (agreement >= autoAgreement ? "" : ", not reached") << ")";
  pow2MacPermille = int64_t(1000.0 * r.pow2Fraction() + 0.5);
  return success();
}

void QuantizePass::runOnOperation() {
  ModuleOp module = getOperation();
  std::shared_ptr<const quant::CalibrationTable> t = table;
  if (!t) {
    if (calibrationFile.empty()) {
      emitError(module.getLoc(), "--dlp-quantize needs a calibration table "
                                 "(calibration=table.json)");
      return signalPassFailure();
    }
    auto read = quant::CalibrationTable::readFile(calibrationFile);
    if (!read) {
      emitError(module.getLoc()) << llvm::toString(read.takeError());
      return signalPassFailure();
    }
    t = std::make_shared<quant::CalibrationTable>(std::move(*read));
  }
  PrecisionConfig cfg;
  if (defaultWeights != "pow2" && defaultWeights != "int8") {
    emitError(module.getLoc())
        << "weights must be pow2 or int8, got '" << defaultWeights << "'";
    return signalPassFailure();
  }
  cfg.defaultInt8 = defaultWeights == "int8";
  if (weightScale != "channel" && weightScale != "layer") {
    emitError(module.getLoc()) << "weight-scale must be channel or layer, "
                                  "got '"
                               << weightScale << "'";
    return signalPassFailure();
  }
  cfg.perLayerScale = weightScale == "layer";
  cfg.autoSqnr = autoInt8Sqnr;
  if (maxFracSpread < 0) {
    emitError(module.getLoc()) << "max-frac-spread must be >= 0";
    return signalPassFailure();
  }
  cfg.maxFracSpread = maxFracSpread;
  cfg.tables = tables;
  if (weightRounding != "nearest" && weightRounding != "gptq") {
    emitError(module.getLoc()) << "weight-rounding must be nearest or gptq, "
                                  "got '"
                               << weightRounding << "'";
    return signalPassFailure();
  }
  bool autoPrecision = precisionFile == "auto";
  if (autoPrecision && !(autoAgreement > 0 && autoAgreement <= 100)) {
    emitError(module.getLoc())
        << "auto-agreement must be a percentage in (0, 100], got "
        << llvm::formatv("{0:f2}", autoAgreement.getValue());
    return signalPassFailure();
  }
  if (gptqSamples < 1 || autoSamples < 1) {
    emitError(module.getLoc())
        << (gptqSamples < 1 ? "gptq" : "auto") << "-samples must be >= 1";
    return signalPassFailure();
  }
  if (!precisionFile.empty() && !autoPrecision &&
      failed(readPrecisionFile(precisionFile, cfg, module.getLoc())))
    return signalPassFailure();
  for (const std::string &l : int8Layers)
    cfg.int8[l] = true;

  // Calibration samples: dlpc's in memory, or calib-inputs.
  bool gptq = weightRounding == "gptq";
  std::shared_ptr<const quant::CalibrationSamples> s = samples;
  if ((gptq || autoPrecision) && !s) {
    if (calibInputs.empty()) {
      emitError(module.getLoc())
          << (gptq ? "weight-rounding=gptq" : "precision=auto")
          << " needs calibration samples (calib-inputs=x.npy, or dlpc "
             "--calib)";
      return signalPassFailure();
    }
    auto read = quant::CalibrationSamples::readNpy(
        SmallVector<std::string>(calibInputs.begin(), calibInputs.end()));
    if (!read) {
      emitError(module.getLoc()) << llvm::toString(read.takeError());
      return signalPassFailure();
    }
    s = std::make_shared<quant::CalibrationSamples>(std::move(*read));
  }
  // The rounding's samples, and the precision search's held-out ones. The
  // plan holds every sample's feature maps: at most 2 GiB of them.
  quant::CalibrationSamples fit, heldOut;
  if (s) {
    int64_t fitCount = std::min<int64_t>(s->count, gptqSamples);
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      int64_t limit = quant::planSampleLimit(func, int64_t(1) << 31);
      // Whole batches of a model with a static batch.
      if (auto t = func.getNumArguments() ? dyn_cast<RankedTensorType>(
                                                func.getArgument(0).getType())
                                          : RankedTensorType();
          t && t.getRank() && !t.isDynamicDim(0) && t.getDimSize(0) > 1)
        limit = std::max(t.getDimSize(0),
                         limit / t.getDimSize(0) * t.getDimSize(0));
      if (limit < fitCount) {
        emitWarning(module.getLoc())
            << "weight rounding: planning on the first " << limit << " of "
            << fitCount << " calibration samples (their feature maps must "
            << "fit 2 GiB)";
        fitCount = limit;
      }
    }
    fit = s->slice(0, fitCount);
    heldOut = s->count > gptqSamples
                  ? s->slice(gptqSamples,
                             std::min<int64_t>(s->count, int64_t(gptqSamples) +
                                                             autoSamples))
                  : fit;
  }

  ResourceReleaser releaser(module);
  llvm::StringSet<llvm::MallocAllocator> used;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    if (autoPrecision && failed(choosePrecision(func, *t, fit, heldOut,
                                                s->count > gptqSamples, cfg)))
      return signalPassFailure();
    std::optional<quant::WeightPlan> p;
    if (gptq) {
      FailureOr<quant::WeightPlan> made = plan(func, *t, fit, cfg);
      if (failed(made))
        return signalPassFailure();
      p = std::move(*made);
    }
    FuncQuantizer q(func, *t, cfg, used, p ? &*p : nullptr);
    if (failed(q.run()))
      return signalPassFailure();
    numPow2 += q.numPow2;
    numInt8 += q.numInt8;
    numQuantized += q.numQuantized;
    numFloat += q.numFloat;
    numNarrowed += q.numNarrowed;
    numTables += q.numTables;
    numChannelMuls += q.numChannelMuls;
  }
  for (auto [names, what] :
       {std::pair{&cfg.csr, "' for CSR"}, std::pair{&cfg.int8, "'"}})
    for (const auto &entry : *names)
      if (!used.contains(entry.getKey())) {
        emitError(module.getLoc())
            << "precision config names layer '" << entry.getKey() << what
            << ", which is not a quantized conv / fully-connected layer of "
               "this model";
        return signalPassFailure();
      }
  releaser.releaseDropped();
}
} // namespace

std::unique_ptr<Pass>
dlp::createDLPQuantize(const DLPQuantizeOptions &options,
                       std::shared_ptr<const quant::CalibrationTable> table,
                       std::shared_ptr<const quant::CalibrationSamples> samples) {
  return std::make_unique<QuantizePass>(options, std::move(table),
                                        std::move(samples));
}

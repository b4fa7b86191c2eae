//===- QNNDialect.cpp - qnn dialect, scale encodings, derived scales ------===//
#include "llvm/ADT/TypeSwitch.h"

#include "QNN/QNNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

#include "dlp/Support/Proof.h"
#include "dlprt/Numerics.h"

using namespace mlir;
using namespace dlp::qnn;

#include "QNN/QNNDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "QNN/QNNAttrs.cpp.inc"

void QNNDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "QNN/QNNAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "QNN/QNNOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Scale encodings: `<[v0, v1, ...]>` or `<[...], block = B>`
//===----------------------------------------------------------------------===//

namespace {
/// Parses the body shared by the four scale encodings.
bool parseScales(AsmParser &parser, SmallVectorImpl<int32_t> &values,
                 int64_t &block) {
  block = 1;
  if (parser.parseLess() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        int32_t v;
        if (parser.parseInteger(v))
          return failure();
        values.push_back(v);
        return success();
      }))
    return false;
  if (succeeded(parser.parseOptionalComma()) &&
      (parser.parseKeyword("block") || parser.parseEqual() ||
       parser.parseInteger(block)))
    return false;
  return succeeded(parser.parseGreater());
}

void printScales(AsmPrinter &printer, ArrayRef<int32_t> values,
                 int64_t block) {
  printer << "<[";
  llvm::interleaveComma(values, printer);
  printer << "]";
  if (block != 1)
    printer << ", block = " << block;
  printer << ">";
}

LogicalResult verifyScales(function_ref<InFlightDiagnostic()> emitError,
                           ArrayRef<int32_t> values, int64_t block,
                           int32_t lo, int32_t hi, StringRef what) {
  if (values.empty())
    return emitError() << "needs at least one " << what;
  if (block < 1)
    return emitError() << "block must be positive, got " << block;
  for (auto [i, v] : llvm::enumerate(values))
    if (v < lo || v > hi)
      return emitError() << what << " #" << i << " is " << v
                         << ", outside [" << lo << ", " << hi << "]";
  return success();
}
} // namespace

#define QNN_SCALE_ATTR(CLASS, LO, HI, WHAT)                                    \
  Attribute CLASS::parse(AsmParser &parser, Type) {                            \
    SmallVector<int32_t> values;                                               \
    int64_t block;                                                             \
    if (!parseScales(parser, values, block))                                   \
      return {};                                                               \
    return parser.getChecked<CLASS>(parser.getContext(), values, block);       \
  }                                                                            \
  void CLASS::print(AsmPrinter &printer) const {                               \
    printScales(printer, getValues(), getBlock());                             \
  }                                                                            \
  LogicalResult CLASS::verify(function_ref<InFlightDiagnostic()> emitError,    \
                              ArrayRef<int32_t> values, int64_t block) {       \
    return verifyScales(emitError, values, block, LO, HI, WHAT);               \
  }

namespace num = dlprt::num;
QNN_SCALE_ATTR(FmapAttr, num::kMinFrac, num::kMaxFrac, "fractional bit count")
// Window tops and weight / accumulator scales: bounded so every derived
// shift stays far inside 64-bit arithmetic; the op verifiers check the
// contract's tighter shift bounds.
QNN_SCALE_ATTR(Pow2Attr, -64, 64, "window top n1")
QNN_SCALE_ATTR(Int8WAttr, -64, 64, "weight fractional bit count")
QNN_SCALE_ATTR(AccAttr, -128, 128, "accumulator fractional bit count")

//===----------------------------------------------------------------------===//
// Derived scales
//===----------------------------------------------------------------------===//

RankedTensorType dlp::qnn::withEncoding(RankedTensorType type,
                                        Attribute enc) {
  return RankedTensorType::get(type.getShape(), type.getElementType(), enc);
}

int32_t dlp::qnn::weightLsb(Attribute enc, int64_t o) {
  if (auto p = dyn_cast<Pow2Attr>(enc))
    return p.at(o) - num::kPow2Span;
  return -cast<Int8WAttr>(enc).at(o);
}

SmallVector<int32_t> dlp::qnn::accumulatorFracs(FmapAttr input,
                                                Attribute weightEnc,
                                                int64_t numOutputs,
                                                int64_t inPerGroup,
                                                int64_t group) {
  SmallVector<int32_t> acc(numOutputs);
  int64_t outPerGroup = numOutputs / group;
  for (int64_t g = 0; g < group; ++g) {
    int32_t fmax = INT32_MIN;
    for (int64_t i = g * inPerGroup; i < (g + 1) * inPerGroup; ++i)
      fmax = std::max(fmax, input.at(i));
    for (int64_t o = g * outPerGroup; o < (g + 1) * outPerGroup; ++o)
      acc[o] = fmax - weightLsb(weightEnc, o);
  }
  return acc;
}

std::string dlp::qnn::proveNoOverflow(Operation *op, ArrayRef<int8_t> weights,
                                      ArrayRef<int32_t> bias) {
  Value input, weight;
  int64_t group = 1;
  if (auto c = dyn_cast<ConvOp>(op)) {
    input = c.getInput();
    weight = c.getWeight();
    group = c.getGroup();
  } else if (auto f = dyn_cast<FullyConnectedOp>(op)) {
    input = f.getInput();
    weight = f.getWeight();
  } else {
    return "not a conv or fully-connected op";
  }
  auto wt = cast<RankedTensorType>(weight.getType());
  Attribute enc = wt.getEncoding();
  FmapAttr in = encodingOf<FmapAttr>(input.getType());
  int64_t numOut = wt.getDimSize(0), inPerGroup = wt.getDimSize(1);
  if (numOut <= 0 || inPerGroup <= 0 ||
      int64_t(weights.size()) % (numOut * inPerGroup) != 0 ||
      (!bias.empty() && int64_t(bias.size()) != numOut))
    return "weight or bias size does not match the layer";
  int64_t taps = int64_t(weights.size()) / (numOut * inPerGroup);
  SmallVector<int32_t> inFrac, scale;
  for (int64_t i = 0; i < inPerGroup * group; ++i)
    inFrac.push_back(in.at(i));
  for (int64_t o = 0; o < numOut; ++o)
    scale.push_back(isa<Pow2Attr>(enc) ? cast<Pow2Attr>(enc).at(o)
                                       : cast<Int8WAttr>(enc).at(o));
  SmallVector<int32_t> acc =
      accumulatorFracs(in, enc, numOut, inPerGroup, group);
  return dlp::proveNoOverflowParallel(
      {weights.data(), scale.data(), isa<Pow2Attr>(enc), numOut, inPerGroup,
       taps, group, inFrac.data(), acc.data(),
       bias.empty() ? nullptr : bias.data()});
}

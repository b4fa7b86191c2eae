//===- NNOps.cpp - nn op type inference and verifiers ---------------------===//
//
// Result shapes come from NNShapes (shared with the evaluator); this file
// adapts them to MLIR types and diagnostics.
//
//===----------------------------------------------------------------------===//

#include "NN/NNOps.h"
#include "NN/NNShapes.h"

using namespace mlir;
using namespace dlp::nn;
namespace shp = dlp::nn::shapes;

static_assert(shp::kDynamic == ShapedType::kDynamic,
              "NNShapes must use MLIR's dynamic extent marker");

namespace {
ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// Turns a shape rule's outcome into an inferred f32 tensor type or a
/// diagnostic at `loc` prefixed by the op name.
LogicalResult finish(MLIRContext *ctx, std::optional<Location> loc,
                     StringRef opName, const shp::ShapeResult &r,
                     SmallVectorImpl<Type> &types) {
  if (!r.ok)
    return emitOptionalError(loc, "'", opName, "' op ", r.error);
  types.push_back(RankedTensorType::get(r.shape, Float32Type::get(ctx)));
  return success();
}

/// A conv's optional bias must have one element per output channel.
void checkBias(shp::ShapeResult &r, Value bias, int64_t m) {
  if (!r.ok || !bias)
    return;
  ArrayRef<int64_t> b = shapeOf(bias);
  if (b.size() != 1 ||
      (b[0] != m && !ShapedType::isDynamic(b[0]) && !ShapedType::isDynamic(m)))
    r = shp::ShapeResult::failure("bias must have shape [" + std::to_string(m) +
                                  "], found " + shp::toString(b));
}

/// Operands must be ranked tensors before any shape rule runs.
bool allRanked(ValueRange values) {
  return llvm::all_of(values, [](Value v) {
    return isa<RankedTensorType>(v.getType());
  });
}
} // namespace

#define NN_INFER(OP)                                                           \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types)

#define NN_REQUIRE_RANKED(OP)                                                  \
  if (!allRanked(adaptor.getOperands()))                                       \
    return emitOptionalError(loc, "'", OP::getOperationName(),                 \
                             "' op operands must be ranked tensors");

//===----------------------------------------------------------------------===//
// Broadcasting element-wise ops
//===----------------------------------------------------------------------===//

#define NN_BROADCAST_INFER(OP)                                                 \
  NN_INFER(OP) {                                                               \
    NN_REQUIRE_RANKED(OP)                                                      \
    return finish(ctx, loc, OP::getOperationName(),                            \
                  shp::broadcast(shapeOf(adaptor.getLhs()),                    \
                                 shapeOf(adaptor.getRhs())),                   \
                  types);                                                      \
  }
NN_BROADCAST_INFER(AddOp)
NN_BROADCAST_INFER(SubOp)
NN_BROADCAST_INFER(MulOp)
NN_BROADCAST_INFER(DivOp)
NN_BROADCAST_INFER(MaxOp)
NN_BROADCAST_INFER(MinOp)
NN_BROADCAST_INFER(PowOp)
NN_BROADCAST_INFER(EqualOp)
NN_BROADCAST_INFER(LessOp)
NN_BROADCAST_INFER(LessEqualOp)
#undef NN_BROADCAST_INFER

NN_INFER(WhereOp) {
  NN_REQUIRE_RANKED(WhereOp)
  return finish(ctx, loc, getOperationName(),
                shp::broadcast3(shapeOf(adaptor.getCondition()),
                                shapeOf(adaptor.getLhs()),
                                shapeOf(adaptor.getRhs())),
                types);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

#define NN_REDUCE_INFER(OP)                                                    \
  NN_INFER(OP) {                                                               \
    NN_REQUIRE_RANKED(OP)                                                      \
    return finish(ctx, loc, OP::getOperationName(),                            \
                  shp::reduce(shapeOf(adaptor.getInput()), adaptor.getAxes(),  \
                              adaptor.getKeepdims()),                          \
                  types);                                                      \
  }
NN_REDUCE_INFER(ReduceMeanOp)
NN_REDUCE_INFER(ReduceSumOp)
NN_REDUCE_INFER(ReduceMaxOp)
NN_REDUCE_INFER(ReduceMinOp)
#undef NN_REDUCE_INFER

//===----------------------------------------------------------------------===//
// Convolution, pooling, normalization
//===----------------------------------------------------------------------===//

NN_INFER(ConvOp) {
  NN_REQUIRE_RANKED(ConvOp)
  shp::ShapeResult r = shp::conv(
      shapeOf(adaptor.getInput()), shapeOf(adaptor.getWeight()),
      adaptor.getStrides(), adaptor.getPads(), adaptor.getDilations(),
      static_cast<int64_t>(adaptor.getGroup()));
  if (r.ok)
    checkBias(r, adaptor.getBias(), shapeOf(adaptor.getWeight())[0]);
  return finish(ctx, loc, getOperationName(), r, types);
}

NN_INFER(ConvTransposeOp) {
  NN_REQUIRE_RANKED(ConvTransposeOp)
  shp::ShapeResult r = shp::convTranspose(
      shapeOf(adaptor.getInput()), shapeOf(adaptor.getWeight()),
      adaptor.getStrides(), adaptor.getPads(), adaptor.getDilations(),
      adaptor.getOutputPadding(), static_cast<int64_t>(adaptor.getGroup()));
  if (r.ok)
    checkBias(r, adaptor.getBias(), r.shape[1]);
  return finish(ctx, loc, getOperationName(), r, types);
}

NN_INFER(ResizeOp) {
  NN_REQUIRE_RANKED(ResizeOp)
  StringRef mode = adaptor.getMode(),
            coord = adaptor.getCoordinateTransformationMode(),
            nearest = adaptor.getNearestMode();
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return emitOptionalError(loc, "'", getOperationName(),
                             "' op mode must be nearest, linear or cubic, "
                             "found '",
                             mode, "'");
  if (!llvm::is_contained({"half_pixel", "pytorch_half_pixel", "align_corners",
                           "asymmetric", "tf_half_pixel_for_nn",
                           "tf_crop_and_resize"},
                          coord))
    return emitOptionalError(loc, "'", getOperationName(),
                             "' op unknown coordinate_transformation_mode '",
                             coord, "'");
  size_t roiSize = coord == "tf_crop_and_resize"
                       ? 2 * shapeOf(adaptor.getInput()).size()
                       : 0;
  if (adaptor.getRoi().size() != roiSize)
    return emitOptionalError(loc, "'", getOperationName(), "' op expected ",
                             roiSize, " roi entries, found ",
                             adaptor.getRoi().size());
  if (!llvm::is_contained(
          {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"},
          nearest))
    return emitOptionalError(loc, "'", getOperationName(),
                             "' op unknown nearest_mode '", nearest, "'");
  return finish(ctx, loc, getOperationName(),
                shp::resize(shapeOf(adaptor.getInput()), adaptor.getSizes(),
                            adaptor.getScales()),
                types);
}

NN_INFER(MaxPoolOp) {
  NN_REQUIRE_RANKED(MaxPoolOp)
  return finish(ctx, loc, getOperationName(),
                shp::pool(shapeOf(adaptor.getInput()),
                          adaptor.getKernelShape(), adaptor.getStrides(),
                          adaptor.getPads(), adaptor.getDilations(),
                          adaptor.getCeilMode()),
                types);
}

NN_INFER(AvgPoolOp) {
  NN_REQUIRE_RANKED(AvgPoolOp)
  return finish(ctx, loc, getOperationName(),
                shp::pool(shapeOf(adaptor.getInput()),
                          adaptor.getKernelShape(), adaptor.getStrides(),
                          adaptor.getPads(), {}, adaptor.getCeilMode()),
                types);
}

NN_INFER(GlobalAvgPoolOp) {
  NN_REQUIRE_RANKED(GlobalAvgPoolOp)
  return finish(ctx, loc, getOperationName(),
                shp::globalPool(shapeOf(adaptor.getInput())), types);
}

NN_INFER(BatchNormOp) {
  NN_REQUIRE_RANKED(BatchNormOp)
  SmallVector<ArrayRef<int64_t>> params = {
      shapeOf(adaptor.getScale()), shapeOf(adaptor.getBias()),
      shapeOf(adaptor.getMean()), shapeOf(adaptor.getVar())};
  return finish(ctx, loc, getOperationName(),
                shp::batchNorm(shapeOf(adaptor.getInput()), params), types);
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

NN_INFER(GemmOp) {
  NN_REQUIRE_RANKED(GemmOp)
  ArrayRef<int64_t> c;
  if (adaptor.getC())
    c = shapeOf(adaptor.getC());
  return finish(ctx, loc, getOperationName(),
                shp::gemm(shapeOf(adaptor.getA()), shapeOf(adaptor.getB()),
                          adaptor.getC() ? &c : nullptr, adaptor.getTransA(),
                          adaptor.getTransB()),
                types);
}

NN_INFER(MatMulOp) {
  NN_REQUIRE_RANKED(MatMulOp)
  return finish(ctx, loc, getOperationName(),
                shp::matmul(shapeOf(adaptor.getLhs()),
                            shapeOf(adaptor.getRhs())),
                types);
}

NN_INFER(FullyConnectedOp) {
  NN_REQUIRE_RANKED(FullyConnectedOp)
  ArrayRef<int64_t> b;
  if (adaptor.getBias())
    b = shapeOf(adaptor.getBias());
  return finish(ctx, loc, getOperationName(),
                shp::fullyConnected(shapeOf(adaptor.getInput()),
                                    shapeOf(adaptor.getWeight()),
                                    adaptor.getBias() ? &b : nullptr),
                types);
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

NN_INFER(ConcatOp) {
  NN_REQUIRE_RANKED(ConcatOp)
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : adaptor.getInputs())
    shapes.push_back(shapeOf(v));
  return finish(ctx, loc, getOperationName(),
                shp::concat(shapes, static_cast<int64_t>(adaptor.getAxis())),
                types);
}

NN_INFER(FlattenOp) {
  NN_REQUIRE_RANKED(FlattenOp)
  return finish(ctx, loc, getOperationName(),
                shp::flatten(shapeOf(adaptor.getInput()),
                             static_cast<int64_t>(adaptor.getAxis())),
                types);
}

NN_INFER(ReshapeOp) {
  NN_REQUIRE_RANKED(ReshapeOp)
  return finish(ctx, loc, getOperationName(),
                shp::reshape(shapeOf(adaptor.getInput()), adaptor.getShape(),
                             adaptor.getAllowzero()),
                types);
}

NN_INFER(TransposeOp) {
  NN_REQUIRE_RANKED(TransposeOp)
  return finish(ctx, loc, getOperationName(),
                shp::transpose(shapeOf(adaptor.getInput()), adaptor.getPerm()),
                types);
}

NN_INFER(SqueezeOp) {
  NN_REQUIRE_RANKED(SqueezeOp)
  return finish(ctx, loc, getOperationName(),
                shp::squeeze(shapeOf(adaptor.getInput()), adaptor.getAxes()),
                types);
}

NN_INFER(UnsqueezeOp) {
  NN_REQUIRE_RANKED(UnsqueezeOp)
  return finish(ctx, loc, getOperationName(),
                shp::unsqueeze(shapeOf(adaptor.getInput()), adaptor.getAxes()),
                types);
}

NN_INFER(SliceOp) {
  NN_REQUIRE_RANKED(SliceOp)
  return finish(ctx, loc, getOperationName(),
                shp::slice(shapeOf(adaptor.getInput()), adaptor.getStarts(),
                           adaptor.getEnds(), adaptor.getAxes(),
                           adaptor.getSteps()),
                types);
}

NN_INFER(ExpandOp) {
  NN_REQUIRE_RANKED(ExpandOp)
  for (int64_t d : adaptor.getShape())
    if (d < 0)
      return emitOptionalError(loc, "'", getOperationName(),
                               "' op shape entries must be non-negative");
  return finish(ctx, loc, getOperationName(),
                shp::broadcast(shapeOf(adaptor.getInput()), adaptor.getShape()),
                types);
}

NN_INFER(PadOp) {
  NN_REQUIRE_RANKED(PadOp)
  StringRef mode = adaptor.getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return emitOptionalError(loc, "'", getOperationName(),
                             "' op mode must be constant, reflect or edge, "
                             "found '",
                             mode, "'");
  return finish(ctx, loc, getOperationName(),
                shp::pad(shapeOf(adaptor.getInput()), adaptor.getPads()),
                types);
}

//===----------------------------------------------------------------------===//
// Verifiers of attribute-only constraints
//===----------------------------------------------------------------------===//

LogicalResult ClipOp::verify() {
  float lo = getMin().convertToFloat(), hi = getMax().convertToFloat();
  if (lo > hi)
    return emitOpError("min (") << lo << ") must not exceed max (" << hi << ")";
  return success();
}

LogicalResult DropoutOp::verify() {
  float r = getRatio().convertToFloat();
  if (!(r >= 0.0f && r < 1.0f))
    return emitOpError("ratio must be in [0, 1), found ") << r;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getInput().getType().getRank();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " out of range [0, " << rank << ")";
  return success();
}

LogicalResult LRNOp::verify() {
  if (static_cast<int64_t>(getSize()) < 1)
    return emitOpError("size must be positive, found ")
           << static_cast<int64_t>(getSize());
  if (getInput().getType().getRank() < 3)
    return emitOpError("input must have rank >= 3 (N x C x spatial)");
  return success();
}

//===- ResampleOps.cpp - ONNX Expand, Split, Resize and Upsample ----------===//
//
// Expand takes its shape from an import-time constant (and folds on integer
// constants); Split becomes one nn.slice per output; Resize / Upsample
// become nn.resize with the output extents and the factors the coordinate
// transform uses.
//
//===----------------------------------------------------------------------===//

#include "ImporterContext.h"
#include "NN/NNShapes.h"

#include <cmath>

using namespace mlir;
using namespace dlp;
using namespace dlp::onnximport;
namespace shp = dlp::nn::shapes;

namespace {
LogicalResult buildExpand(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = nc.constInts(1, "shape");
  if (failed(shape))
    return failure();
  // Integer constants (shape subgraphs) fold: broadcast against zeros of
  // the target shape.
  if (std::shared_ptr<ConstTensor> c = nc.constInput(0); c && c->isInteger()) {
    int64_t n = 1;
    for (int64_t d : *shape)
      n *= d;
    auto folded =
        foldInts({c, ConstTensor::fromInts(*shape, std::vector<int64_t>(n))},
                 [](ArrayRef<int64_t> v) { return v[0]; });
    if (!folded)
      return nc.error() << "shape " << shp::toString(*shape)
                        << " does not broadcast with "
                        << shp::toString(c->dims);
    nc.setOutput(0, folded);
    return success();
  }
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = nc.create<nn::ExpandOp>(*x, nc.i64s(*shape));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildSplit(NodeContext &nc) {
  SmallVector<int64_t> split;
  if (nc.opset() < 13) {
    if (failed(nc.checkAttrs({"axis", "split"})))
      return failure();
    split = nc.attrInts("split");
  } else {
    if (failed(nc.checkAttrs({"axis"})))
      return failure();
    if (nc.hasInput(1)) {
      FailureOr<SmallVector<int64_t>> s = nc.constInts(1, "split");
      if (failed(s))
        return failure();
      split = *s;
    }
  }
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = NodeContext::shapeOf(*x);
  FailureOr<int64_t> axis = nc.normAxis(nc.attrInt("axis", 0), xs.size());
  if (failed(axis))
    return failure();
  int64_t extent = xs[*axis], outputs = nc.node.output_size();
  if (ShapedType::isDynamic(extent))
    return nc.error() << "split axis " << *axis << " has a dynamic extent";
  if (split.empty()) {
    if (outputs < 1 || extent % outputs != 0)
      return nc.error() << "extent " << extent << " on axis " << *axis
                        << " does not split into " << outputs << " equal parts";
    split.assign(outputs, extent / outputs);
  }
  if (int64_t(split.size()) != outputs)
    return nc.error() << "split has " << split.size() << " entries for "
                      << outputs << " outputs";
  int64_t start = 0;
  for (int64_t s : split) {
    if (s < 0)
      return nc.error() << "split entries must be non-negative, found " << s;
    start += s;
  }
  if (start != extent)
    return nc.error() << "split sums to " << start << ", axis " << *axis
                      << " has extent " << extent;
  // Each output its own layer, "<node>/out<i>" (with one output, the
  // node's name): its own calibration entry and dumps.
  start = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    DenseI64ArrayAttr b = nc.i64s({start}), e = nc.i64s({start + split[i]}),
          axes = nc.i64s({*axis}), steps = nc.i64s({1});
    FailureOr<Value> y =
        outputs == 1 ? nc.create<nn::SliceOp>(*x, b, e, axes, steps)
                     : nc.createPart<nn::SliceOp>(("out" + Twine(i)).str(),
                                                  *x, b, e, axes, steps);
    if (failed(y))
      return failure();
    nc.setOutput(i, *y);
    start += split[i];
  }
  return success();
}

/// Creates nn.resize for factors `scales` (output floor(in * scale)) or
/// output extents `sizes` (factor out / in); exactly one is non-empty.
LogicalResult createResize(NodeContext &nc, ArrayRef<double> scales,
                           ArrayRef<int64_t> sizes, StringRef mode,
                           StringRef coord, StringRef nearest,
                           float cubicA = -0.75f, bool excludeOutside = false,
                           ArrayRef<double> roi = {},
                           float extrapolation = 0.0f) {
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = NodeContext::shapeOf(*x);
  size_t rank = xs.size();
  if ((!scales.empty() && scales.size() != rank) ||
      (!sizes.empty() && sizes.size() != rank))
    return nc.error() << "expected " << rank << " "
                      << (scales.empty() ? "sizes" : "scales") << ", found "
                      << (scales.empty() ? sizes.size() : scales.size());
  SmallVector<int64_t> outSizes;
  SmallVector<double> outScales;
  for (size_t d = 0; d < rank; ++d) {
    double s = scales.empty() ? 0.0 : scales[d];
    if (!scales.empty() && !(s > 0.0))
      return nc.error() << "scales must be positive, found " << s << " on axis "
                        << d;
    if (ShapedType::isDynamic(xs[d])) {
      if (scales.empty() || s != 1.0)
        return nc.error() << "axis " << d << " has a dynamic extent and is "
                          << "resized; pin it with --input-shape "
                          << "NAME=D0xD1x... (dlpc, dlp-eval)";
      outSizes.push_back(ShapedType::kDynamic);
      outScales.push_back(1.0);
      continue;
    }
    if (scales.empty()) {
      if (sizes[d] < 1)
        return nc.error() << "sizes must be positive, found " << sizes[d]
                          << " on axis " << d;
      outSizes.push_back(sizes[d]);
      outScales.push_back(double(sizes[d]) / double(xs[d]));
    } else {
      outSizes.push_back(int64_t(std::floor(double(xs[d]) * s)));
      outScales.push_back(s);
    }
  }
  FailureOr<Value> y = nc.create<nn::ResizeOp>(
      *x, nc.i64s(outSizes), nc.b.getDenseF64ArrayAttr(outScales),
      nc.b.getStringAttr(mode), nc.b.getStringAttr(coord),
      nc.b.getStringAttr(nearest), nc.f32(cubicA),
      nc.b.getBoolAttr(excludeOutside), nc.b.getDenseF64ArrayAttr(roi),
      nc.f32(extrapolation));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// Float values of a constant input (empty when absent or empty).
FailureOr<SmallVector<double>> constScales(NodeContext &nc, int i,
                                           StringRef what = "scales") {
  SmallVector<double> v;
  if (!nc.hasInput(i))
    return v;
  std::shared_ptr<ConstTensor> c = nc.constInput(i);
  if (!c)
    return nc.error() << what << " (input #" << i
                      << ") must be a constant known at import time";
  for (int64_t k = 0, e = c->numElements(); k < e; ++k)
    v.push_back(c->at(k));
  return v;
}

/// Upsample (7-9) and Resize-10: asymmetric coordinates, nearest by floor
/// (what onnxruntime does when upsampling; downsampling nearest is refused,
/// its rounding is unspecified).
LogicalResult buildUpsample(NodeContext &nc) {
  SmallVector<double> scales;
  if (nc.opset() < 9) {
    if (failed(nc.checkAttrs({"mode", "scales"})))
      return failure();
    const onnx::AttributeProto *a = nc.attr("scales");
    if (!a)
      return nc.error() << "attribute 'scales' is required";
    scales.assign(a->floats().begin(), a->floats().end());
  } else {
    if (failed(nc.checkAttrs({"mode"})))
      return failure();
    FailureOr<SmallVector<double>> s = constScales(nc, 1);
    if (failed(s))
      return failure();
    scales = *s;
  }
  std::string mode = nc.attrString("mode", "nearest");
  if (mode != "nearest" && mode != "linear")
    return nc.error() << "mode='" << mode << "' is not supported (nearest "
                      << "and linear are)";
  if (mode == "nearest")
    for (double s : scales)
      if (s < 1.0)
        return nc.error() << "nearest downsampling (scale " << s
                          << ") is not supported: its rounding is not "
                             "defined before Resize-11";
  return createResize(nc, scales, {}, mode, "asymmetric", "floor");
}

LogicalResult buildResize(NodeContext &nc) {
  if (failed(nc.checkAttrs({"coordinate_transformation_mode", "cubic_coeff_a",
                            "exclude_outside", "extrapolation_value", "mode",
                            "nearest_mode"})))
    return failure();
  std::string mode = nc.attrString("mode", "nearest");
  std::string coord =
      nc.attrString("coordinate_transformation_mode", "half_pixel");
  std::string nearest = nc.attrString("nearest_mode", "round_prefer_floor");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return nc.error() << "unknown mode '" << mode << "'";
  if (!llvm::is_contained({"half_pixel", "pytorch_half_pixel", "align_corners",
                           "asymmetric", "tf_half_pixel_for_nn",
                           "tf_crop_and_resize"},
                          coord))
    return nc.error() << "unknown coordinate_transformation_mode '" << coord
                      << "'";
  if (!llvm::is_contained(
          {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"},
          nearest))
    return nc.error() << "nearest_mode='" << nearest << "' is not supported";
  FailureOr<SmallVector<double>> scales = constScales(nc, 2);
  if (failed(scales))
    return failure();
  SmallVector<int64_t> sizes;
  if (nc.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> s = nc.constInts(3, "sizes");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (scales->empty() == sizes.empty())
    return nc.error() << "exactly one of scales and sizes must be given";
  SmallVector<double> roi;
  if (coord == "tf_crop_and_resize") {
    FailureOr<SmallVector<double>> r = constScales(nc, 1, "roi");
    if (failed(r))
      return failure();
    roi = *r;
    FailureOr<Value> x = nc.input(0);
    if (failed(x))
      return failure();
    size_t rank = NodeContext::shapeOf(*x).size();
    if (roi.size() != 2 * rank)
      return nc.error() << "tf_crop_and_resize needs " << 2 * rank
                        << " roi entries, found " << roi.size();
  }
  return createResize(nc, *scales, sizes, mode, coord, nearest,
                      nc.attrFloat("cubic_coeff_a", -0.75f),
                      nc.attrInt("exclude_outside", 0) != 0, roi,
                      nc.attrFloat("extrapolation_value", 0.0f));
}

const OpTableEntry kTable[] = {
    {"Expand", 8, 17, buildExpand},    {"Resize", 10, 10, buildUpsample},
    {"Resize", 11, 17, buildResize},   {"Split", 2, 17, buildSplit},
    {"Upsample", 7, 9, buildUpsample},
};
} // namespace

ArrayRef<OpTableEntry> dlp::onnximport::resampleOpTable() { return kTable; }

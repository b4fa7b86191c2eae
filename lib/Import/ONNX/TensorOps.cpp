//===- TensorOps.cpp - ONNX conv, pool, norm and matmul builders ----------===//

#include "ImporterContext.h"

using namespace mlir;
using namespace dlp;
using namespace dlp::onnximport;

namespace {
/// Resolves ONNX pads/auto_pad for a sliding-window op. `kernel` holds the
/// effective extents before dilation.
LogicalResult resolvePads(NodeContext &nc, ArrayRef<int64_t> inShape,
                          ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                          ArrayRef<int64_t> dilations,
                          SmallVectorImpl<int64_t> &pads) {
  size_t spatial = kernel.size();
  std::string autoPad = nc.attrString("auto_pad", "NOTSET");
  pads.assign(nc.attrInts("pads"));
  if (autoPad == "NOTSET") {
    if (pads.empty())
      pads.assign(2 * spatial, 0);
    if (pads.size() != 2 * spatial)
      return nc.error() << "expected " << 2 * spatial << " pads, found "
                        << pads.size();
    return success();
  }
  if (!pads.empty() && llvm::any_of(pads, [](int64_t p) { return p != 0; }))
    return nc.error() << "pads and auto_pad=" << autoPad
                      << " are mutually exclusive";
  pads.assign(2 * spatial, 0);
  if (autoPad == "VALID")
    return success();
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return nc.error() << "unknown auto_pad '" << autoPad << "'";
  for (size_t i = 0; i < spatial; ++i) {
    int64_t in = inShape[2 + i];
    if (ShapedType::isDynamic(in))
      return nc.error() << "auto_pad=" << autoPad
                        << " needs a static spatial extent on axis " << i;
    int64_t out = (in + strides[i] - 1) / strides[i];
    int64_t eff = (kernel[i] - 1) * dilations[i] + 1;
    int64_t total = std::max<int64_t>((out - 1) * strides[i] + eff - in, 0);
    int64_t small = total / 2, big = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : big;
    pads[spatial + i] = autoPad == "SAME_UPPER" ? big : small;
  }
  return success();
}

/// Per-spatial-axis attribute with a default of all ones.
SmallVector<int64_t> onesOr(NodeContext &nc, StringRef name, size_t spatial) {
  SmallVector<int64_t> v = nc.attrInts(name);
  if (v.empty())
    v.assign(spatial, 1);
  return v;
}

/// Operands and window attributes shared by Conv and ConvTranspose.
struct ConvParts {
  Value x, w, bias;
  ArrayRef<int64_t> xs;
  size_t spatial = 0;
  SmallVector<int64_t> kernel, strides, dilations;
};

FailureOr<ConvParts> convParts(NodeContext &nc) {
  ConvParts p;
  FailureOr<Value> x = nc.input(0), w = nc.input(1);
  if (failed(x) || failed(w))
    return failure();
  p.x = *x;
  p.w = *w;
  if (nc.hasInput(2)) {
    FailureOr<Value> b = nc.input(2);
    if (failed(b))
      return failure();
    p.bias = *b;
  }
  p.xs = NodeContext::shapeOf(*x);
  ArrayRef<int64_t> ws = NodeContext::shapeOf(*w);
  if (p.xs.size() < 3 || ws.size() != p.xs.size())
    return nc.error() << "expected input and weight of equal rank >= 3, found "
                      << p.xs.size() << " and " << ws.size();
  p.spatial = p.xs.size() - 2;
  p.kernel.assign(ws.begin() + 2, ws.end());
  SmallVector<int64_t> ks = nc.attrInts("kernel_shape");
  if (!ks.empty() && ArrayRef<int64_t>(ks) != ArrayRef<int64_t>(p.kernel))
    return nc.error() << "kernel_shape disagrees with the weight shape";
  p.strides = onesOr(nc, "strides", p.spatial);
  p.dilations = onesOr(nc, "dilations", p.spatial);
  return p;
}

LogicalResult buildConv(NodeContext &nc) {
  if (failed(nc.checkAttrs({"auto_pad", "dilations", "group", "kernel_shape",
                            "pads", "strides"})))
    return failure();
  FailureOr<ConvParts> parts = convParts(nc);
  if (failed(parts))
    return failure();
  auto &[x, w, bias, xs, spatial, kernel, strides, dilations] = *parts;
  if (strides.size() != spatial || dilations.size() != spatial)
    return nc.error() << "strides/dilations must have " << spatial
                      << " entries";
  SmallVector<int64_t> pads;
  if (failed(resolvePads(nc, xs, kernel, strides, dilations, pads)))
    return failure();
  FailureOr<Value> y = nc.create<nn::ConvOp>(
      x, w, bias, nc.i64s(strides), nc.i64s(pads), nc.i64s(dilations),
      nc.b.getI64IntegerAttr(nc.attrInt("group", 1)));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// ConvTranspose: output_shape and auto_pad become pads (ONNX's rule:
/// total = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 -
/// out; SAME_UPPER puts the odd pad at the end, NOTSET and SAME_LOWER at
/// the start).
LogicalResult buildConvTranspose(NodeContext &nc) {
  if (failed(nc.checkAttrs({"auto_pad", "dilations", "group", "kernel_shape",
                            "output_padding", "output_shape", "pads",
                            "strides"})))
    return failure();
  FailureOr<ConvParts> parts = convParts(nc);
  if (failed(parts))
    return failure();
  auto &[x, w, bias, xs, spatial, kernel, strides, dilations] = *parts;
  SmallVector<int64_t> outPad = nc.attrInts("output_padding");
  if (outPad.empty())
    outPad.assign(spatial, 0);
  if (strides.size() != spatial || dilations.size() != spatial ||
      outPad.size() != spatial)
    return nc.error() << "strides/dilations/output_padding must have "
                      << spatial << " entries";
  std::string autoPad = nc.attrString("auto_pad", "NOTSET");
  SmallVector<int64_t> pads = nc.attrInts("pads");
  SmallVector<int64_t> outShape = nc.attrInts("output_shape");
  if (outShape.size() == spatial + 2)
    outShape.erase(outShape.begin(), outShape.begin() + 2);
  if (!outShape.empty() && outShape.size() != spatial)
    return nc.error() << "output_shape must have " << spatial << " entries";
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    if (outShape.empty())
      for (size_t i = 0; i < spatial; ++i) {
        if (ShapedType::isDynamic(xs[2 + i]))
          return nc.error() << "auto_pad=" << autoPad
                            << " needs a static spatial extent on axis " << i;
        outShape.push_back(xs[2 + i] * strides[i]);
      }
  } else if (autoPad == "VALID") {
    pads.assign(2 * spatial, 0);
  } else if (autoPad != "NOTSET") {
    return nc.error() << "unknown auto_pad '" << autoPad << "'";
  }
  if (!outShape.empty()) {
    pads.assign(2 * spatial, 0);
    for (size_t i = 0; i < spatial; ++i) {
      if (ShapedType::isDynamic(xs[2 + i]))
        return nc.error() << "output_shape needs a static spatial extent on "
                          << "axis " << i;
      int64_t total = strides[i] * (xs[2 + i] - 1) + outPad[i] +
                      (kernel[i] - 1) * dilations[i] + 1 - outShape[i];
      // Floor division, as ONNX's reference: a negative total (a larger
      // output_shape) extends the end.
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      pads[i] = autoPad == "SAME_UPPER" ? half : total - half;
      pads[spatial + i] = total - pads[i];
    }
  }
  if (pads.empty())
    pads.assign(2 * spatial, 0);
  if (pads.size() != 2 * spatial)
    return nc.error() << "expected " << 2 * spatial << " pads, found "
                      << pads.size();
  FailureOr<Value> y = nc.create<nn::ConvTransposeOp>(
      x, w, bias, nc.i64s(strides), nc.i64s(pads), nc.i64s(dilations),
      nc.i64s(outPad), nc.b.getI64IntegerAttr(nc.attrInt("group", 1)));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// MaxPool and AveragePool share attribute handling.
template <bool IsMax>
LogicalResult buildPool(NodeContext &nc) {
  if (failed(nc.checkAttrs({"auto_pad", "ceil_mode", "count_include_pad",
                            "dilations", "kernel_shape", "pads",
                            "storage_order", "strides"})))
    return failure();
  if (nc.attrInt("storage_order", 0) != 0)
    return nc.error() << "storage_order=1 is not supported";
  if (IsMax && nc.node.output_size() > 1 && !nc.node.output(1).empty())
    return nc.error() << "the Indices output is not supported";
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = NodeContext::shapeOf(*x);
  SmallVector<int64_t> kernel = nc.attrInts("kernel_shape");
  if (xs.size() < 3 || kernel.size() != xs.size() - 2)
    return nc.error() << "kernel_shape must have one entry per spatial axis";
  size_t spatial = kernel.size();
  SmallVector<int64_t> strides = onesOr(nc, "strides", spatial);
  SmallVector<int64_t> dilations = onesOr(nc, "dilations", spatial);
  if (!IsMax && llvm::any_of(dilations, [](int64_t d) { return d != 1; }))
    return nc.error() << "dilated average pooling is not supported";
  SmallVector<int64_t> pads;
  if (failed(resolvePads(nc, xs, kernel, strides, dilations, pads)))
    return failure();
  BoolAttr ceil = nc.b.getBoolAttr(nc.attrInt("ceil_mode", 0) != 0);
  FailureOr<Value> y;
  if constexpr (IsMax)
    y = nc.create<nn::MaxPoolOp>(*x, nc.i64s(kernel), nc.i64s(strides),
                                 nc.i64s(pads), nc.i64s(dilations), ceil);
  else
    y = nc.create<nn::AvgPoolOp>(
        *x, nc.i64s(kernel), nc.i64s(strides), nc.i64s(pads), ceil,
        nc.b.getBoolAttr(nc.attrInt("count_include_pad", 0) != 0));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildGlobalAveragePool(NodeContext &nc) {
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = nc.create<nn::GlobalAvgPoolOp>(*x);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// GlobalMaxPool: a max pool whose window is the whole spatial extent (so
/// it quantizes and runs on the pool unit as any max pool).
LogicalResult buildGlobalMaxPool(NodeContext &nc) {
  if (failed(nc.checkAttrs({})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = NodeContext::shapeOf(*x);
  if (xs.size() < 3)
    return nc.error() << "the input needs at least one spatial axis (rank "
                      << xs.size() << ")";
  SmallVector<int64_t> kernel(xs.begin() + 2, xs.end());
  if (llvm::any_of(kernel, [](int64_t d) { return ShapedType::isDynamic(d); }))
    return nc.error() << "a dynamic spatial extent is not supported; pin it "
                         "with --input-shape";
  size_t spatial = kernel.size();
  SmallVector<int64_t> ones(spatial, 1), pads(2 * spatial, 0);
  FailureOr<Value> y = nc.create<nn::MaxPoolOp>(
      *x, nc.i64s(kernel), nc.i64s(ones), nc.i64s(pads), nc.i64s(ones),
      nc.b.getBoolAttr(false));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// The statistics of a normalization over `axes` (kept as size-1 axes):
/// the mean, the deviation x - mean and sqrt(mean(deviation^2) + eps)
/// (without `epsilon`, sqrt(mean(deviation^2))), as nn ops located at
/// "<node>/<part>".
struct NormParts {
  Value mean, deviation, std;
};
FailureOr<NormParts> normParts(NodeContext &nc, Value x,
                               ArrayRef<int64_t> axes,
                               std::optional<float> epsilon) {
  FailureOr<Value> eps;
  if (epsilon) {
    eps = nc.floatConstant("epsilon", {}, {*epsilon});
    if (failed(eps))
      return failure();
  }
  auto keep = nc.b.getBoolAttr(true);
  FailureOr<Value> mean =
      nc.createPart<nn::ReduceMeanOp>("mean", x, nc.i64s(axes), keep);
  if (failed(mean))
    return failure();
  FailureOr<Value> d = nc.createPart<nn::SubOp>("deviation", x, *mean);
  if (failed(d))
    return failure();
  FailureOr<Value> sq = nc.createPart<nn::MulOp>("square", *d, *d);
  if (failed(sq))
    return failure();
  FailureOr<Value> var =
      nc.createPart<nn::ReduceMeanOp>("variance", *sq, nc.i64s(axes), keep);
  if (failed(var))
    return failure();
  FailureOr<Value> ve =
      epsilon ? nc.createPart<nn::AddOp>("variance_eps", *var, *eps) : var;
  if (failed(ve))
    return failure();
  FailureOr<Value> sd = nc.createPart<nn::SqrtOp>("std", *ve);
  if (failed(sd))
    return failure();
  return NormParts{*mean, *d, *sd};
}

/// MeanVarianceNormalization: (x - mean) / (sqrt(var) + 1e-9) over `axes`
/// (default 0, 2, 3), as ONNX defines it.
LogicalResult buildMeanVarianceNorm(NodeContext &nc) {
  if (failed(nc.checkAttrs({"axes"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  int64_t rank = int64_t(NodeContext::shapeOf(*x).size());
  FailureOr<SmallVector<int64_t>> axes = nc.normAxes(
      nc.attr("axes") ? nc.attrInts("axes") : SmallVector<int64_t>{0, 2, 3},
      rank);
  if (failed(axes))
    return failure();
  if (axes->empty())
    return nc.error() << "axes must not be empty";
  FailureOr<NormParts> parts = normParts(nc, *x, *axes, std::nullopt);
  FailureOr<Value> eps = nc.floatConstant("std_epsilon", {}, {1e-9f});
  if (failed(parts) || failed(eps))
    return failure();
  FailureOr<Value> d = nc.createPart<nn::AddOp>("std_eps", parts->std, *eps);
  if (failed(d))
    return failure();
  FailureOr<Value> y = nc.create<nn::DivOp>(parts->deviation, *d);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// InstanceNormalization: per sample and channel, over the spatial axes,
/// scale * (x - mean) / sqrt(var + epsilon) + B (var the mean of the
/// squared deviations), imported as those nn ops (scale and B as C x 1 x
/// ... constants).
LogicalResult buildInstanceNorm(NodeContext &nc) {
  if (failed(nc.checkAttrs({"epsilon"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = NodeContext::shapeOf(*x);
  int64_t rank = int64_t(shape.size());
  if (rank < 3)
    return nc.error() << "the input needs a spatial axis (rank " << rank
                      << ")";
  auto scale = nc.constInput(1), bias = nc.constInput(2);
  if (!scale || !bias || !scale->isFloat() || !bias->isFloat())
    return nc.error() << "scale and B must be float constants";
  int64_t C = shape[1];
  if (scale->numElements() != C || bias->numElements() != C ||
      ShapedType::isDynamic(C))
    return nc.error() << "scale and B must hold one value per channel";
  SmallVector<int64_t> axes, perChannel = {C};
  for (int64_t d = 2; d < rank; ++d) {
    axes.push_back(d);
    perChannel.push_back(1);
  }
  FailureOr<Value> s = nc.floatConstant(
      "scale", perChannel,
      std::vector<float>(scale->floats.begin(), scale->floats.end()));
  FailureOr<Value> b = nc.floatConstant(
      "bias", perChannel,
      std::vector<float>(bias->floats.begin(), bias->floats.end()));
  if (failed(s) || failed(b))
    return failure();
  FailureOr<NormParts> parts =
      normParts(nc, *x, axes, nc.attrFloat("epsilon", 1e-5f));
  if (failed(parts))
    return failure();
  FailureOr<Value> n =
      nc.createPart<nn::DivOp>("normalized", parts->deviation, parts->std);
  if (failed(n))
    return failure();
  FailureOr<Value> ns = nc.createPart<nn::MulOp>("scaled", *n, *s);
  if (failed(ns))
    return failure();
  FailureOr<Value> y = nc.create<nn::AddOp>(*ns, *b);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// LayerNormalization (opset 17): over the axes from `axis` on, (x - mean)
/// * InvStdDev * Scale (+ B) with InvStdDev = 1 / sqrt(var + epsilon) and
/// var the mean squared deviation, Scale and B broadcast over those axes,
/// in float (stash_type 1); imported as nn ops, the optional Mean and
/// InvStdDev outputs included.
LogicalResult buildLayerNorm(NodeContext &nc) {
  if (failed(nc.checkAttrs({"axis", "epsilon", "stash_type"})))
    return failure();
  if (nc.attrInt("stash_type", 1) != 1)
    return nc.error() << "stash_type " << nc.attrInt("stash_type", 1)
                      << " is not supported (float32 statistics only)";
  FailureOr<Value> x = nc.input(0), scale = nc.input(1);
  if (failed(x) || failed(scale))
    return failure();
  int64_t rank = int64_t(NodeContext::shapeOf(*x).size());
  FailureOr<int64_t> axis = nc.normAxis(nc.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < rank; ++d)
    axes.push_back(d);
  FailureOr<NormParts> parts =
      normParts(nc, *x, axes, nc.attrFloat("epsilon", 1e-5f));
  if (failed(parts))
    return failure();
  FailureOr<Value> inv = nc.createPart<nn::ReciprocalOp>("inv_std", parts->std);
  if (failed(inv))
    return failure();
  FailureOr<Value> n = nc.createPart<nn::MulOp>("normalized", parts->deviation, *inv);
  if (failed(n))
    return failure();
  FailureOr<Value> y = nc.hasInput(2)
                           ? nc.createPart<nn::MulOp>("scaled", *n, *scale)
                           : nc.create<nn::MulOp>(*n, *scale);
  if (failed(y))
    return failure();
  if (nc.hasInput(2)) {
    FailureOr<Value> b = nc.input(2);
    if (failed(b))
      return failure();
    y = nc.create<nn::AddOp>(*y, *b);
    if (failed(y))
      return failure();
  }
  if (NodeContext::shapeOf(*y) != NodeContext::shapeOf(*x))
    return nc.error() << "Scale / B do not broadcast to the input's shape";
  nc.setOutput(0, *y);
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty())
    nc.setOutput(1, parts->mean);
  if (nc.node.output_size() > 2 && !nc.node.output(2).empty())
    nc.setOutput(2, *inv);
  return success();
}

LogicalResult buildBatchNorm(NodeContext &nc) {
  if (failed(nc.checkAttrs({"epsilon", "momentum", "spatial",
                            "training_mode"})))
    return failure();
  if (nc.attrInt("training_mode", 0) != 0)
    return nc.error() << "training_mode=1 is not supported (inference only)";
  if (nc.attrInt("spatial", 1) != 1)
    return nc.error() << "spatial=0 is not supported";
  for (int i = 1; i < nc.node.output_size(); ++i)
    if (!nc.node.output(i).empty())
      return nc.error() << "running-statistics outputs are not supported "
                           "(inference only)";
  SmallVector<Value> in;
  for (int i = 0; i < 5; ++i) {
    FailureOr<Value> v = nc.input(i);
    if (failed(v))
      return failure();
    in.push_back(*v);
  }
  FailureOr<Value> y = nc.create<nn::BatchNormOp>(
      in[0], in[1], in[2], in[3], in[4], nc.f32(nc.attrFloat("epsilon", 1e-5f)));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildGemm(NodeContext &nc) {
  if (failed(nc.checkAttrs({"alpha", "beta", "transA", "transB"})))
    return failure();
  FailureOr<Value> a = nc.input(0), b = nc.input(1);
  if (failed(a) || failed(b))
    return failure();
  Value c;
  if (nc.hasInput(2)) {
    FailureOr<Value> cv = nc.input(2);
    if (failed(cv))
      return failure();
    c = *cv;
  } else if (nc.opset() < 11) {
    return nc.error() << "input C is required before opset 11";
  }
  FailureOr<Value> y = nc.create<nn::GemmOp>(
      *a, *b, c, nc.f32(nc.attrFloat("alpha", 1.0f)),
      nc.f32(nc.attrFloat("beta", 1.0f)),
      nc.b.getBoolAttr(nc.attrInt("transA", 0) != 0),
      nc.b.getBoolAttr(nc.attrInt("transB", 0) != 0));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildMatMul(NodeContext &nc) {
  FailureOr<Value> a = nc.input(0), b = nc.input(1);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> y = nc.create<nn::MatMulOp>(*a, *b);
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

LogicalResult buildLRN(NodeContext &nc) {
  if (failed(nc.checkAttrs({"alpha", "beta", "bias", "size"})))
    return failure();
  if (!nc.attr("size"))
    return nc.error() << "attribute 'size' is required";
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  FailureOr<Value> y = nc.create<nn::LRNOp>(
      *x, nc.f32(nc.attrFloat("alpha", 1e-4f)),
      nc.f32(nc.attrFloat("beta", 0.75f)), nc.f32(nc.attrFloat("bias", 1.0f)),
      nc.b.getI64IntegerAttr(nc.attrInt("size", 0)));
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

/// log(softmax(x)) along `axis`, as onnxruntime computes it without
/// leaving the float range: s = x - max(x), s - log(sum(exp(s))).
FailureOr<Value> logSoftmax(NodeContext &nc, Value x, int64_t axis,
                            bool last) {
  auto keep = nc.b.getBoolAttr(true);
  FailureOr<Value> m =
      nc.createPart<nn::ReduceMaxOp>("max", x, nc.i64s({axis}), keep);
  if (failed(m))
    return failure();
  FailureOr<Value> s = nc.createPart<nn::SubOp>("shifted", x, *m);
  if (failed(s))
    return failure();
  FailureOr<Value> e = nc.createPart<nn::ExpOp>("exp", *s);
  if (failed(e))
    return failure();
  FailureOr<Value> z =
      nc.createPart<nn::ReduceSumOp>("sum", *e, nc.i64s({axis}), keep);
  if (failed(z))
    return failure();
  FailureOr<Value> l = nc.createPart<nn::LogOp>("log_sum", *z);
  if (failed(l))
    return failure();
  return last ? nc.create<nn::SubOp>(*s, *l)
              : nc.createPart<nn::SubOp>("flat", *s, *l);
}

/// Softmax, and LogSoftmax (`IsLog`) as the parts of logSoftmax.
template <bool IsLog>
LogicalResult buildSoftmax(NodeContext &nc) {
  if (failed(nc.checkAttrs({"axis"})))
    return failure();
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = NodeContext::shapeOf(*x);
  int64_t rank = xs.size();
  FailureOr<int64_t> axis =
      nc.normAxis(nc.attrInt("axis", nc.opset() >= 13 ? -1 : 1), rank);
  if (failed(axis))
    return failure();
  FailureOr<Value> y;
  if (nc.opset() >= 13 || *axis == rank - 1) {
    y = IsLog ? logSoftmax(nc, *x, *axis, true)
              : nc.create<nn::SoftmaxOp>(*x, nc.b.getI64IntegerAttr(*axis));
  } else {
    // Before opset 13 softmax works on the input coerced to 2-D at `axis`.
    FailureOr<Value> flat =
        nc.create<nn::FlattenOp>(*x, nc.b.getI64IntegerAttr(*axis));
    if (failed(flat))
      return failure();
    FailureOr<Value> sm =
        IsLog ? logSoftmax(nc, *flat, 1, false)
              : nc.create<nn::SoftmaxOp>(*flat, nc.b.getI64IntegerAttr(1));
    if (failed(sm))
      return failure();
    SmallVector<int64_t> back(xs.begin(), xs.end());
    for (int64_t &d : back)
      if (ShapedType::isDynamic(d))
        d = 0; // copy dynamic extents through Reshape's 0 rule
    y = nc.create<nn::ReshapeOp>(*sm, nc.i64s(back), nc.b.getBoolAttr(false));
  }
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}

const OpTableEntry kTable[] = {
    {"AveragePool", 7, 17, buildPool<false>},
    {"BatchNormalization", 7, 17, buildBatchNorm},
    {"InstanceNormalization", 6, 17, buildInstanceNorm},
    {"LayerNormalization", 17, 17, buildLayerNorm},
    {"Conv", 1, 17, buildConv},
    {"ConvTranspose", 1, 17, buildConvTranspose},
    {"Gemm", 7, 17, buildGemm},
    {"GlobalAveragePool", 1, 17, buildGlobalAveragePool},
    {"GlobalMaxPool", 1, 17, buildGlobalMaxPool},
    {"LRN", 1, 17, buildLRN},
    {"MeanVarianceNormalization", 9, 17, buildMeanVarianceNorm},
    {"MatMul", 1, 17, buildMatMul},
    {"MaxPool", 1, 17, buildPool<true>},
    {"Softmax", 1, 17, buildSoftmax<false>},
    {"LogSoftmax", 1, 17, buildSoftmax<true>},
};
} // namespace

ArrayRef<OpTableEntry> dlp::onnximport::tensorOpTable() { return kTable; }

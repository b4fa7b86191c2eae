//===- NNShapesExtra.cpp - Shape rules of reductions, resampling ----------===//
//
// Reductions, three-way broadcasting (where), transposed convolution and
// resize. Same conventions as NNShapes.cpp: kDynamic extents propagate.
//
//===----------------------------------------------------------------------===//

#include "NN/NNShapes.h"

using namespace dlp::nn::shapes;
using llvm::ArrayRef;

static bool isDyn(int64_t d) { return d == kDynamic; }

ShapeResult dlp::nn::shapes::reduce(ArrayRef<int64_t> input,
                                    ArrayRef<int64_t> axes, bool keepDims) {
  if (axes.empty())
    return ShapeResult::failure("axes must not be empty");
  int64_t rank = input.size();
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (a < 0 || a >= rank)
      return ShapeResult::failure("axis " + std::to_string(a) +
                                  " out of range for rank " +
                                  std::to_string(rank));
    if (i > 0 && axes[i - 1] >= a)
      return ShapeResult::failure("axes " + toString(axes) +
                                  " must be sorted and unique");
  }
  Shape out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      out.push_back(input[d]);
    else if (keepDims)
      out.push_back(1);
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::broadcast3(ArrayRef<int64_t> a,
                                        ArrayRef<int64_t> b,
                                        ArrayRef<int64_t> c) {
  ShapeResult ab = broadcast(a, b);
  ShapeResult r = ab.ok ? broadcast(ab.shape, c) : ab;
  if (!r.ok)
    return ShapeResult::failure("shapes " + toString(a) + ", " + toString(b) +
                                " and " + toString(c) + " do not broadcast");
  return r;
}

ShapeResult dlp::nn::shapes::convTranspose(ArrayRef<int64_t> input,
                                           ArrayRef<int64_t> weight,
                                           ArrayRef<int64_t> strides,
                                           ArrayRef<int64_t> pads,
                                           ArrayRef<int64_t> dilations,
                                           ArrayRef<int64_t> outputPadding,
                                           int64_t group) {
  if (std::string e = checkConvRanks(input, weight, group); !e.empty())
    return ShapeResult::failure(e);
  size_t spatial = input.size() - 2;
  if (strides.size() != spatial || dilations.size() != spatial ||
      outputPadding.size() != spatial || pads.size() != 2 * spatial)
    return ShapeResult::failure("expected " + std::to_string(spatial) +
                                " strides, dilations and output_padding and " +
                                std::to_string(2 * spatial) + " pads");
  for (size_t i = 0; i < spatial; ++i) {
    if (strides[i] < 1 || dilations[i] < 1)
      return ShapeResult::failure("strides and dilations must be positive");
    if (outputPadding[i] < 0 ||
        outputPadding[i] >= std::max(strides[i], dilations[i]))
      return ShapeResult::failure(
          "output_padding " + std::to_string(outputPadding[i]) +
          " must be in [0, max(stride, dilation)) on spatial axis " +
          std::to_string(i));
  }
  int64_t c = input[1], cw = weight[0];
  if (!isDyn(c) && !isDyn(cw) && c != cw)
    return ShapeResult::failure("input has " + std::to_string(c) +
                                " channels but weight expects " +
                                std::to_string(cw));
  if (!isDyn(cw) && cw % group != 0)
    return ShapeResult::failure("input channels " + std::to_string(cw) +
                                " not divisible by group " +
                                std::to_string(group));
  Shape out{input[0], isDyn(weight[1]) ? kDynamic : weight[1] * group};
  for (size_t i = 0; i < spatial; ++i) {
    int64_t in = input[2 + i], k = weight[2 + i];
    if (isDyn(in) || isDyn(k)) {
      out.push_back(kDynamic);
      continue;
    }
    int64_t o = strides[i] * (in - 1) + outputPadding[i] +
                (k - 1) * dilations[i] + 1 - pads[i] - pads[spatial + i];
    if (o < 1)
      return ShapeResult::failure("output extent " + std::to_string(o) +
                                  " on spatial axis " + std::to_string(i) +
                                  " is not positive");
    out.push_back(o);
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::resize(ArrayRef<int64_t> input,
                                    ArrayRef<int64_t> sizes,
                                    ArrayRef<double> scales) {
  if (sizes.size() != input.size() || scales.size() != input.size())
    return ShapeResult::failure("expected " + std::to_string(input.size()) +
                                " sizes and scales, found " +
                                std::to_string(sizes.size()) + " and " +
                                std::to_string(scales.size()));
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (isDyn(sizes[i]) && scales[i] == 1.0)
      continue; // a dynamic extent (batch) kept as it is
    if (sizes[i] < 1 || !(scales[i] > 0.0))
      return ShapeResult::failure("sizes and scales must be positive, found " +
                                  toString(sizes) + " on axis " +
                                  std::to_string(i));
  }
  return ShapeResult::success(Shape(sizes.begin(), sizes.end()));
}

//===- NNShapes.cpp - Shape rules of the nn ops ---------------------------===//
//
// Every rule accepts kDynamic extents and propagates them: a dynamic input
// extent yields a dynamic output extent wherever the output depends on it.
//
//===----------------------------------------------------------------------===//

#include "NN/NNShapes.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

using namespace dlp::nn::shapes;
using llvm::ArrayRef;

namespace {
bool isDyn(int64_t d) { return d == kDynamic; }

std::string fmt(const llvm::Twine &t) { return t.str(); }

/// Checks the per-spatial-axis attribute lengths of conv/pool ops.
std::string checkWindowAttrs(size_t spatial, ArrayRef<int64_t> kernel,
                             ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                             ArrayRef<int64_t> dilations) {
  if (kernel.size() != spatial)
    return fmt("expected " + llvm::Twine(spatial) +
               " kernel extents, found " + llvm::Twine(kernel.size()));
  if (strides.size() != spatial)
    return fmt("expected " + llvm::Twine(spatial) + " strides, found " +
               llvm::Twine(strides.size()));
  if (pads.size() != 2 * spatial)
    return fmt("expected " + llvm::Twine(2 * spatial) +
               " pads (begins then ends), found " + llvm::Twine(pads.size()));
  if (!dilations.empty() && dilations.size() != spatial)
    return fmt("expected " + llvm::Twine(spatial) + " dilations, found " +
               llvm::Twine(dilations.size()));
  for (int64_t s : strides)
    if (s < 1)
      return fmt("strides must be positive, found " + llvm::Twine(s));
  for (int64_t d : dilations)
    if (d < 1)
      return fmt("dilations must be positive, found " + llvm::Twine(d));
  for (int64_t p : pads)
    if (p < 0)
      return fmt("pads must be non-negative, found " + llvm::Twine(p));
  for (int64_t k : kernel)
    if (!isDyn(k) && k < 1)
      return fmt("kernel extents must be positive, found " + llvm::Twine(k));
  return {};
}

} // namespace

std::string dlp::nn::shapes::toString(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << '[';
  llvm::interleave(
      shape, os, [&](int64_t d) { isDyn(d) ? os << '?' : os << d; }, ", ");
  os << ']';
  return s;
}

int64_t dlp::nn::shapes::numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (isDyn(d))
      return kDynamic;
    n *= d;
  }
  return n;
}

ShapeResult dlp::nn::shapes::broadcast(ArrayRef<int64_t> a,
                                       ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1)
      out[i] = db;
    else if (db == 1)
      out[i] = da;
    else if (isDyn(da))
      out[i] = db;
    else if (isDyn(db) || da == db)
      out[i] = da;
    else
      return ShapeResult::failure("shapes " + toString(a) + " and " +
                                  toString(b) + " do not broadcast");
  }
  return ShapeResult::success(out);
}

int64_t dlp::nn::shapes::windowOutputSize(int64_t in, int64_t kernel,
                                          int64_t stride, int64_t padBegin,
                                          int64_t padEnd, int64_t dilation,
                                          bool ceilMode) {
  if (isDyn(in) || isDyn(kernel))
    return kDynamic;
  int64_t span = in + padBegin + padEnd - ((kernel - 1) * dilation + 1);
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // A window must start inside the input or the begin padding (ONNX/torch).
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

std::string dlp::nn::shapes::checkConvRanks(ArrayRef<int64_t> input,
                                            ArrayRef<int64_t> weight,
                                            int64_t group) {
  if (input.size() < 3)
    return "input must have rank >= 3 (N x C x spatial), found rank " +
           std::to_string(input.size());
  if (weight.size() != input.size())
    return "weight rank " + std::to_string(weight.size()) +
           " differs from input rank " + std::to_string(input.size());
  if (group < 1)
    return "group must be positive";
  return {};
}

ShapeResult dlp::nn::shapes::conv(ArrayRef<int64_t> input,
                                  ArrayRef<int64_t> weight,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads,
                                  ArrayRef<int64_t> dilations, int64_t group) {
  if (std::string e = checkConvRanks(input, weight, group); !e.empty())
    return ShapeResult::failure(e);
  size_t spatial = input.size() - 2;
  if (std::string e = checkWindowAttrs(spatial, weight.drop_front(2), strides,
                                       pads, dilations);
      !e.empty())
    return ShapeResult::failure(e);
  int64_t c = input[1], m = weight[0], cg = weight[1];
  if (!isDyn(c) && !isDyn(cg) && c != cg * group)
    return ShapeResult::failure(
        "input has " + std::to_string(c) + " channels but weight expects " +
        std::to_string(cg) + " x group " + std::to_string(group));
  if (!isDyn(m) && m % group != 0)
    return ShapeResult::failure("output channels " + std::to_string(m) +
                                " not divisible by group " +
                                std::to_string(group));
  Shape out{input[0], m};
  for (size_t i = 0; i < spatial; ++i) {
    int64_t o = windowOutputSize(input[2 + i], weight[2 + i], strides[i],
                                 pads[i], pads[spatial + i],
                                 dilations.empty() ? 1 : dilations[i], false);
    if (o == 0)
      return ShapeResult::failure("kernel extent " +
                                  std::to_string(weight[2 + i]) +
                                  " exceeds padded input on spatial axis " +
                                  std::to_string(i));
    out.push_back(o);
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::pool(ArrayRef<int64_t> input,
                                  ArrayRef<int64_t> kernel,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads,
                                  ArrayRef<int64_t> dilations, bool ceilMode) {
  if (input.size() < 3)
    return ShapeResult::failure("input must have rank >= 3 (N x C x spatial), "
                                "found rank " +
                                std::to_string(input.size()));
  size_t spatial = input.size() - 2;
  if (std::string e = checkWindowAttrs(spatial, kernel, strides, pads,
                                       dilations);
      !e.empty())
    return ShapeResult::failure(e);
  for (size_t i = 0; i < spatial; ++i)
    if (pads[i] >= kernel[i] || pads[spatial + i] >= kernel[i])
      return ShapeResult::failure("pad on spatial axis " + std::to_string(i) +
                                  " must be smaller than the kernel extent");
  Shape out{input[0], input[1]};
  for (size_t i = 0; i < spatial; ++i) {
    int64_t o = windowOutputSize(input[2 + i], kernel[i], strides[i], pads[i],
                                 pads[spatial + i],
                                 dilations.empty() ? 1 : dilations[i],
                                 ceilMode);
    if (o == 0)
      return ShapeResult::failure("kernel extent " + std::to_string(kernel[i]) +
                                  " exceeds padded input on spatial axis " +
                                  std::to_string(i));
    out.push_back(o);
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::globalPool(ArrayRef<int64_t> input) {
  if (input.size() < 3)
    return ShapeResult::failure("input must have rank >= 3, found rank " +
                                std::to_string(input.size()));
  Shape out(input.begin(), input.begin() + 2);
  out.append(input.size() - 2, 1);
  return ShapeResult::success(out);
}

static bool compatible(int64_t a, int64_t b) {
  return isDyn(a) || isDyn(b) || a == b;
}

ShapeResult dlp::nn::shapes::gemm(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                                  const ArrayRef<int64_t> *c, bool transA,
                                  bool transB) {
  if (a.size() != 2 || b.size() != 2)
    return ShapeResult::failure("A and B must be 2-D, found " + toString(a) +
                                " and " + toString(b));
  int64_t m = transA ? a[1] : a[0], ka = transA ? a[0] : a[1];
  int64_t kb = transB ? b[1] : b[0], n = transB ? b[0] : b[1];
  if (!compatible(ka, kb))
    return ShapeResult::failure("inner dimensions differ: op(A) is " +
                                toString({m, ka}) + ", op(B) is " +
                                toString({kb, n}));
  Shape out{m, n};
  if (c) {
    ShapeResult r = broadcast(*c, out);
    if (!r.ok || r.shape.size() != 2 || !compatible(r.shape[0], m) ||
        !compatible(r.shape[1], n))
      return ShapeResult::failure("C of shape " + toString(*c) +
                                  " does not broadcast to " + toString(out));
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::matmul(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.empty() || b.empty())
    return ShapeResult::failure("operands must have rank >= 1");
  Shape sa(a.begin(), a.end()), sb(b.begin(), b.end());
  bool va = sa.size() == 1, vb = sb.size() == 1;
  if (va)
    sa.insert(sa.begin(), 1);
  if (vb)
    sb.push_back(1);
  int64_t ka = sa.back(), kb = sb[sb.size() - 2];
  if (!compatible(ka, kb))
    return ShapeResult::failure("inner dimensions differ: " + toString(a) +
                                " x " + toString(b));
  ShapeResult batch = broadcast(ArrayRef<int64_t>(sa).drop_back(2),
                                ArrayRef<int64_t>(sb).drop_back(2));
  if (!batch.ok)
    return ShapeResult::failure("batch dimensions: " + batch.error);
  Shape out = batch.shape;
  if (!va)
    out.push_back(sa[sa.size() - 2]);
  if (!vb)
    out.push_back(sb.back());
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::fullyConnected(ArrayRef<int64_t> input,
                                            ArrayRef<int64_t> weight,
                                            const ArrayRef<int64_t> *bias) {
  if (input.size() < 2)
    return ShapeResult::failure("input must have rank >= 2, found " +
                                toString(input));
  if (weight.size() != 2)
    return ShapeResult::failure("weight must be 2-D (P x K), found " +
                                toString(weight));
  int64_t k = numElements(input.drop_front());
  if (!compatible(k, weight[1]))
    return ShapeResult::failure("input has " + std::to_string(k) +
                                " features per row but weight expects " +
                                std::to_string(weight[1]));
  if (bias && (bias->size() != 1 || !compatible((*bias)[0], weight[0])))
    return ShapeResult::failure("bias must have shape [" +
                                std::to_string(weight[0]) + "], found " +
                                toString(*bias));
  return ShapeResult::success(Shape{input[0], weight[0]});
}

ShapeResult dlp::nn::shapes::concat(ArrayRef<ArrayRef<int64_t>> inputs,
                                    int64_t axis) {
  if (inputs.empty())
    return ShapeResult::failure("needs at least one input");
  int64_t rank = inputs[0].size();
  if (axis < 0 || axis >= rank)
    return ShapeResult::failure("axis " + std::to_string(axis) +
                                " out of range for rank " +
                                std::to_string(rank));
  Shape out(inputs[0].begin(), inputs[0].end());
  out[axis] = 0;
  for (auto [idx, in] : llvm::enumerate(inputs)) {
    if ((int64_t)in.size() != rank)
      return ShapeResult::failure("input " + std::to_string(idx) + " has rank " +
                                  std::to_string(in.size()) + ", expected " +
                                  std::to_string(rank));
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) {
        out[d] = isDyn(out[d]) || isDyn(in[d]) ? kDynamic : out[d] + in[d];
        continue;
      }
      if (!compatible(out[d], in[d]))
        return ShapeResult::failure("input " + std::to_string(idx) +
                                    " has shape " + toString(in) +
                                    ", incompatible with " +
                                    toString(inputs[0]) + " off axis " +
                                    std::to_string(axis));
      if (isDyn(out[d]))
        out[d] = in[d];
    }
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::flatten(ArrayRef<int64_t> input, int64_t axis) {
  if (axis < 0 || axis > (int64_t)input.size())
    return ShapeResult::failure("axis " + std::to_string(axis) +
                                " out of range [0, " +
                                std::to_string(input.size()) + "]");
  return ShapeResult::success(Shape{numElements(input.take_front(axis)),
                                    numElements(input.drop_front(axis))});
}

ShapeResult dlp::nn::shapes::reshape(ArrayRef<int64_t> input,
                                     ArrayRef<int64_t> shape, bool allowZero) {
  Shape out;
  int inferAt = -1;
  // Product of input extents not copied through a 0 entry, and of the
  // explicit output extents; a dynamic extent poisons its product.
  llvm::SmallVector<bool, 6> copied(input.size(), false);
  int64_t known = 1;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (d == -1) {
      if (inferAt >= 0)
        return ShapeResult::failure("shape has more than one -1");
      inferAt = i;
      out.push_back(kDynamic);
    } else if (d == 0 && !allowZero) {
      if (i >= input.size())
        return ShapeResult::failure("shape entry " + std::to_string(i) +
                                    " is 0 but the input has rank " +
                                    std::to_string(input.size()));
      copied[i] = true;
      out.push_back(input[i]);
    } else if (d < 0) {
      return ShapeResult::failure("invalid shape entry " + std::to_string(d));
    } else {
      out.push_back(d);
      known *= d;
    }
  }
  int64_t remaining = 1;
  for (auto [i, d] : llvm::enumerate(input)) {
    if (copied[i])
      continue;
    remaining = isDyn(d) || isDyn(remaining) ? kDynamic : remaining * d;
  }
  if (inferAt >= 0) {
    if (isDyn(remaining))
      return ShapeResult::success(out);
    if (known == 0 || remaining % known != 0)
      return ShapeResult::failure("cannot reshape " + toString(input) +
                                  " into " + toString(shape));
    out[inferAt] = remaining / known;
  } else if (!isDyn(remaining) && remaining != known) {
    return ShapeResult::failure("cannot reshape " + toString(input) + " (" +
                                std::to_string(numElements(input)) +
                                " elements) into " + toString(shape));
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::transpose(ArrayRef<int64_t> input,
                                       ArrayRef<int64_t> perm) {
  if (perm.size() != input.size())
    return ShapeResult::failure("perm has " + std::to_string(perm.size()) +
                                " entries for rank " +
                                std::to_string(input.size()));
  llvm::SmallVector<bool, 6> seen(input.size(), false);
  Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)input.size() || seen[p])
      return ShapeResult::failure("perm " + toString(perm) +
                                  " is not a permutation");
    seen[p] = true;
    out.push_back(input[p]);
  }
  return ShapeResult::success(out);
}

/// Axes must be sorted, unique and within [0, rank).
static std::string checkAxes(ArrayRef<int64_t> axes, int64_t rank) {
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (a < 0 || a >= rank)
      return "axis " + std::to_string(a) + " out of range for rank " +
             std::to_string(rank);
    if (i > 0 && axes[i - 1] >= a)
      return "axes " + toString(axes) + " must be sorted and unique";
  }
  return {};
}

ShapeResult dlp::nn::shapes::squeeze(ArrayRef<int64_t> input,
                                     ArrayRef<int64_t> axes) {
  if (std::string e = checkAxes(axes, input.size()); !e.empty())
    return ShapeResult::failure(e);
  Shape out;
  for (auto [i, d] : llvm::enumerate(input)) {
    if (llvm::is_contained(axes, (int64_t)i)) {
      if (!isDyn(d) && d != 1)
        return ShapeResult::failure("cannot squeeze axis " + std::to_string(i) +
                                    " of extent " + std::to_string(d));
      continue;
    }
    out.push_back(d);
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::unsqueeze(ArrayRef<int64_t> input,
                                       ArrayRef<int64_t> axes) {
  int64_t rank = input.size() + axes.size();
  if (std::string e = checkAxes(axes, rank); !e.empty())
    return ShapeResult::failure(e);
  Shape out;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i)
    out.push_back(llvm::is_contained(axes, i) ? 1 : input[next++]);
  return ShapeResult::success(out);
}

SliceAxis dlp::nn::shapes::resolveSliceAxis(int64_t dim, int64_t start,
                                            int64_t end, int64_t step) {
  auto clampIdx = [&](int64_t v, int64_t lo, int64_t hi) {
    if (v < 0)
      v += dim;
    return std::min(std::max(v, lo), hi);
  };
  SliceAxis r{0, step, 0};
  if (step > 0) {
    r.start = clampIdx(start, 0, dim);
    int64_t e = clampIdx(end, 0, dim);
    r.count = e > r.start ? (e - r.start + step - 1) / step : 0;
  } else {
    r.start = clampIdx(start, 0, dim - 1);
    int64_t e = clampIdx(end, -1, dim - 1);
    // A negative end after normalization means "before the first element".
    if (end < -dim)
      e = -1;
    r.count = r.start > e ? (r.start - e + (-step) - 1) / (-step) : 0;
  }
  return r;
}

ShapeResult dlp::nn::shapes::slice(ArrayRef<int64_t> input,
                                   ArrayRef<int64_t> starts,
                                   ArrayRef<int64_t> ends,
                                   ArrayRef<int64_t> axes,
                                   ArrayRef<int64_t> steps) {
  if (starts.size() != ends.size() || starts.size() != axes.size() ||
      starts.size() != steps.size())
    return ShapeResult::failure(
        "starts, ends, axes and steps must have equal length");
  Shape out(input.begin(), input.end());
  llvm::SmallVector<bool, 6> seen(input.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i];
    if (axis < 0 || axis >= (int64_t)input.size() || seen[axis])
      return ShapeResult::failure("invalid or repeated axis " +
                                  std::to_string(axis));
    seen[axis] = true;
    if (steps[i] == 0)
      return ShapeResult::failure("steps must be non-zero");
    if (isDyn(input[axis]))
      continue;
    out[axis] = resolveSliceAxis(input[axis], starts[i], ends[i], steps[i]).count;
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::pad(ArrayRef<int64_t> input,
                                 ArrayRef<int64_t> pads) {
  if (pads.size() != 2 * input.size())
    return ShapeResult::failure("expected " + std::to_string(2 * input.size()) +
                                " pads, found " + std::to_string(pads.size()));
  Shape out;
  for (size_t i = 0; i < input.size(); ++i) {
    if (isDyn(input[i])) {
      out.push_back(kDynamic);
      continue;
    }
    int64_t o = input[i] + pads[i] + pads[input.size() + i];
    if (o < 0)
      return ShapeResult::failure("pads crop axis " + std::to_string(i) +
                                  " below zero");
    out.push_back(o);
  }
  return ShapeResult::success(out);
}

ShapeResult dlp::nn::shapes::batchNorm(ArrayRef<int64_t> input,
                                       ArrayRef<ArrayRef<int64_t>> params) {
  if (input.size() < 2)
    return ShapeResult::failure("input must have rank >= 2");
  for (ArrayRef<int64_t> p : params)
    if (p.size() != 1 || !compatible(p[0], input[1]))
      return ShapeResult::failure("parameter of shape " + toString(p) +
                                  " does not match " +
                                  std::to_string(input[1]) + " channels");
  return ShapeResult::success(Shape(input.begin(), input.end()));
}

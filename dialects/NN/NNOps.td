//===- NNOps.td - nn dialect operations --------------------*- tablegen -*-===//
//
// One op per (normalized) ONNX operator. Result types are inferred: every op
// with more than one operand or with shape-changing attributes implements
// `inferReturnTypes`, and the generated verifier compares the declared result
// type against it.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_NN_OPS_TD
#define DLP_NN_OPS_TD

include "NN/NNDialect.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def NN_Tensor : RankedTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

/// Element-wise op with one operand and a result of the same type.
class NN_UnaryOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType])> {
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

/// Shape-changing op: result type comes from `inferReturnTypes`.
class NN_InferOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])> {
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
}

/// Element-wise binary op with numpy (ONNX multidirectional) broadcasting.
class NN_BroadcastOp<string mnemonic, string expr>
    : NN_InferOp<mnemonic> {
  let summary = "element-wise `" # expr # "` with broadcasting";
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$output);
}

/// Sliding-window op over the spatial axes of an NC(D)HW tensor.
class NN_PoolOp<string mnemonic> : NN_InferOp<mnemonic> {
  let results = (outs NN_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Element-wise unary ops
//===----------------------------------------------------------------------===//

def NN_ReluOp : NN_UnaryOp<"relu"> {
  let summary = "rectified linear unit, max(x, 0)";
  let description = [{
    Element-wise rectified linear unit: `output = input > 0 ? input : 0`.
    `--dlp-quantize` fuses a ReLU that is the only user of a conv,
    fully-connected layer or add into the quantized op (`act_min = 0`); on
    another quantized map it becomes `qnn.clamp`.

    Example:

    ```mlir
    %y = nn.relu %x : tensor<1x16x8x8xf32>
    ```
  }];
}

def NN_SigmoidOp : NN_UnaryOp<"sigmoid"> {
  let summary = "logistic sigmoid, 1 / (1 + exp(-x))";
  let description = [{
    Element-wise logistic sigmoid: `output = 1 / (1 + exp(-input))`. Between
    quantized maps (`qnn.dequantize` -> op -> `qnn.quantize`) `--dlp-quantize`
    replaces it by an exact `qnn.table` lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %y = nn.sigmoid %x : tensor<1x16xf32>
    ```
  }];
}

def NN_ClipOp : NN_UnaryOp<"clip"> {
  let summary = "clamp to [min, max]";
  let description = [{
    Element-wise clamp: `output = min(max(input, min), max)` (a NaN stays
    NaN). `min` and `max` are always present (the importer fills the ONNX
    defaults, -inf and +inf, and folds the constant `min`/`max` inputs of
    opset 11+); the verifier requires `min <= max`. ReLU6 is `[0, 6]`.
    `--dlp-quantize` fuses a Clip that is the only user of a conv,
    fully-connected layer or add into the quantized op, or turns it into
    `qnn.clamp` on another quantized map; the bounds are rounded to each
    output channel's grid (docs/numerics.md section 3).

    Example:

    ```mlir
    %y = nn.clip %x {min = 0.0 : f32, max = 6.0 : f32} : tensor<1x32x8x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$min, F32Attr:$max);
  let hasVerifier = 1;
}

def NN_HardSigmoidOp : NN_UnaryOp<"hard_sigmoid"> {
  let summary = "max(0, min(1, alpha * x + beta))";
  let description = [{
    Element-wise `output = max(0, min(1, alpha * input + beta))`. The importer
    fills ONNX's defaults (`alpha = 0.2`, `beta = 0.5`) and builds ONNX
    HardSwish as `nn.mul` of `x` and `nn.hard_sigmoid(x)` with `alpha = 1/6`,
    `beta = 0.5`. Between quantized maps (`qnn.dequantize` -> op ->
    `qnn.quantize`) `--dlp-quantize` replaces it (and such a HardSwish
    product) by an exact `qnn.table` lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %y = nn.hard_sigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha, F32Attr:$beta);
}

def NN_IdentityOp : NN_UnaryOp<"identity"> {
  let summary = "returns its operand (removed by --nn-cleanup)";
  let description = [{
    Returns its operand unchanged (ONNX Identity). `--nn-cleanup` replaces its
    result by its operand.

    Example:

    ```mlir
    %y = nn.identity %x : tensor<4xf32>
    ```
  }];
}

def NN_DropoutOp : NN_UnaryOp<"dropout"> {
  let summary = "dropout; identity at inference (removed by --nn-cleanup)";
  let description = [{
    Only inference semantics are modelled: the output equals the input.
    `ratio` (verified to lie in [0, 1)) is kept for reference. `--nn-cleanup`
    replaces the result by the operand.

    Example:

    ```mlir
    %y = nn.dropout %x {ratio = 0.5 : f32} : tensor<1x4096xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$ratio);
  let hasVerifier = 1;
}

def NN_SoftmaxOp : NN_UnaryOp<"softmax"> {
  let summary = "softmax along one axis (opset-13 semantics)";
  let description = [{
    `output = exp(x - m) / sum(exp(x - m))` along `axis` (normalized, `0 <=
    axis < rank`, verified), `m` being the maximum along that axis (it
    cancels; it keeps `exp` in range). Older opsets' "coerce to 2-D" softmax
    is expressed by the importer as reshape + softmax + reshape.

    Example:

    ```mlir
    %y = nn.softmax %x {axis = 1 : i64} : tensor<1x10xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, I64Attr:$axis);
  let hasVerifier = 1;
}

def NN_LRNOp : NN_UnaryOp<"lrn"> {
  let summary = "local response normalization across channels";
  let description = [{
    Local response normalization across channels (dimension 1) of an `N x C x
    spatial` tensor (rank >= 3): at every position, `y = x / (bias + alpha /
    size * sum(x[c']^2))^beta`, where the sum runs over the channels `c'` with
    `c - floor((size-1)/2) <= c' <= c + ceil((size-1)/2)` that exist (fewer at
    the edges). `size` must be positive.

    Example:

    ```mlir
    %y = nn.lrn %x {alpha = 1.0e-4 : f32, beta = 0.75 : f32, bias = 1.0 : f32, size = 5 : i64} : tensor<1x64x8x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha, F32Attr:$beta,
                   F32Attr:$bias, I64Attr:$size);
  let hasVerifier = 1;
}

class NN_MathUnaryOp<string mnemonic, string expr> : NN_UnaryOp<mnemonic> {
  let summary = "element-wise " # expr;
}

def NN_NegOp : NN_MathUnaryOp<"neg", "-x"> {
  let description = [{
    Element-wise negation, `output = -input`. Between quantized maps
    (`qnn.dequantize` -> op -> `qnn.quantize`) `--dlp-quantize` replaces it by
    an exact `qnn.table` lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %6 = nn.neg %5 : tensor<2x3xf32>
    ```
  }];
}

def NN_AbsOp : NN_MathUnaryOp<"abs", "|x|"> {
  let description = [{
    Element-wise absolute value, `output = |input|`. Between quantized maps
    (`qnn.dequantize` -> op -> `qnn.quantize`) `--dlp-quantize` replaces it by
    an exact `qnn.table` lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %7 = nn.abs %6 : tensor<2x3xf32>
    ```
  }];
}

def NN_ExpOp : NN_MathUnaryOp<"exp", "exp(x)"> {
  let description = [{
    Element-wise `output = exp(input)` (f32; +inf on overflow). Between
    quantized maps (`qnn.dequantize` -> op -> `qnn.quantize`) `--dlp-quantize`
    replaces it by an exact `qnn.table` lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %8 = nn.exp %7 : tensor<2x3xf32>
    ```
  }];
}

def NN_LogOp : NN_MathUnaryOp<"log", "natural logarithm"> {
  let description = [{
    Element-wise natural logarithm, `output = ln(input)`: -inf for 0, NaN for
    a negative input. Between quantized maps (`qnn.dequantize` -> op ->
    `qnn.quantize`) `--dlp-quantize` replaces it by an exact `qnn.table`
    lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %9 = nn.log %8 : tensor<2x3xf32>
    ```
  }];
}

def NN_SqrtOp : NN_MathUnaryOp<"sqrt", "square root"> {
  let description = [{
    Element-wise square root, `output = sqrt(input)`: NaN for a negative
    input. Between quantized maps (`qnn.dequantize` -> op -> `qnn.quantize`)
    `--dlp-quantize` replaces it by an exact `qnn.table` lookup
    (docs/numerics.md section 7).

    Example:

    ```mlir
    %10 = nn.sqrt %9 : tensor<2x3xf32>
    ```
  }];
}

def NN_TanhOp : NN_MathUnaryOp<"tanh", "hyperbolic tangent"> {
  let description = [{
    Element-wise hyperbolic tangent, `output = tanh(input)`. Between quantized
    maps (`qnn.dequantize` -> op -> `qnn.quantize`) `--dlp-quantize` replaces
    it by an exact `qnn.table` lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %11 = nn.tanh %10 : tensor<2x3xf32>
    ```
  }];
}

def NN_ErfOp : NN_MathUnaryOp<"erf", "Gauss error function"> {
  let description = [{
    Element-wise Gauss error function, `output = erf(input) = 2 / sqrt(pi) *
    integral from 0 to input of exp(-t^2) dt`. Between quantized maps
    (`qnn.dequantize` -> op -> `qnn.quantize`) `--dlp-quantize` replaces it by
    an exact `qnn.table` lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %y = nn.erf %x : tensor<2x3xf32>
    ```
  }];
}

def NN_ReciprocalOp : NN_MathUnaryOp<"reciprocal", "1 / x"> {
  let description = [{
    Element-wise `output = 1 / input` (+-inf for +-0). Between quantized maps
    (`qnn.dequantize` -> op -> `qnn.quantize`) `--dlp-quantize` replaces it by
    an exact `qnn.table` lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %12 = nn.reciprocal %11 : tensor<2x3xf32>
    ```
  }];
}

def NN_LeakyReluOp : NN_UnaryOp<"leaky_relu"> {
  let summary = "x if x >= 0 else alpha * x";
  let description = [{
    Element-wise `output = input >= 0 ? input : alpha * input`. Between
    quantized maps (`qnn.dequantize` -> op -> `qnn.quantize`) `--dlp-quantize`
    replaces it by an exact `qnn.table` lookup (docs/numerics.md section 7).

    Example:

    ```mlir
    %y = nn.leaky_relu %x {alpha = 0.01 : f32} : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha);
}

//===----------------------------------------------------------------------===//
// Element-wise binary ops
//===----------------------------------------------------------------------===//

def NN_AddOp : NN_BroadcastOp<"add", "lhs + rhs"> {
  let description = [{
    Element-wise `output = lhs + rhs`. Operands broadcast as in numpy: shapes
    are aligned at the trailing axis and a dimension of size 1 stretches to
    the other operand's extent; the result has the broadcast shape (the
    verifier checks it). `--dlp-quantize` turns an add of two quantized maps
    of the result's shape into `qnn.add` (with a ReLU / Clip that is its only
    user fused); a broadcasting add stays float.

    Example:

    ```mlir
    %0 = nn.add %a, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
}

def NN_SubOp : NN_BroadcastOp<"sub", "lhs - rhs"> {
  let description = [{
    Element-wise `output = lhs - rhs`. Operands broadcast as in numpy: shapes
    are aligned at the trailing axis and a dimension of size 1 stretches to
    the other operand's extent; the result has the broadcast shape (the
    verifier checks it).

    Example:

    ```mlir
    %1 = nn.sub %0, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
}

def NN_MulOp : NN_BroadcastOp<"mul", "lhs * rhs"> {
  let description = [{
    Element-wise `output = lhs * rhs`. Operands broadcast as in numpy: shapes
    are aligned at the trailing axis and a dimension of size 1 stretches to
    the other operand's extent; the result has the broadcast shape (the
    verifier checks it). A product of an int8 map `N x C x H x W` and an int8
    gate `N x C x 1 x 1` (each through `qnn.dequantize`, the result through
    `qnn.quantize`) becomes `qnn.channel_mul` under `--dlp-quantize`
    (docs/numerics.md section 8).

    Example:

    ```mlir
    %2 = nn.mul %1, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
}

def NN_DivOp : NN_BroadcastOp<"div", "lhs / rhs"> {
  let description = [{
    Element-wise `output = lhs / rhs` (IEEE-754 f32 division). Operands
    broadcast as in numpy: shapes are aligned at the trailing axis and a
    dimension of size 1 stretches to the other operand's extent; the result
    has the broadcast shape (the verifier checks it).

    Example:

    ```mlir
    %3 = nn.div %2, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
}

def NN_MaxOp : NN_BroadcastOp<"max", "max(lhs, rhs)"> {
  let description = [{
    Element-wise `output = max(lhs, rhs)`. Operands broadcast as in numpy:
    shapes are aligned at the trailing axis and a dimension of size 1
    stretches to the other operand's extent; the result has the broadcast
    shape (the verifier checks it). ONNX's variadic Max is imported as a chain
    of these.

    Example:

    ```mlir
    %4 = nn.max %3, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
}

def NN_MinOp : NN_BroadcastOp<"min", "min(lhs, rhs)"> {
  let description = [{
    Element-wise `output = min(lhs, rhs)`. Operands broadcast as in numpy:
    shapes are aligned at the trailing axis and a dimension of size 1
    stretches to the other operand's extent; the result has the broadcast
    shape (the verifier checks it). ONNX's variadic Min is imported as a chain
    of these.

    Example:

    ```mlir
    %5 = nn.min %4, %b : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
}

def NN_PowOp : NN_BroadcastOp<"pow", "lhs raised to the power rhs"> {
  let description = [{
    Element-wise `output = pow(lhs, rhs)`, `lhs` raised to the power `rhs`.
    Operands broadcast as in numpy: shapes are aligned at the trailing axis
    and a dimension of size 1 stretches to the other operand's extent; the
    result has the broadcast shape (the verifier checks it).

    Example:

    ```mlir
    %z = nn.pow %x, %y : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
}

// Comparisons give a float mask (1.0 true, 0.0 false): the nn dialect
// computes in float32 only, so an ONNX bool tensor is such a mask. Greater
// and GreaterOrEqual import as less / less_equal with swapped operands.
def NN_EqualOp : NN_BroadcastOp<"equal", "lhs == rhs ? 1.0 : 0.0"> {
  let description = [{
    Element-wise `output = lhs == rhs ? 1.0 : 0.0`. Operands broadcast as in
    numpy: shapes are aligned at the trailing axis and a dimension of size 1
    stretches to the other operand's extent; the result has the broadcast
    shape (the verifier checks it). The result is a float mask (1.0 true, 0.0
    false): the dialect computes in f32 only, so an ONNX bool tensor is such a
    mask.

    Example:

    ```mlir
    %e = nn.equal %x, %c : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
    ```
  }];
}

def NN_LessOp : NN_BroadcastOp<"less", "lhs < rhs ? 1.0 : 0.0"> {
  let description = [{
    Element-wise `output = lhs < rhs ? 1.0 : 0.0`. Operands broadcast as in
    numpy: shapes are aligned at the trailing axis and a dimension of size 1
    stretches to the other operand's extent; the result has the broadcast
    shape (the verifier checks it). The result is a float mask (1.0 true, 0.0
    false): the dialect computes in f32 only, so an ONNX bool tensor is such a
    mask. ONNX Greater imports as `nn.less` with swapped operands.

    Example:

    ```mlir
    %c = nn.less %x, %m : (tensor<1x4x3x3xf32>, tensor<3xf32>) -> tensor<1x4x3x3xf32>
    ```
  }];
}

def NN_LessEqualOp : NN_BroadcastOp<"less_equal", "lhs <= rhs ? 1.0 : 0.0"> {
  let description = [{
    Element-wise `output = lhs <= rhs ? 1.0 : 0.0`. Operands broadcast as in
    numpy: shapes are aligned at the trailing axis and a dimension of size 1
    stretches to the other operand's extent; the result has the broadcast
    shape (the verifier checks it). The result is a float mask (1.0 true, 0.0
    false): the dialect computes in f32 only, so an ONNX bool tensor is such a
    mask. ONNX GreaterOrEqual imports as `nn.less_equal` with swapped
    operands.

    Example:

    ```mlir
    %c = nn.less_equal %x, %m : (tensor<1x4x3x3xf32>, tensor<3xf32>) -> tensor<1x4x3x3xf32>
    ```
  }];
}

def NN_WhereOp : NN_InferOp<"where"> {
  let summary = "element-wise select with broadcasting";
  let description = [{
    Element-wise select: `output = condition != 0 ? lhs : rhs`, the three
    operands broadcast together as in numpy. `condition` is a float mask (an
    ONNX bool tensor: a comparison's result or a constant converted at
    import).

    Example:

    ```mlir
    %2 = nn.where %c, %x, %m : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>, tensor<3xf32>) -> tensor<1x4x3x3xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$condition, NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class NN_ReduceOp<string mnemonic, string what> : NN_InferOp<mnemonic> {
  let summary = what # " over a set of axes";
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keepdims);
  let results = (outs NN_Tensor:$output);
}

def NN_ReduceMeanOp : NN_ReduceOp<"reduce_mean", "arithmetic mean"> {
  let description = [{
    The arithmetic mean of `input` over the axes `axes`: each output element
    is the sum of the input elements that differ from it only along `axes`,
    divided by their number. `axes` are normalized, sorted, unique and not
    empty (the importer turns ONNX's "no axes" into every axis, or into no op
    with `noop_with_empty_axes`). With `keepdims` the reduced axes stay with
    extent 1, otherwise they are removed.

    Example:

    ```mlir
    %0 = nn.reduce_mean %x {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x4x3x3xf32>) -> tensor<1x4xf32>
    ```
  }];
}

def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum", "sum"> {
  let description = [{
    The sum of `input` over the axes `axes`: each output element is the sum of
    the input elements that differ from it only along `axes`. `axes` are
    normalized, sorted, unique and not empty (the importer turns ONNX's "no
    axes" into every axis, or into no op with `noop_with_empty_axes`). With
    `keepdims` the reduced axes stay with extent 1, otherwise they are
    removed.

    Example:

    ```mlir
    %1 = nn.reduce_sum %x {axes = array<i64: 1, 3>, keepdims = true} : (tensor<1x4x3x3xf32>) -> tensor<1x1x3x1xf32>
    ```
  }];
}

def NN_ReduceMaxOp : NN_ReduceOp<"reduce_max", "maximum"> {
  let description = [{
    The maximum of `input` over the axes `axes`: each output element is the
    largest of the input elements that differ from it only along `axes` (NaN
    if one of them is NaN). `axes` are normalized, sorted, unique and not
    empty. With `keepdims` the reduced axes stay with extent 1, otherwise
    they are removed. Also a part of the importer's LogSoftmax.

    Example:

    ```mlir
    %2 = nn.reduce_max %x {axes = array<i64: 1>, keepdims = true} : (tensor<1x10xf32>) -> tensor<1x1xf32>
    ```
  }];
}

def NN_ReduceMinOp : NN_ReduceOp<"reduce_min", "minimum"> {
  let description = [{
    The minimum of `input` over the axes `axes`: each output element is the
    smallest of the input elements that differ from it only along `axes`
    (NaN if one of them is NaN). `axes` are normalized, sorted, unique and
    not empty. With `keepdims` the reduced axes stay with extent 1,
    otherwise they are removed.

    Example:

    ```mlir
    %3 = nn.reduce_min %x {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x4x3x3xf32>) -> tensor<1x4xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

def NN_ConvOp : NN_InferOp<"conv"> {
  let summary = "grouped N-d convolution (cross-correlation)";
  let description = [{
    Grouped cross-correlation: `input` is `N x C x D1 ... Dn`, `weight` is `M
    x C/group x k1 ... kn`, optional `bias` has `M` elements. Output channel
    `m` (in group `g = m / (M/group)`) at each position is `bias[m]` plus the
    sum, over the `C/group` input channels of group `g` and the kernel taps,
    of weight times input, the input being read at `position * stride + tap *
    dilation - pad_begin` (0 outside: zero padding). `strides` and `dilations`
    have one entry per spatial axis, `pads` has all begin pads then all end
    pads; an output extent is `floor((D + pad_begin + pad_end - (k - 1) *
    dilation - 1) / stride) + 1`. `group == C == M` is a depthwise
    convolution. With constant weight and bias `--dlp-quantize` turns it into
    `qnn.conv`.

    Example:

    ```mlir
    %y = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64,
                             pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
        : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x32x32xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                   Optional<NN_Tensor>:$bias, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                   ConfinedAttr<I64Attr, [IntPositive]>:$group);
  let results = (outs NN_Tensor:$output);
}

def NN_ConvTransposeOp : NN_InferOp<"conv_transpose"> {
  let summary = "grouped N-d transposed convolution";
  let description = [{
    Grouped transposed convolution (the gradient of `nn.conv` with respect to
    its input; ONNX ConvTranspose): `input` is `N x C x D1 ... Dn`, `weight`
    is `C x M/group x k1 ... kn`, optional `bias` has `M` elements. Output
    extent per spatial axis: `stride * (D - 1) + output_padding + (k - 1) *
    dilation + 1 - pad_begin - pad_end` (the importer turns `output_shape` and
    `auto_pad` into pads; a negative pad extends the output); `output_padding`
    lies in `[0, max(stride, dilation))`. `pads` has all begin pads then all
    end pads.

    Example:

    ```mlir
    %y = nn.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_padding = array<i64: 1, 1>,
                                   pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
        : (tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                   Optional<NN_Tensor>:$bias, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$output_padding,
                   ConfinedAttr<I64Attr, [IntPositive]>:$group);
  let results = (outs NN_Tensor:$output);
}

def NN_ResizeOp : NN_InferOp<"resize"> {
  let summary = "nearest, N-linear or cubic resampling (ONNX Resize / Upsample)";
  let description = [{
    The output has extents `sizes`; `scales` (one per axis) are the factors
    the coordinate transform divides by (ONNX's given scales, or
    `sizes / input` when the model gave sizes). `mode` is `nearest`,
    `linear` or `cubic` (ONNX's cubic convolution with `cubic_coeff_a`;
    `exclude_outside` drops and renormalizes the weights of taps outside
    the input); `coordinate_transformation_mode` is `half_pixel`,
    `pytorch_half_pixel`, `align_corners`, `asymmetric`,
    `tf_half_pixel_for_nn` or `tf_crop_and_resize` (which samples the
    region `roi`, all starts then all ends in normalized coordinates, and
    gives `extrapolation_value` outside the input; `roi` is empty
    otherwise); `nearest_mode` is `round_prefer_floor`,
    `round_prefer_ceil`, `floor` or `ceil` (used by `nearest` only).
    Source indices are clamped to the input (edge replication).

    ```mlir
    %y = nn.resize %x {coordinate_transformation_mode = "asymmetric", cubic_coeff_a = -7.500000e-01 : f32,
                       exclude_outside = false, extrapolation_value = 0.000000e+00 : f32, mode = "nearest",
                       nearest_mode = "floor", roi = array<f64>,
                       scales = array<f64: 1.0, 1.0, 2.0, 2.0>, sizes = array<i64: 1, 8, 8, 8>}
        : (tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$sizes,
                   DenseF64ArrayAttr:$scales, StrAttr:$mode,
                   StrAttr:$coordinate_transformation_mode,
                   StrAttr:$nearest_mode, F32Attr:$cubic_coeff_a,
                   BoolAttr:$exclude_outside, DenseF64ArrayAttr:$roi,
                   F32Attr:$extrapolation_value);
  let results = (outs NN_Tensor:$output);
}

def NN_MaxPoolOp : NN_PoolOp<"max_pool"> {
  let summary = "max pooling";
  let description = [{
    Max pooling over the spatial axes of an `N x C x spatial` tensor: each
    output is the maximum of the input elements of its window (`kernel_shape`,
    `strides`, `dilations` per spatial axis; `pads` all begin pads then all
    end pads, each smaller than the kernel extent). Padded positions never win
    (a window without input elements gives -inf). An output extent is
    `floor(span / stride) + 1` with `span = D + pad_begin + pad_end - (k -
    1) * dilation - 1`; with `ceil_mode` it rounds up, and a window that
    starts in the end padding is dropped, as in ONNX.

    Example:

    ```mlir
    %y = nn.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                         pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
        : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode);
}

def NN_AvgPoolOp : NN_PoolOp<"avg_pool"> {
  let summary = "average pooling";
  let description = [{
    Average pooling over the spatial axes of an `N x C x spatial` tensor: each
    output is the sum of the input elements of its window divided by a count.
    With `count_include_pad` the count is the window clipped to the padded
    extent; otherwise only in-bounds elements are counted. Window, pads and
    `ceil_mode` as in `nn.max_pool` (no dilation).

    Example:

    ```mlir
    %y = nn.avg_pool %x {ceil_mode = false, count_include_pad = false, kernel_shape = array<i64: 2, 2>,
                         pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
        : (tensor<1x8x4x4xf32>) -> tensor<1x8x2x2xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   BoolAttr:$ceil_mode, BoolAttr:$count_include_pad);
}

def NN_GlobalAvgPoolOp : NN_InferOp<"global_avg_pool"> {
  let summary = "mean over all spatial axes";
  let description = [{
    The mean of each `(n, c)` plane of an `N x C x spatial` tensor (rank >= 3)
    over all its spatial elements; the result is `N x C x 1 x ... x 1`.

    Example:

    ```mlir
    %y = nn.global_avg_pool %x : (tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$output);
}

def NN_BatchNormOp : NN_InferOp<"batch_norm"> {
  let summary = "inference batch normalization over axis 1";
  let description = [{
    Inference batch normalization over axis 1: `y = scale * (x - mean) /
    sqrt(var + epsilon) + bias` for every element of channel `c`, each
    parameter a 1-D tensor with one element per channel. Folded into the
    preceding conv or fully-connected op by `--nn-fold-batchnorm`.

    Example:

    ```mlir
    %y = nn.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-5 : f32}
        : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$scale, NN_Tensor:$bias,
                   NN_Tensor:$mean, NN_Tensor:$var, F32Attr:$epsilon);
  let results = (outs NN_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def NN_GemmOp : NN_InferOp<"gemm"> {
  let summary = "ONNX Gemm: alpha * op(A) * op(B) + beta * C";
  let description = [{
    ONNX Gemm: `output = alpha * op(a) * op(b) + beta * c`, an `M x N` matrix.
    `a` and `b` are 2-D, `op` transposes when `trans_a`/`trans_b` is set, and
    the inner dimensions agree. `c` is optional and unidirectionally
    broadcastable to `M x N`. `--nn-canonicalize-fc` turns a Gemm with
    untransposed `a`, constant `b` and a constant row bias `c` (or none) into
    `nn.fully_connected`.

    Example:

    ```mlir
    %y = nn.gemm %a, %w, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true}
        : (tensor<1x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<1x10xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$a, NN_Tensor:$b, Optional<NN_Tensor>:$c,
                   F32Attr:$alpha, F32Attr:$beta, BoolAttr:$trans_a,
                   BoolAttr:$trans_b);
  let results = (outs NN_Tensor:$output);
}

def NN_MatMulOp : NN_InferOp<"matmul"> {
  let summary = "numpy matmul with batch broadcasting";
  let description = [{
    Numpy matmul: the last two axes of `lhs` (`... x M x K`) and `rhs` (`... x
    K x N`) are multiplied as matrices and the leading (batch) axes broadcast.
    A 1-D operand is promoted as in numpy (`K` to `1 x K` on the left, `K x 1`
    on the right) and the added axis removed from the result.

    Example:

    ```mlir
    %y = nn.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$output);
}

def NN_FullyConnectedOp : NN_InferOp<"fully_connected"> {
  let summary = "y = flatten(x) * W^T + b, the canonical dense layer";
  let description = [{
    `output = flatten(input) * weight^T + bias`. `input` is `N x d1 x ... x
    dk` and is flattened (row-major) to `N x K` with `K = d1 * ... * dk`;
    `weight` is `P x K` (one row per output); optional `bias` has `P`
    elements. The result is `N x P`. `--nn-canonicalize-fc` produces this op
    from Flatten/Reshape + Gemm/MatMul(+Add) chains; with constant weight and
    bias `--dlp-quantize` turns it into `qnn.fully_connected`.

    Example:

    ```mlir
    %y = nn.fully_connected %x, %w, %b : (tensor<1x512x1x1xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<1x10xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                   Optional<NN_Tensor>:$bias);
  let results = (outs NN_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def NN_ConcatOp : NN_InferOp<"concat"> {
  let summary = "concatenation along an axis";
  let description = [{
    Concatenates `inputs` along `axis` (normalized, `0 <= axis < rank`): all
    inputs have the same rank and agree on every other dimension, and the
    result's extent on `axis` is the sum of theirs, the inputs following each
    other in order. Along channels (`axis = 1`) between quantized maps
    `--dlp-quantize` turns it into `qnn.concat`.

    Example:

    ```mlir
    %0 = nn.concat %x, %y {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_Tensor:$output);
}

def NN_FlattenOp : NN_InferOp<"flatten"> {
  let summary = "reshape to 2-D at an axis";
  let description = [{
    Reshapes to 2-D at `axis` (`0 <= axis <= rank`): the output is
    `prod(d[0:axis]) x prod(d[axis:])`, the elements in row-major order
    unchanged.

    Example:

    ```mlir
    %y = nn.flatten %x {axis = 1 : i64} : (tensor<1x512x1x1xf32>) -> tensor<1x512xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, I64Attr:$axis);
  let results = (outs NN_Tensor:$output);
}

def NN_ReshapeOp : NN_InferOp<"reshape"> {
  let summary = "reshape with ONNX `shape` semantics";
  let description = [{
    Reshapes `input` to `shape`, the elements in row-major order unchanged.
    `shape` follows ONNX: `-1` (at most once) is inferred from the element
    count, and `0` copies the input dimension unless `allowzero` is set.

    Example:

    ```mlir
    %y = nn.reshape %x {allowzero = false, shape = array<i64: 0, -1>} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$shape,
                   BoolAttr:$allowzero);
  let results = (outs NN_Tensor:$output);
}

def NN_TransposeOp : NN_InferOp<"transpose"> {
  let summary = "permute axes: output dim i is input dim perm[i]";
  let description = [{
    Permutes the axes: `perm` is a permutation of `[0, rank)` and output axis
    `d` is input axis `perm[d]`: the output element at index `j` is the input
    element whose index along axis `perm[d]` is `j[d]`, for every `d`.

    Example:

    ```mlir
    %y = nn.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs NN_Tensor:$output);
}

def NN_SqueezeOp : NN_InferOp<"squeeze"> {
  let summary = "remove size-1 axes";
  let description = [{
    Removes the axes `axes` from the shape, the elements unchanged. `axes` are
    normalized, sorted, unique, and each names a dimension of size 1.

    Example:

    ```mlir
    %y = nn.squeeze %x {axes = array<i64: 2, 3>} : (tensor<1x8x1x1xf32>) -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs NN_Tensor:$output);
}

def NN_UnsqueezeOp : NN_InferOp<"unsqueeze"> {
  let summary = "insert size-1 axes";
  let description = [{
    Inserts size-1 axes, the elements unchanged. `axes` index the output
    (normalized, sorted, unique, below the output rank).

    Example:

    ```mlir
    %y = nn.unsqueeze %x {axes = array<i64: 0>} : (tensor<8xf32>) -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs NN_Tensor:$output);
}

def NN_SliceOp : NN_InferOp<"slice"> {
  let summary = "strided slice";
  let description = [{
    Strided slice: along each axis `axes[i]` (distinct) the output takes the
    input indices `starts[i]`, `starts[i] + steps[i]`, ... up to, not
    including, `ends[i]`; other axes are kept whole. `starts`, `ends`, `axes`,
    `steps` have equal length; starts/ends follow ONNX (negative counts from
    the end, clamped to the axis), steps are non-zero (negative walks
    backwards).

    Example:

    ```mlir
    %y = nn.slice %x {axes = array<i64: 1>, ends = array<i64: 3>, starts = array<i64: 1>, steps = array<i64: 1>}
        : (tensor<2x4xf32>) -> tensor<2x2xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$axes,
                   DenseI64ArrayAttr:$steps);
  let results = (outs NN_Tensor:$output);
}

def NN_ExpandOp : NN_InferOp<"expand"> {
  let summary = "broadcast to a shape (ONNX Expand)";
  let description = [{
    Broadcasts `input` to a shape (ONNX Expand): the output shape is the numpy
    broadcast of the input shape and `shape` (so an entry 1 in `shape` keeps
    the input's extent), each element repeating the input element it
    broadcasts from. `shape` entries are non-negative.

    Example:

    ```mlir
    %y = nn.expand %x {shape = array<i64: 2, 1, 6>} : (tensor<3x1xf32>) -> tensor<2x3x6xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs NN_Tensor:$output);
}

def NN_PadOp : NN_InferOp<"pad"> {
  let summary = "pad with a constant, by reflection or by edge replication";
  let description = [{
    Pads (or crops) every axis: `pads` has all begin pads then all end pads,
    one per axis; a negative pad crops, and no axis may end up below extent 0.
    `mode` is `constant` (new elements are `value`), `reflect` (mirrored
    without repeating the edge element) or `edge` (the edge element repeated),
    as in ONNX Pad.

    Example:

    ```mlir
    %y = nn.pad %x {mode = "constant", pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32}
        : (tensor<1x3x4x4xf32>) -> tensor<1x3x6x6xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$pads,
                   StrAttr:$mode, F32Attr:$value);
  let results = (outs NN_Tensor:$output);
}

#endif // DLP_NN_OPS_TD

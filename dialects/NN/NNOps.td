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
  let description = [{
    Computes `output = }] # expr # [{` element by element. Operand shapes
    broadcast as in numpy: shapes are aligned at the trailing axis and a
    dimension of size 1 stretches to the other operand's size.

    ```mlir
    %z = nn.}] # mnemonic # [{ %x, %y : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
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
    ```mlir
    %y = nn.relu %x : tensor<1x16x8x8xf32>
    ```
  }];
}

def NN_SigmoidOp : NN_UnaryOp<"sigmoid"> {
  let summary = "logistic sigmoid, 1 / (1 + exp(-x))";
  let description = [{
    ```mlir
    %y = nn.sigmoid %x : tensor<1x16xf32>
    ```
  }];
}

def NN_ClipOp : NN_UnaryOp<"clip"> {
  let summary = "clamp to [min, max]";
  let description = [{
    `min` and `max` are always present (the importer fills the ONNX defaults,
    -inf and +inf, and folds the constant `min`/`max` inputs of opset 11+).
    Requires `min <= max`.

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
    ```mlir
    %y = nn.hard_sigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha, F32Attr:$beta);
}

def NN_IdentityOp : NN_UnaryOp<"identity"> {
  let summary = "returns its operand (removed by --nn-cleanup)";
  let description = [{
    ```mlir
    %y = nn.identity %x : tensor<4xf32>
    ```
  }];
}

def NN_DropoutOp : NN_UnaryOp<"dropout"> {
  let summary = "dropout; identity at inference (removed by --nn-cleanup)";
  let description = [{
    Only inference semantics are modelled: the output equals the input.
    `ratio` is kept for reference.

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
    `exp(x) / sum(exp(x))` along `axis` (normalized, `0 <= axis < rank`).
    Older opsets' "coerce to 2-D" softmax is expressed by the importer as
    reshape + softmax + reshape.

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
    `y = x / (bias + alpha / size * sum(x[c']^2))^beta`, where the sum runs over
    channels `c - floor((size-1)/2) <= c' <= c + ceil((size-1)/2)`.

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
  let description = [{
    ```mlir
    %y = nn.}] # mnemonic # [{ %x : tensor<2x3xf32>
    ```
  }];
}

def NN_NegOp : NN_MathUnaryOp<"neg", "-x">;
def NN_AbsOp : NN_MathUnaryOp<"abs", "|x|">;
def NN_ExpOp : NN_MathUnaryOp<"exp", "exp(x)">;
def NN_LogOp : NN_MathUnaryOp<"log", "natural logarithm">;
def NN_SqrtOp : NN_MathUnaryOp<"sqrt", "square root">;
def NN_TanhOp : NN_MathUnaryOp<"tanh", "hyperbolic tangent">;
def NN_ErfOp : NN_MathUnaryOp<"erf", "Gauss error function">;
def NN_ReciprocalOp : NN_MathUnaryOp<"reciprocal", "1 / x">;

def NN_LeakyReluOp : NN_UnaryOp<"leaky_relu"> {
  let summary = "x if x >= 0 else alpha * x";
  let description = [{
    ```mlir
    %y = nn.leaky_relu %x {alpha = 0.01 : f32} : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha);
}

//===----------------------------------------------------------------------===//
// Element-wise binary ops
//===----------------------------------------------------------------------===//

def NN_AddOp : NN_BroadcastOp<"add", "lhs + rhs">;
def NN_SubOp : NN_BroadcastOp<"sub", "lhs - rhs">;
def NN_MulOp : NN_BroadcastOp<"mul", "lhs * rhs">;
def NN_DivOp : NN_BroadcastOp<"div", "lhs / rhs">;
def NN_MaxOp : NN_BroadcastOp<"max", "max(lhs, rhs)">;
def NN_MinOp : NN_BroadcastOp<"min", "min(lhs, rhs)">;
def NN_PowOp : NN_BroadcastOp<"pow", "lhs raised to the power rhs">;

// Comparisons give a float mask (1.0 true, 0.0 false): the nn dialect
// computes in float32 only, so an ONNX bool tensor is such a mask. Greater
// and GreaterOrEqual import as less / less_equal with swapped operands.
def NN_EqualOp : NN_BroadcastOp<"equal", "lhs == rhs ? 1.0 : 0.0">;
def NN_LessOp : NN_BroadcastOp<"less", "lhs < rhs ? 1.0 : 0.0">;
def NN_LessEqualOp : NN_BroadcastOp<"less_equal", "lhs <= rhs ? 1.0 : 0.0">;

def NN_WhereOp : NN_InferOp<"where"> {
  let summary = "element-wise select with broadcasting";
  let description = [{
    `output = condition != 0 ? lhs : rhs`, the three operands broadcast
    together as in numpy. `condition` is a float mask (an ONNX bool tensor:
    a comparison's result or a constant converted at import).

    ```mlir
    %y = nn.where %c, %a, %b : (tensor<2x1xf32>, tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
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
  let description = [{
    `axes` are normalized, sorted, unique and not empty (the importer turns
    ONNX's "no axes" into every axis, or into no op with
    `noop_with_empty_axes`). With `keepdims` the reduced axes stay with
    extent 1, otherwise they are removed.

    ```mlir
    %y = nn.}] # mnemonic # [{ %x {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$axes,
                   BoolAttr:$keepdims);
  let results = (outs NN_Tensor:$output);
}

def NN_ReduceMeanOp : NN_ReduceOp<"reduce_mean", "arithmetic mean">;
def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum", "sum">;

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

def NN_ConvOp : NN_InferOp<"conv"> {
  let summary = "grouped N-d convolution (cross-correlation)";
  let description = [{
    `input` is `N x C x D1 ... Dn`, `weight` is `M x C/group x k1 ... kn`,
    optional `bias` has `M` elements. `strides` and `dilations` have one
    entry per spatial axis, `pads` has all begin pads then all end pads.
    `group == C == M` is a depthwise convolution.

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
    `input` is `N x C x D1 ... Dn`, `weight` is `C x M/group x k1 ... kn`,
    optional `bias` has `M` elements. Output extent per spatial axis:
    `stride * (D - 1) + output_padding + (k - 1) * dilation + 1 - pad_begin
    - pad_end` (the importer turns `output_shape` and `auto_pad` into pads;
    a negative pad extends the output). `pads` has all begin pads then all
    end pads.

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
    Padded positions never win. With `ceil_mode` the output size rounds up
    (a window that starts in the end padding is dropped, as in ONNX).

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
    With `count_include_pad` the divisor is the full kernel size (clipped to
    the padded extent); otherwise only in-bounds elements are counted.

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
    `y = scale * (x - mean) / sqrt(var + epsilon) + bias`, each parameter a
    1-D tensor with one element per channel. Folded into the preceding conv or
    fully-connected op by `--nn-fold-batchnorm`.

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
    `A` and `B` are 2-D, `op` transposes when `trans_a`/`trans_b` is set. `C`
    is optional and unidirectionally broadcastable to the `M x N` result.

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
    1-D operands are promoted as in numpy (and the added axis removed).

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
    `input` is `N x d1 x ... x dk` and is flattened to `N x K` with
    `K = d1 * ... * dk`; `weight` is `P x K` (one row per output); optional
    `bias` has `P` elements. The result is `N x P`. `--nn-canonicalize-fc`
    produces this op from Flatten/Reshape + Gemm/MatMul(+Add) chains.

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
    ```mlir
    %y = nn.concat %a, %b {axis = 1 : i64} : (tensor<1x16x8x8xf32>, tensor<1x32x8x8xf32>) -> tensor<1x48x8x8xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_Tensor:$output);
}

def NN_FlattenOp : NN_InferOp<"flatten"> {
  let summary = "reshape to 2-D at an axis";
  let description = [{
    Output is `prod(d[0:axis]) x prod(d[axis:])`, `0 <= axis <= rank`.

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
    `shape` follows ONNX: `-1` (at most once) is inferred from the element
    count, and `0` copies the input dimension unless `allowzero` is set.

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
    `axes` are normalized, sorted and each names a dimension of size 1.

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
    `axes` index the output, normalized and sorted.

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
    `starts`, `ends`, `axes`, `steps` have equal length; starts/ends follow
    ONNX (negative counts from the end, clamped), steps are non-zero.

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
    The output shape is the numpy broadcast of the input shape and `shape`
    (so an entry 1 in `shape` keeps the input's extent).

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
    `pads` has all begin pads then all end pads, one per axis (may be
    negative, which crops). `mode` is `constant`, `reflect` or `edge`.

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

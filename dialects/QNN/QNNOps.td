//===- QNNOps.td - qnn dialect operations ------------------*- tablegen -*-===//
//
// The integer counterparts of the nn compute ops. Every op's semantics is a
// section of docs/numerics.md; verifiers check shapes (with the nn shape
// rules) and the consistency of the scales carried by the operand types.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_QNN_OPS_TD
#define DLP_QNN_OPS_TD

include "QNN/QNNDialect.td"
include "QNN/QNNAttrs.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class QNN_EncodedTensor<string attr, Type elt, string what>
    : Type<And<[RankedTensorOf<[elt]>.predicate,
                CPred<"::llvm::isa_and_nonnull<::dlp::qnn::" # attr # ">("
                      "::llvm::cast<::mlir::RankedTensorType>($_self)"
                      ".getEncoding())">]>,
           what, "::mlir::RankedTensorType">;

def QNN_Fmap : QNN_EncodedTensor<"FmapAttr", I8,
    "int8 feature map (tensor of i8 with #qnn.fmap)">;
def QNN_Weight : Type<And<[RankedTensorOf<[I8]>.predicate,
    CPred<"::llvm::isa_and_nonnull<::dlp::qnn::Pow2Attr, ::dlp::qnn::Int8WAttr>("
          "::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding())">]>,
    "quantized weight (tensor of i8 with #qnn.pow2 or #qnn.int8w)",
    "::mlir::RankedTensorType">;
def QNN_Bias : QNN_EncodedTensor<"AccAttr", I32,
    "int32 bias (tensor of i32 with #qnn.acc)">;
def QNN_Float : RankedTensorOf<[F32]>;

/// Clamp bounds applied to the int8 result: absent = [-128, 127]; one entry
/// for every channel or one per channel (a Clip's bounds differ between
/// channels of different scales). ReLU: act_min = array<i32: 0>.
defvar QNN_ActBounds = (ins OptionalAttr<DenseI32ArrayAttr>:$act_min,
                            OptionalAttr<DenseI32ArrayAttr>:$act_max);

class QNN_FmapOp<string mnemonic, list<Trait> traits = []>
    : QNN_Op<mnemonic, !listconcat(traits, [Pure])> {
  let results = (outs QNN_Fmap:$output);
  code actBoundsDecl = [{
    /// Clamp bounds of output channel c (section 3).
    int32_t actMin(int64_t c) { return ::dlp::qnn::actBound(getActMin(), c, -128); }
    int32_t actMax(int64_t c) { return ::dlp::qnn::actBound(getActMax(), c, 127); }
  }];
  let hasVerifier = 1;
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Constants and conversions
//===----------------------------------------------------------------------===//

def QNN_ConstantOp : QNN_Op<"constant", [Pure, ConstantLike]> {
  let summary = "quantized weight or bias";
  let description = [{
    A weight or bias of a quantized layer. `value` holds the stored integers;
    its type must be the result type without the encoding, which the result
    type adds (the `qnn` dialect's table, docs/numerics.md section 9):

    * `i8` with `#qnn.pow2<[n1...]>`: pow2-4 codes, one per byte, each a valid
      code (0-15 except 8); code `s*8+k` of output channel `o` is 0 for
      `k = 0`, else `(-1)^s * 2^(n1_o - 7 + k)` (section 2.1);
    * `i8` with `#qnn.int8w<[g...]>`: int8 weights in [-127, 127] of value
      `q * 2^-g_o` (section 2.2);
    * `i32` with `#qnn.acc<[F...]>`: a bias of value `q * 2^-F_o` (section 3).

    Dimension 0 (the output channel) has as many entries as the encoding
    describes (an elided `dense_resource` blob is not checked). The op folds
    to `value`.

    Example:

    ```mlir
    %w = qnn.constant dense<[[[[7]], [[13]]], [[[0]], [[1]]]]> : tensor<2x2x1x1xi8> : tensor<2x2x1x1xi8, #qnn.pow2<[0, 2]>>
    %b = qnn.constant dense<[205, -3]> : tensor<2xi32> : tensor<2xi32, #qnn.acc<[11, 9]>>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$value attr-dict `:` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QNN_QuantizeOp : QNN_FmapOp<"quantize"> {
  let summary = "float -> int8 feature map, q = sat8(floor(x * 2^f + 1/2))";
  let description = [{
    Converts a float tensor to an int8 feature map of the same shape. An
    element of channel `c` (dimension 1) becomes
    `q = sat8(floor(x * 2^f_c + 1/2))` (round half up, computed in double),
    `f_c` being the entry of the result's `#qnn.fmap` for `c`
    (docs/numerics.md section 1). `--dlp-quantize` inserts it where a
    quantized op reads a float value (a model input or the result of an op
    kept in float); on the DLP the runtime quantizes a model input on entry,
    and a computed float tensor is quantized by a host segment
    (docs/lowering.md).

    Example:

    ```mlir
    %q = qnn.quantize %x : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xi8, #qnn.fmap<[5, 3]>>
    ```
  }];
  let arguments = (ins QNN_Float:$input);
}

def QNN_DequantizeOp : QNN_Op<"dequantize", [Pure]> {
  let summary = "int8 feature map -> float, x = q * 2^-f";
  let description = [{
    Converts an int8 feature map to a float tensor of the same shape: an
    element of channel `c` becomes `x = q * 2^-f_c` with `f_c` from the
    input's `#qnn.fmap` (docs/numerics.md section 1). The conversion is exact.
    Model outputs and the inputs of ops kept in float are dequantized.

    Example:

    ```mlir
    %d = qnn.dequantize %p : (tensor<1x2x3x3xi8, #qnn.fmap<[4, 4]>>) -> tensor<1x2x3x3xf32>
    ```
  }];
  let arguments = (ins QNN_Fmap:$input);
  let results = (outs QNN_Float:$output);
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QNN_RequantizeOp : QNN_FmapOp<"requantize"> {
  let summary = "change of per-channel scale (rounding shift, saturation)";
  let description = [{
    Moves an int8 feature map to other per-channel scales without changing
    its shape. With `s = f_in,c - f_out,c` for channel `c`, an element
    becomes `sat8((q + 2^(s-1)) >> s)` for `s > 0` (round half up) and
    `sat8(q << -s)` for `s <= 0`: the requantization rule of
    docs/numerics.md section 3 applied to the int8 value. The quantizer
    inserts it to narrow the fractional-bit spread of a conv or
    fully-connected input that fails the overflow proof (section 3). On the
    DLP it is a `dlp.add` with `unary` (docs/isa.md section 3.5).

    Example:

    ```mlir
    %rr = qnn.requantize %rq : (tensor<1x1x1x2xi8, #qnn.fmap<[1]>>) -> tensor<1x1x1x2xi8, #qnn.fmap<[0]>>
    ```
  }];
  let arguments = (ins QNN_Fmap:$input);
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def QNN_ConvOp : QNN_FmapOp<"conv"> {
  let summary = "shift/multiply-accumulate convolution with requantization";
  let description = [{
    The integer convolution of docs/numerics.md section 3. `input` is an
    `N x C x spatial` int8 map, `weight` an `O x C/group x kernel` pow2-4
    (`#qnn.pow2`) or int8 (`#qnn.int8w`) weight, `bias` (optional) an `O`
    element `#qnn.acc` tensor; `strides`, `pads` (all begin pads, then all end
    pads), `dilations` and `group` are as in `nn.conv`, padding reading 0.

    Output channel `o` accumulates in int32 at the derived scale `F_o`
    (`max_i (f_i - n2_o)` for pow2-4, `max_i (f_i + g_o)` for int8, over the
    input channels `i` of its group, which the bias must carry): the bias
    plus, per tap, `+-(q_x << (e - f_i + F_o))` for a pow2-4 weight `+-2^e`
    or `(q_x * q_w) << (F_o - f_i - g_o)` for an int8 one. The sum is
    requantized to the result's `f_o` (round half up, saturation to int8) and
    clamped to `[act_min, act_max]` (absent: [-128, 127]; one entry for all
    channels or one per channel; a fused ReLU is `act_min = array<i32: 0>`).
    The verifier checks shapes, scales and that every shift lies in [0, 31];
    the evaluator and the lowering to the DLP refuse a layer whose int32 sum
    could overflow (section 3's proof).

    Example:

    ```mlir
    %c = qnn.conv %q, %w, %b {act_min = array<i32: 0>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
        : (tensor<1x2x6x6xi8, #qnn.fmap<[5, 3]>>, tensor<2x2x1x1xi8, #qnn.pow2<[0, 2]>>, tensor<2xi32, #qnn.acc<[11, 9]>>) -> tensor<1x2x6x6xi8, #qnn.fmap<[4, 4]>>
    ```
  }];
  let arguments = !con((ins QNN_Fmap:$input, QNN_Weight:$weight,
                            Optional<QNN_Bias>:$bias,
                            DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                            DenseI64ArrayAttr:$dilations,
                            ConfinedAttr<I64Attr, [IntPositive]>:$group),
                       QNN_ActBounds);
  let extraClassDeclaration = actBoundsDecl;
}

def QNN_FullyConnectedOp : QNN_FmapOp<"fully_connected"> {
  let summary = "fully-connected layer, N x K input, O x K weight";
  let description = [{
    The integer dense layer: `output[n, o]` is computed from the `N x K` int8
    `input` (2-D: a wider map is flattened first, `qnn.flatten`), the `O x K`
    pow2-4 or int8 `weight` and the optional `O` element `#qnn.acc` bias
    exactly as an output pixel of `qnn.conv` with one group and a 1 x 1
    kernel: int32 accumulation at the derived scale `F_o`, requantization to
    the result's `f_o` and the clamp `[act_min, act_max]`
    (docs/numerics.md section 3). Feature `k` of the input has the scale
    entry `k / block` of its `#qnn.fmap`. The verifier checks the shapes, that
    the bias carries `F_o` and that every shift lies in [0, 31].

    Example:

    ```mlir
    %y = qnn.fully_connected %f, %w, %b : (tensor<?x8xi8, #qnn.fmap<[2, 3], block = 4>>, tensor<3x8xi8, #qnn.int8w<[7, 0, 5]>>, tensor<3xi32, #qnn.acc<[10, 3, 8]>>) -> tensor<?x3xi8, #qnn.fmap<[1, 1, 1]>>
    ```
  }];
  let arguments = !con((ins QNN_Fmap:$input, QNN_Weight:$weight,
                            Optional<QNN_Bias>:$bias),
                       QNN_ActBounds);
  let extraClassDeclaration = actBoundsDecl;
}

def QNN_MaxPoolOp : QNN_FmapOp<"max_pool"> {
  let summary = "max pooling (exact, same scale)";
  let description = [{
    Max pooling of an int8 feature map: each output is the maximum of the
    int8 elements of its window that lie inside the input (padding never
    wins; -128 for a window without any), so it is exact and the result
    must have the input's scales (docs/numerics.md section 4). The window
    attributes (`kernel_shape`, `strides`, `pads`, `dilations`, `ceil_mode`)
    and the result shape are those of `nn.max_pool`.

    Example:

    ```mlir
    %p = qnn.max_pool %c {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
        : (tensor<1x2x6x6xi8, #qnn.fmap<[4, 4]>>) -> tensor<1x2x3x3xi8, #qnn.fmap<[4, 4]>>
    ```
  }];
  let arguments = (ins QNN_Fmap:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode);
}

def QNN_AvgPoolOp : QNN_FmapOp<"avg_pool"> {
  let summary = "average pooling by the fixed-point reciprocal M_K";
  let description = [{
    Average pooling of an int8 feature map (docs/numerics.md section 4): the
    window's int8 elements are summed in int32 and divided by the count `K`
    with the fixed-point reciprocal `M_K = floor(2^16 / K + 1/2)`:
    `q = sat8((sum * M_K + 2^15) >> 16)`. `K` is the number of window
    elements inside the input, or with `count_include_pad` the window
    clipped to the padded input. The result keeps the input's scales (the
    verifier requires them equal). Attributes and result shape are those of
    `nn.avg_pool` (no dilation).

    Example:

    ```mlir
    %p = qnn.avg_pool %r {ceil_mode = false, count_include_pad = false, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
        : (tensor<1x4x4x4xi8, #qnn.fmap<[5, 3, 6, 2]>>) -> tensor<1x4x2x2xi8, #qnn.fmap<[5, 3, 6, 2]>>
    ```
  }];
  let arguments = (ins QNN_Fmap:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   BoolAttr:$ceil_mode, BoolAttr:$count_include_pad);
}

def QNN_GlobalAvgPoolOp : QNN_FmapOp<"global_avg_pool"> {
  let summary = "mean over the spatial axes by the fixed-point reciprocal";
  let description = [{
    The mean of every `(n, c)` plane of an `N x C x spatial` int8 map,
    computed as `qnn.avg_pool` with the whole plane as the window: int32 sum,
    then `sat8((sum * M_K + 2^15) >> 16)` with `K` the plane's element count
    (docs/numerics.md section 4; 7 x 7 gives `M_49 = 1337`). The result is
    `N x C x 1 ... x 1` with the input's scales.

    Example:

    ```mlir
    %g = qnn.global_avg_pool %p : (tensor<1x4x2x2xi8, #qnn.fmap<[5, 3, 6, 2]>>) -> tensor<1x4x1x1xi8, #qnn.fmap<[5, 3, 6, 2]>>
    ```
  }];
  let arguments = (ins QNN_Fmap:$input);
}

def QNN_AddOp : QNN_FmapOp<"add"> {
  let summary = "residual add of equal-shape maps with aligning shifts";
  let description = [{
    Residual add of two int8 maps of the same shape (no broadcasting), per
    channel `c` with input scales `f_a`, `f_b` and result scale `f_o`
    (docs/numerics.md section 5): both are aligned to `F = max(f_a, f_b)`,
    `t = (a << (F - f_a)) + (b << (F - f_b))` (exact in int32), and `t` is
    requantized from `F` to `f_o` (round half up, saturation) and clamped to
    `[act_min, act_max]` (as `qnn.conv`; a fused ReLU or Clip). The verifier
    requires `|f_a - f_b| <= 22` in every channel. On the DLP it is a
    `dlp.add` (docs/isa.md section 3.5).

    Example:

    ```mlir
    %s = qnn.add %a, %b {act_max = array<i32: 100, 90>} : (tensor<1x2x4x4xi8, #qnn.fmap<[6, 2]>>, tensor<1x2x4x4xi8, #qnn.fmap<[4, 5]>>) -> tensor<1x2x4x4xi8, #qnn.fmap<[5, 3]>>
    ```
  }];
  let arguments = !con((ins QNN_Fmap:$lhs, QNN_Fmap:$rhs), QNN_ActBounds);
  let extraClassDeclaration = actBoundsDecl;
}

def QNN_ClampOp : QNN_FmapOp<"clamp"> {
  let summary = "ReLU / Clip on int8: min(max(q, act_min), act_max)";
  let description = [{
    Clamps every int8 element of channel `c` to `[act_min_c, act_max_c]`:
    `q = min(max(q, act_min), act_max)`, the scales unchanged (result type
    equals the input type). Bounds as in `qnn.conv`: absent means -128 / 127,
    one entry applies to every channel, else one per channel. The quantizer
    emits it for a ReLU (`act_min = array<i32: 0>`) or Clip it could not fuse
    into its producer, a Clip's float bounds rounded to each channel's grid
    (docs/numerics.md section 3). On the DLP it is a `dlp.add` with `unary`.

    Example:

    ```mlir
    %r = qnn.clamp %c {act_min = array<i32: 0>} : (tensor<1x4x4x4xi8, #qnn.fmap<[5, 3, 6, 2]>>) -> tensor<1x4x4x4xi8, #qnn.fmap<[5, 3, 6, 2]>>
    ```
  }];
  let arguments = !con((ins QNN_Fmap:$input), QNN_ActBounds);
  let extraClassDeclaration = actBoundsDecl;
}

def QNN_TableOp : QNN_FmapOp<"table"> {
  let summary = "element-wise int8 -> int8 lookup, one 256-entry table per channel";
  let description = [{
    Element-wise int8 -> int8 lookup. `table` holds 256 int8 entries per
    scale entry of the input's `#qnn.fmap` (code `q` at `q + 128`); an element
    whose channel has scale entry `k` becomes `table[256 * k + q + 128]`.
    Input and result have the same shape and as many scale entries with the
    same block. The quantizer builds it from an element-wise float activation
    between a `qnn.dequantize` and a `qnn.quantize` (docs/numerics.md
    section 7): the table holds the integers of that chain for every input
    code, so the lookup is exact. On the DLP it is a host segment (kind 26).

    Example (the 512 entries elided):

    ```mlir
    %y = qnn.table %x {table = array<i8: 15, 15, 16, ...>}
        : (tensor<1x2x4x4xi8, #qnn.fmap<[5, 6]>>) -> tensor<1x2x4x4xi8, #qnn.fmap<[7, 7]>>
    ```
  }];
  let arguments = (ins QNN_Fmap:$input, DenseI8ArrayAttr:$table);
}

def QNN_ChannelMulOp : QNN_FmapOp<"channel_mul"> {
  let summary = "per-channel scaling of a map by a gate (squeeze-and-excitation)";
  let description = [{
    Multiplies every element of channel `c` of `input` (N x C x H x W) by
    `gate[n, c]` (N x C x 1 x 1, or 1 x C x 1 x 1 for every image) and
    requantizes the product: `y = sat8(roundShift(x * g, f_x,c + f_g,c -
    f_y,c))`, with section 3's round-half-up shift (a left shift for a
    negative amount; the amount clamped to [-32, 63]; docs/numerics.md
    section 8). The quantizer builds it from `qnn.dequantize` x,
    `qnn.dequantize` gate, a broadcasting `nn.mul` and `qnn.quantize`: the
    same integers, bit for bit. The result has the input's shape. On the DLP
    it is a host segment (kind 27).

    Example:

    ```mlir
    %y = qnn.channel_mul %x, %g : (tensor<?x2x4x4xi8, #qnn.fmap<[5, 6]>>, tensor<?x2x1x1xi8, #qnn.fmap<[7, 7]>>) -> tensor<?x2x4x4xi8, #qnn.fmap<[6, 6]>>
    ```
  }];
  let arguments = (ins QNN_Fmap:$input, QNN_Fmap:$gate);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def QNN_ConcatOp : QNN_FmapOp<"concat"> {
  let summary = "concatenation; along channels each channel keeps its scale";
  let description = [{
    Concatenates int8 maps along `axis` (`0 <= axis < rank`; the other
    dimensions agree), without arithmetic (docs/numerics.md section 5).
    Along channels (`axis = 1`) every result channel keeps the scale of the
    input channel it comes from, so the result's `#qnn.fmap` lists the
    inputs' entries in order; along another axis every input must have the
    result's scales. The lowering to the DLP takes channel concats only: one
    whose inputs (all but the last) fill whole channel blocks costs nothing
    (the producers write into their slices of the result), others are a host
    segment (kind 2; docs/lowering.md).

    Example:

    ```mlir
    %c = qnn.concat %s, %a {axis = 1 : i64} : (tensor<1x2x4x4xi8, #qnn.fmap<[5, 3]>>, tensor<1x2x4x4xi8, #qnn.fmap<[6, 2]>>) -> tensor<1x4x4x4xi8, #qnn.fmap<[5, 3, 6, 2]>>
    ```
  }];
  let arguments = (ins Variadic<QNN_Fmap>:$inputs, I64Attr:$axis);
}

def QNN_FlattenOp : QNN_FmapOp<"flatten"> {
  let summary = "N x C x ... -> N x (C * ...); the scale entry covers a block";
  let description = [{
    Reshapes an `N x C x d2 x ...` int8 map to `N x (C * d2 * ...)` (row-major
    order, as `nn.flatten` at axis 1); the integers are unchanged. The result
    keeps the input's scale entries with `block` multiplied by the spatial
    size `d2 * ...` (feature `k` then has scale entry `k / block`). The
    spatial dimensions must be static. On the DLP it is a view of its input's
    bytes (docs/lowering.md).

    Example:

    ```mlir
    %f = qnn.flatten %x : (tensor<?x2x2x2xi8, #qnn.fmap<[2, 3]>>) -> tensor<?x8xi8, #qnn.fmap<[2, 3], block = 4>>
    ```
  }];
  let arguments = (ins QNN_Fmap:$input);
}

#endif // DLP_QNN_OPS_TD

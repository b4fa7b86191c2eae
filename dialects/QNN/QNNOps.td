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
    `value` holds the stored integers (type without encoding); the result
    type adds the scale encoding. pow2-4 codes are stored one per byte and
    must be valid codes (0-15 except 8); int8 weights must lie in [-127, 127].

    ```mlir
    %w = qnn.constant dense<[[7, 13], [1, 0]]> : tensor<2x2xi8> : tensor<2x2xi8, #qnn.pow2<[0, -2]>>
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
  let arguments = (ins QNN_Float:$input);
}

def QNN_DequantizeOp : QNN_Op<"dequantize", [Pure]> {
  let summary = "int8 feature map -> float, x = q * 2^-f";
  let arguments = (ins QNN_Fmap:$input);
  let results = (outs QNN_Float:$output);
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QNN_RequantizeOp : QNN_FmapOp<"requantize"> {
  let summary = "change of per-channel scale (rounding shift, saturation)";
  let arguments = (ins QNN_Fmap:$input);
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def QNN_ConvOp : QNN_FmapOp<"conv"> {
  let summary = "shift/multiply-accumulate convolution with requantization";
  let description = [{
    Section 3 of docs/numerics.md: int32 accumulation at the derived scale
    `F_o`, bias at that scale, requantization to the result's scale and the
    clamp `[act_min, act_max]` (ReLU: `[0, 127]`). Attributes as `nn.conv`.
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
  let arguments = !con((ins QNN_Fmap:$input, QNN_Weight:$weight,
                            Optional<QNN_Bias>:$bias),
                       QNN_ActBounds);
  let extraClassDeclaration = actBoundsDecl;
}

def QNN_MaxPoolOp : QNN_FmapOp<"max_pool"> {
  let summary = "max pooling (exact, same scale)";
  let arguments = (ins QNN_Fmap:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode);
}

def QNN_AvgPoolOp : QNN_FmapOp<"avg_pool"> {
  let summary = "average pooling by the fixed-point reciprocal M_K";
  let arguments = (ins QNN_Fmap:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   BoolAttr:$ceil_mode, BoolAttr:$count_include_pad);
}

def QNN_GlobalAvgPoolOp : QNN_FmapOp<"global_avg_pool"> {
  let summary = "mean over the spatial axes by the fixed-point reciprocal";
  let arguments = (ins QNN_Fmap:$input);
}

def QNN_AddOp : QNN_FmapOp<"add"> {
  let summary = "residual add of equal-shape maps with aligning shifts";
  let arguments = !con((ins QNN_Fmap:$lhs, QNN_Fmap:$rhs), QNN_ActBounds);
  let extraClassDeclaration = actBoundsDecl;
}

def QNN_ClampOp : QNN_FmapOp<"clamp"> {
  let summary = "ReLU / Clip on int8: min(max(q, act_min), act_max)";
  let arguments = !con((ins QNN_Fmap:$input), QNN_ActBounds);
  let extraClassDeclaration = actBoundsDecl;
}

def QNN_TableOp : QNN_FmapOp<"table"> {
  let summary = "element-wise int8 -> int8 lookup, one 256-entry table per channel";
  let description = [{
    `table` holds 256 int8 entries per scale entry of the input's
    `#qnn.fmap` (code `q` at `q + 128`); an element whose channel has scale
    entry `k` becomes `table[256 * k + q + 128]`. The quantizer builds it
    from an element-wise float activation between a dequantize and a
    quantize (docs/numerics.md section 7): the integers of that chain for
    every input code, so the lookup is exact. Input and result have the
    same shape and the same number of scale entries with the same block.

    ```mlir
    %y = qnn.table %x {table = array<i8: ...>}
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
    requantizes the product: `y = sat8(roundShift(x * g, f_x[c] + f_g[c] -
    f_y[c]))` with the shifts of `#qnn.fmap` (docs/numerics.md section 8).
    The quantizer builds it from `qnn.dequantize` x, `qnn.dequantize` gate,
    a broadcasting `nn.mul`, `qnn.quantize`: the same integers, bit for bit.
    The result has the input's shape.

    ```mlir
    %y = qnn.channel_mul %x, %g
        : (tensor<1x2x4x4xi8, #qnn.fmap<[5, 6]>>,
           tensor<1x2x1x1xi8, #qnn.fmap<[7, 7]>>)
        -> tensor<1x2x4x4xi8, #qnn.fmap<[6, 6]>>
    ```
  }];
  let arguments = (ins QNN_Fmap:$input, QNN_Fmap:$gate);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def QNN_ConcatOp : QNN_FmapOp<"concat"> {
  let summary = "concatenation; along channels each channel keeps its scale";
  let arguments = (ins Variadic<QNN_Fmap>:$inputs, I64Attr:$axis);
}

def QNN_FlattenOp : QNN_FmapOp<"flatten"> {
  let summary = "N x C x ... -> N x (C * ...); the scale entry covers a block";
  let arguments = (ins QNN_Fmap:$input);
}

#endif // DLP_QNN_OPS_TD

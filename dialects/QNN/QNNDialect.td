//===- QNNDialect.td - qnn quantized graph dialect ---------*- tablegen -*-===//
#ifndef DLP_QNN_DIALECT_TD
#define DLP_QNN_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def QNN_Dialect : Dialect {
  let name = "qnn";
  let cppNamespace = "::dlp::qnn";
  let summary = "Quantized graph dialect: int8 feature maps, pow2-4 / int8 weights";
  let description = [{
    The `qnn` dialect is the model after `--dlp-quantize`: the integer program
    of docs/numerics.md. Values are builtin ranked tensors of integers whose
    *encoding* attribute carries the power-of-two scales:

    | tensor | element | encoding | value of a stored integer `q` |
    |---|---|---|---|
    | feature map | `i8` | `#qnn.fmap<[f...]>` (per channel, dim 1) | `q * 2^-f_c` |
    | pow2-4 weight | `i8` holding a 4-bit code | `#qnn.pow2<[n1...]>` (per output channel, dim 0) | code `s*8+k`: 0 or `(-1)^s 2^(n1-7+k)` |
    | int8 weight | `i8`, `|q| <= 127` | `#qnn.int8w<[g...]>` (per output channel) | `q * 2^-g_o` |
    | bias | `i32` | `#qnn.acc<[F...]>` (per output channel) | `q * 2^-F_o` |

    MLIR's `quant` types were not used: they carry floating-point scales and
    zero points, cannot express a 4-bit power-of-two code (a sign and an
    exponent, not a linear integer), and per-axis `quant` types would still
    need the fractional-bit integers recovered from floats everywhere.
    Keeping the element type a plain integer also keeps constants ordinary
    `dense`/`dense_resource` attributes.

    Feature maps of rank >= 2 carry one entry per channel; after a flatten,
    `block = B` says feature `k` of dimension 1 has the scale of entry
    `k / B` (`#qnn.fmap<[3, 4], block = 49>` for 2 channels of 7x7).

    The accumulator scale of a conv / fully-connected output channel is not
    stored: it is derived (`F_o = max_i (f_i - n2_o)` for pow2-4,
    `max_i (f_i + g_o)` for int8, over the input channels that feed `o`), and
    a bias must carry exactly that scale.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class QNN_Op<string mnemonic, list<Trait> traits = []>
    : Op<QNN_Dialect, mnemonic, traits>;

#endif // DLP_QNN_DIALECT_TD

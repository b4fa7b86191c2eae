//===- QNNAttrs.td - qnn scale encodings -------------------*- tablegen -*-===//
#ifndef DLP_QNN_ATTRS_TD
#define DLP_QNN_ATTRS_TD

include "QNN/QNNDialect.td"

/// A per-channel list of power-of-two exponents used as a tensor encoding.
class QNN_ScaleAttr<string name, string attrMnemonic, string what>
    : AttrDef<QNN_Dialect, name> {
  let mnemonic = attrMnemonic;
  let summary = what;
  let parameters = (ins ArrayRefParameter<"int32_t">:$values,
                        DefaultValuedParameter<"int64_t", "1">:$block);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Scale entry of index `k` along the scaled dimension.
    int32_t at(int64_t k) const { return getValues()[k / getBlock()]; }
    /// Extent of the scaled dimension this encoding describes.
    int64_t extent() const { return getValues().size() * getBlock(); }
  }];
}

def QNN_FmapAttr : QNN_ScaleAttr<"Fmap", "fmap",
    "int8 feature-map fractional bits per channel (dimension 1)">;
def QNN_Pow2Attr : QNN_ScaleAttr<"Pow2", "pow2",
    "pow2-4 weight window tops n1 per output channel (dimension 0)">;
def QNN_Int8WAttr : QNN_ScaleAttr<"Int8W", "int8w",
    "int8 weight fractional bits per output channel (dimension 0)">;
def QNN_AccAttr : QNN_ScaleAttr<"Acc", "acc",
    "int32 accumulator / bias fractional bits per output channel (dimension 0)">;

#endif // DLP_QNN_ATTRS_TD

//===- Passes.td - quantization passes ---------------------*- tablegen -*-===//
#ifndef DLP_QUANT_PASSES_TD
#define DLP_QUANT_PASSES_TD

include "mlir/Pass/PassBase.td"

def DLPQuantize : Pass<"dlp-quantize", "mlir::ModuleOp"> {
  let summary = "Quantize an nn graph to qnn (pow2-4 / int8 weights, int8 feature maps)";
  let description = [{
    Rewrites the nn compute ops into their qnn counterparts following
    docs/numerics.md, with the feature-map scales of a calibration table
    (`calibration=table.json`, written by `dlp-eval --calibration-out` or an
    external tool; `dlpc` passes its table in memory):

    * conv / fully_connected: weights to pow2-4 codes (per output channel
      window) or int8, bias to int32 at the derived accumulator scale; a
      single-use ReLU / Clip that follows is fused (`act_min`/`act_max`) and
      its calibrated range sets the output scale;
    * max / average / global average pool, flatten and channel concat keep
      their input scales; add (equal shapes) aligns and requantizes;
      a standalone ReLU / Clip becomes `qnn.clamp`;
    * every other op stays in float between `qnn.dequantize` and
      `qnn.quantize`; function arguments are quantized on entry and results
      dequantized, so the signature stays f32.

    Weight precision per layer (ONNX node name): the default
    (`weights=pow2|int8`), a JSON file (`precision=cfg.json`,
    `{"default": "pow2", "layers": {"conv1": "int8"}}`), `int8-layers=a,b`,
    and the automatic rule `auto-int8-sqnr=DB`: a pow2 layer whose weight
    SQNR is below DB dB gets int8 weights.

    Weight rounding (`weight-rounding=nearest|gptq`): `nearest` rounds every
    weight by the contract's rule (docs/numerics.md 2.1); `gptq` plans the
    layers from calibration samples (dlpc's, or `calib-inputs=a.npy,...`,
    the first `gptq-samples` of them) in graph order on the quantized-so-far
    model: pow2-4 weights by error-compensating (GPTQ) rounding on the
    Hessian of the layer's inputs with each channel's window chosen by that
    error, and every layer's bias corrected by its mean output error
    against the float model.

    `precision=auto` chooses the int8 layers itself: starting from pow2-4
    everywhere, layers in order of output error removed per MAC move to
    int8 until the quantized model's top-1 agrees with the float model's on
    calibration samples at least `auto-agreement` percent of the time (no
    labels); the agreement is measured on the samples after the first
    `gptq-samples` (up to `auto-samples` of them), held out from the
    rounding, or on the same samples when there are no others. A remark reports the layers, the agreement and the share
    of MACs left on pow2-4 weights.

    Feature-map scales follow the calibration table, except that no channel
    gets more than `max-frac-spread` (default 8) fractional bits above the
    tensor's coarsest channel: a channel 2^8 times smaller than the largest
    still keeps all 8 bits, and the cap bounds the accumulator alignment
    shifts of the layers that read the tensor (docs/numerics.md section 3).

    For every output channel the pass proves that the int32 accumulator
    cannot overflow for any int8 input (|b| + 128 * sum of term weights
    <= 2^31 - 1, section 3) and that every shift lies in [0, 31]. When a
    layer fails, its input is requantized (`qnn.requantize`, for this layer
    only) to the widest spread of fractional bits that passes, with a
    warning; a layer that fails even with one scale for all its inputs is
    refused with a diagnostic naming it.
  }];
  let dependentDialects = ["dlp::qnn::QNNDialect", "dlp::nn::NNDialect",
                           "mlir::arith::ArithDialect"];
  let options = [
    Option<"calibrationFile", "calibration", "std::string", "\"\"",
           "Calibration table (JSON, format dlp-calibration)">,
    Option<"precisionFile", "precision", "std::string", "\"\"",
           "Per-layer weight precision (JSON)">,
    Option<"defaultWeights", "weights", "std::string", "\"pow2\"",
           "Default weight precision: pow2 or int8">,
    ListOption<"int8Layers", "int8-layers", "std::string",
               "Layers (ONNX node names) given int8 weights">,
    Option<"autoInt8Sqnr", "auto-int8-sqnr", "double", "0.0",
           "Give int8 weights to pow2 layers whose weight SQNR (dB) is below this (0: off)">,
    Option<"weightScale", "weight-scale", "std::string", "\"channel\"",
           "Weight window (pow2 n1) / int8 scale per output channel or per layer">,
    Option<"tables", "tables", "bool", "true",
           "Activations between quantized maps as exact int8 lookup tables "
           "(qnn.table) and squeeze-and-excitation x * gate of int8 maps as "
           "qnn.channel_mul; false keeps them float between dequantize and "
           "quantize">,
    Option<"maxFracSpread", "max-frac-spread", "int", "8",
           "Cap every channel's fractional bits at the tensor's smallest plus this">,
    Option<"weightRounding", "weight-rounding", "std::string", "\"nearest\"",
           "pow2-4 weight rounding: nearest (the contract's rule) or gptq "
           "(error-compensating, with bias correction; needs calibration samples)">,
    ListOption<"calibInputs", "calib-inputs", "std::string",
               "Calibration samples (.npy per function argument) for "
               "weight-rounding=gptq and precision=auto">,
    Option<"gptqSamples", "gptq-samples", "int", "512",
           "Calibration samples the weight rounding and the precision search use">,
    Option<"autoAgreement", "auto-agreement", "double", "98.5",
           "precision=auto: top-1 agreement with the float model to reach, percent">,
    Option<"autoSamples", "auto-samples", "int", "2048",
           "precision=auto: measure the agreement on up to this many samples "
           "after the first gptq-samples (held out from the rounding)">
  ];
  let statistics = [
    Statistic<"numPow2", "pow2-layers", "Layers with pow2-4 weights">,
    Statistic<"numInt8", "int8-layers", "Layers with int8 weights">,
    Statistic<"numQuantized", "quantized-ops", "nn ops turned into qnn ops">,
    Statistic<"numFloat", "float-ops", "nn ops left in float">,
    Statistic<"numTables", "table-ops",
              "Activations between quantized maps made int8 lookup tables">,
    Statistic<"numChannelMuls", "channel-mul-ops",
              "Per-channel scalings (x * gate) of int8 maps made qnn.channel_mul">,
    Statistic<"numNarrowed", "narrowed-inputs",
              "Layers whose input was requantized to a narrower spread">,
    Statistic<"pow2MacPermille", "pow2-mac-permille",
              "precision=auto: MACs on pow2-4 weights, per mille">
  ];
}

#endif // DLP_QUANT_PASSES_TD

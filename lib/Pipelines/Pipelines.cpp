//===- Pipelines.cpp - The DLP compile pipeline ---------------------------===//

#include "dlp/Pipelines/Pipelines.h"
#include "dlp/Conversion/Passes.h"
#include "dlp/Quant/Passes.h"
#include "dlp/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

void dlp::buildDLPCompilePipeline(
    OpPassManager &pm, const DLPCompileOptions &options, CompileStage stage,
    std::shared_ptr<const quant::CalibrationTable> table,
    std::shared_ptr<const dlprt::TargetConfig> target,
    std::shared_ptr<const quant::CalibrationSamples> samples) {
  buildNNOptimizePipeline(pm);
  if (stage == CompileStage::NN)
    return;
  DLPQuantizeOptions q;
  q.calibrationFile = options.calibration;
  q.precisionFile = options.precision;
  q.defaultWeights = options.weights;
  q.weightScale = options.weightScale;
  q.int8Layers.assign(options.int8Layers.begin(), options.int8Layers.end());
  q.autoInt8Sqnr = options.autoInt8Sqnr;
  q.maxFracSpread = options.maxFracSpread;
  q.weightRounding = options.weightRounding;
  q.calibInputs.assign(options.calibInputs.begin(), options.calibInputs.end());
  q.gptqSamples = options.gptqSamples;
  q.autoAgreement = options.autoAgreement;
  q.autoSamples = options.autoSamples;
  pm.addPass(table || samples
                 ? createDLPQuantize(q, std::move(table), std::move(samples))
                 : createDLPQuantize(q));
  if (stage == CompileStage::QNN)
    return;
  addDLPLowering(pm, options, std::move(target));
}

void dlp::addDLPLowering(OpPassManager &pm, const DLPCompileOptions &options,
                         std::shared_ptr<const dlprt::TargetConfig> target) {
  ConvertQNNToDLPOptions lower;
  lower.targetFile = options.target;
  lower.csrDensity = options.csrDensity;
  lower.tileSearch = options.tileSearch;
  lower.loopOrder.assign(options.loopOrder.begin(), options.loopOrder.end());
  lower.reportTiles = options.reportTiles;
  lower.fmapsOnChip = options.fmapsOnChip;
  lower.elideDeadStores = options.elideDeadStores;
  if (target)
    pm.addPass(createConvertQNNToDLP(std::move(target), lower));
  else
    pm.addPass(createConvertQNNToDLP(lower));
}

void dlp::registerDLPCompilePipeline() {
  PassPipelineRegistration<DLPCompileOptions>(
      "dlp-compile",
      "The whole compile: nn cleanup, quantization (calibration=table.json), "
      "lowering to the DLP (target=cfg.json); dlpc runs the same pipeline",
      [](OpPassManager &pm, const DLPCompileOptions &options) {
        buildDLPCompilePipeline(pm, options);
      });
}

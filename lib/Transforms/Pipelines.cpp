//===- Pipelines.cpp - Pass registration and the nn-optimize pipeline -----===//

#include "dlp/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void dlp::buildNNOptimizePipeline(OpPassManager &pm) {
  OpPassManager &f = pm.nest<func::FuncOp>();
  f.addPass(createNNCleanup());
  f.addPass(createNNCanonicalizeFC());
  f.addPass(createNNFoldBatchNorm());
  f.addPass(createNNFoldConstants());
  f.addPass(createCanonicalizerPass());
  f.addPass(createCSEPass());
}

void dlp::registerNNPipelines() {
  PassPipelineRegistration<>(
      "nn-optimize",
      "Graph cleanup: remove no-ops, form fully-connected ops, fold batch "
      "norms and constants",
      [](OpPassManager &pm) { buildNNOptimizePipeline(pm); });
}

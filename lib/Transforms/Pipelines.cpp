//===- Pipelines.cpp - Pass registration and the nn-optimize pipeline -----===//

#include "dlp/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void dlp::buildNNOptimizePipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createNNCleanup());
  // Weight rewrites run on the module: they free the blobs of the weights
  // they replace, which needs every possible user in view.
  pm.addPass(createNNCanonicalizeFC());
  pm.addPass(createNNFoldBatchNorm());
  OpPassManager &f = pm.nest<func::FuncOp>();
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

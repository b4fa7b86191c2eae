//===- Passes.h - nn graph cleanup passes -----------------------*- C++ -*-===//
#ifndef DLP_TRANSFORMS_PASSES_H
#define DLP_TRANSFORMS_PASSES_H

#include "NN/NNOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace dlp {

#define GEN_PASS_DECL
#include "dlp/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dlp/Transforms/Passes.h.inc"

/// The graph cleanup pipeline every import goes through:
/// nn-cleanup, nn-canonicalize-fc, nn-fold-batchnorm, nn-fold-constants,
/// then canonicalize + cse. Registered as `--nn-optimize`; `dlp-eval` and
/// the `dlpc` driver call this same function.
void buildNNOptimizePipeline(mlir::OpPassManager &pm);

/// Registers the pipelines (`registerTransformsPasses()`, generated from
/// Passes.td, registers the individual passes).
void registerNNPipelines();

} // namespace dlp

#endif // DLP_TRANSFORMS_PASSES_H

//===- Passes.h - conversion passes -----------------------------*- C++ -*-===//
#ifndef DLP_CONVERSION_PASSES_H
#define DLP_CONVERSION_PASSES_H

#include "DLP/DLPOps.h"
#include "dlprt/Target.h"

#include "mlir/Pass/Pass.h"

#include <memory>

namespace dlp {

#define GEN_PASS_DECL
#include "dlp/Conversion/Passes.h.inc"

/// --convert-qnn-to-dlp with a target held in memory (options.targetFile
/// is then ignored).
std::unique_ptr<mlir::Pass>
createConvertQNNToDLP(std::shared_ptr<const dlprt::TargetConfig> target,
                      const ConvertQNNToDLPOptions &options = {});

#define GEN_PASS_REGISTRATION
#include "dlp/Conversion/Passes.h.inc"

} // namespace dlp

#endif // DLP_CONVERSION_PASSES_H

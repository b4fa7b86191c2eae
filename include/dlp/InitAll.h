//===- InitAll.h - Register every DLP dialect, pass and translation -*- C++ -*-===//
#ifndef DLP_INITALL_H
#define DLP_INITALL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace dlp {
/// Adds the project's dialects plus the upstream ones our IR uses
/// (func, arith, tensor).
void registerAllDialects(mlir::DialectRegistry &registry);
/// Registers every DLP pass and pass pipeline with the global registry.
void registerAllPasses();
/// Registers every DLP translation (ONNX import, ...).
void registerAllTranslations();

/// A tool's model input: an .onnx file (imported) or an MLIR module (text or
/// bytecode). The first MLIR file parsed goes into `sourceMgr` (so that
/// diagnostics show its lines); later ones get a manager of their own. A
/// missing file is reported as "<tool>: cannot open '<path>': ..." on
/// stderr. Returns null on failure (diagnostics emitted).
/// `inputShapes` (`NAME=D0xD1x...`) pin an .onnx model's input dimensions
/// (ONNXImportOptions::inputShapes; MLIR modules are already static); a
/// malformed one is reported on stderr.
mlir::OwningOpRef<mlir::ModuleOp>
loadModelFile(llvm::StringRef path, mlir::MLIRContext *context,
              llvm::SourceMgr &sourceMgr, llvm::StringRef tool,
              llvm::ArrayRef<std::string> inputShapes = {});
} // namespace dlp

#endif // DLP_INITALL_H

//===- InitAll.h - Register every DLP dialect, pass and translation -*- C++ -*-===//
#ifndef DLP_INITALL_H
#define DLP_INITALL_H

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
} // namespace dlp

#endif // DLP_INITALL_H

//===- Binary.h - dlp programs to and from .dlpb binaries -------*- C++ -*-===//
#ifndef DLP_TARGET_BINARY_H
#define DLP_TARGET_BINARY_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace dlp {

/// Writes the module's dlp.program as a .dlpb binary (docs/binary-format.md).
mlir::LogicalResult writeDLPBinary(mlir::ModuleOp module,
                                   llvm::raw_ostream &os);
/// Writes it as text: one line per instruction (index, mnemonic, the four
/// words in hex, w3 first) after a header line, for FileCheck.
mlir::LogicalResult writeDLPHex(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Registers --dlp-to-binary, --dlp-to-hex and --binary-to-dlp.
void registerBinaryTranslations();

} // namespace dlp

#endif // DLP_TARGET_BINARY_H

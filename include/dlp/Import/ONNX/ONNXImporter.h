//===- ONNXImporter.h - ONNX model to nn dialect ----------------*- C++ -*-===//
//
// Imports an ONNX ModelProto into a `func.func @main` of `nn` ops. The
// model is checked (onnx::checker) and shape-inferred first; every node is
// mapped through one table (ONNX op type + opset range -> builder); shape
// subgraphs (Shape/Gather/Cast/Unsqueeze/Concat/... of constants) are folded
// at import time; float initializers become `dense_resource` blobs whose
// bytes are moved, not copied, out of the protobuf.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_IMPORT_ONNX_ONNXIMPORTER_H
#define DLP_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace dlp {

struct ONNXImportOptions {
  /// Run onnx::checker::check_model before importing.
  bool runChecker = true;
  /// Run ONNX shape inference (strict mode) before importing.
  bool runShapeInference = true;
  /// Name of the generated function.
  std::string functionName = "main";
  /// Graph inputs whose dimensions are pinned before shape inference
  /// (`--input-shape NAME=1x3x224x224`): a dynamic dimension takes the given
  /// extent, a static one must equal it.
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputShapes;
};

/// Parses `NAME=D0xD1x...` (every extent >= 1) into `out`; an error message
/// naming what is wrong, or "" on success.
std::string parseInputShape(llvm::StringRef spec,
                            std::pair<std::string, std::vector<int64_t>> &out);

/// Imports the ONNX file at `path`. On failure, diagnostics have been
/// emitted on `context` and a null module is returned.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXFile(llvm::StringRef path, mlir::MLIRContext *context,
               const ONNXImportOptions &options = {});

/// Imports a serialized ModelProto held in memory (`sourceName` is used in
/// diagnostics).
mlir::OwningOpRef<mlir::ModuleOp>
importONNXBuffer(llvm::StringRef bytes, llvm::StringRef sourceName,
                 mlir::MLIRContext *context,
                 const ONNXImportOptions &options = {});

/// One row of the importer's op table.
struct ONNXOpSupport {
  llvm::StringRef opType;
  int minOpset;
  int maxOpset;
  /// Evaluated only on import-time constants (shape subgraphs).
  bool importTimeOnly;
};
/// Every supported ONNX op type with its opset range, sorted by name.
llvm::ArrayRef<ONNXOpSupport> getSupportedONNXOps();

/// Opset range of the default ONNX domain that the importer accepts (each
/// op's table row narrows it further; opsets 7-17 are covered for all ops).
constexpr int kMinONNXOpset = 1;
constexpr int kMaxONNXOpset = 17;

/// Registers `--import-onnx` with mlir-translate style tools.
void registerONNXImportTranslation();

} // namespace dlp

#endif // DLP_IMPORT_ONNX_ONNXIMPORTER_H

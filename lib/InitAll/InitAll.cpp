//===- InitAll.cpp - Register every DLP dialect, pass and translation -----===//

#include "dlp/InitAll.h"
#include "NN/NNOps.h"
#include "QNN/QNNOps.h"
#include "DLP/DLPOps.h"
#include "dlp/Conversion/Passes.h"
#include "dlp/Target/Binary.h"
#include "dlp/Pipelines/Pipelines.h"
#include "dlp/Import/ONNX/ONNXImporter.h"
#include "dlp/Quant/Passes.h"
#include "dlp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

void dlp::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<dlp::nn::NNDialect, dlp::qnn::QNNDialect, dlp::device::DLPDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::tensor::TensorDialect>();
}

void dlp::registerAllPasses() {
  dlp::registerTransformsPasses();
  dlp::registerQuantPasses();
  dlp::registerConversionPasses();
  dlp::registerDLPCompilePipeline();
  dlp::registerNNPipelines();
}

void dlp::registerAllTranslations() {
  dlp::registerONNXImportTranslation();
  dlp::registerBinaryTranslations();
}

mlir::OwningOpRef<mlir::ModuleOp>
dlp::loadModelFile(llvm::StringRef path, mlir::MLIRContext *context,
                   llvm::SourceMgr &sourceMgr, llvm::StringRef tool,
                   llvm::ArrayRef<std::string> inputShapes) {
  if (path.ends_with(".onnx")) {
    ONNXImportOptions options;
    for (const std::string &spec : inputShapes) {
      options.inputShapes.emplace_back();
      std::string err = parseInputShape(spec, options.inputShapes.back());
      if (!err.empty()) {
        llvm::errs() << tool << ": " << err << "\n";
        return nullptr;
      }
    }
    return importONNXFile(path, context, options);
  }
  // An MLIR module's shapes are fixed already: inputShapes do not apply.
  if (!llvm::sys::fs::exists(path)) {
    llvm::errs() << tool << ": cannot open '" << path
                 << "': No such file or directory\n";
    return nullptr;
  }
  mlir::ParserConfig config(context);
  if (sourceMgr.getNumBuffers() == 0)
    return mlir::parseSourceFile<mlir::ModuleOp>(path, sourceMgr, config);
  return mlir::parseSourceFile<mlir::ModuleOp>(path, config);
}

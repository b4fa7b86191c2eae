//===- InitAll.cpp - Register every DLP dialect, pass and translation -----===//

#include "dlp/InitAll.h"
#include "NN/NNOps.h"
#include "QNN/QNNOps.h"
#include "dlp/Import/ONNX/ONNXImporter.h"
#include "dlp/Quant/Passes.h"
#include "dlp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"

void dlp::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<dlp::nn::NNDialect, dlp::qnn::QNNDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::tensor::TensorDialect>();
}

void dlp::registerAllPasses() {
  dlp::registerTransformsPasses();
  dlp::registerQuantPasses();
  dlp::registerNNPipelines();
}

void dlp::registerAllTranslations() { dlp::registerONNXImportTranslation(); }

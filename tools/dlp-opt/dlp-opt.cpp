//===- dlp-opt.cpp - DLP optimizer driver ---------------------------------===//

#include "dlp/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  dlp::registerAllDialects(registry);
  dlp::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "DLP optimizer driver\n", registry));
}

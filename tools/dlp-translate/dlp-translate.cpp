//===- dlp-translate.cpp - DLP translation driver -------------------------===//

#include "dlp/InitAll.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  dlp::registerAllTranslations();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "DLP translation driver\n"));
}

//===- DLPDialect.cpp - dlp ISA dialect -----------------------------------===//

#include "DLP/DLPOps.h"

using namespace mlir;
using namespace dlp::device;

#include "DLP/DLPDialect.cpp.inc"

void DLPDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "DLP/DLPOps.cpp.inc"
      >();
}

//===- NNDialect.cpp - nn dialect registration and op definitions ---------===//

#include "NN/NNOps.h"

using namespace mlir;
using namespace dlp::nn;

#include "NN/NNDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "NN/NNOps.cpp.inc"
      >();
}

Operation *NNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, typed);
}

#define GET_OP_CLASSES
#include "NN/NNOps.cpp.inc"

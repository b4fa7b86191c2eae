//===- NNOps.h - nn dialect ---------------------------------------*- C++ -*-===//
#ifndef DLP_NN_NNOPS_H
#define DLP_NN_NNOPS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "NN/NNDialect.h.inc"

#define GET_OP_CLASSES
#include "NN/NNOps.h.inc"

#endif // DLP_NN_NNOPS_H

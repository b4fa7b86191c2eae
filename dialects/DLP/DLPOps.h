//===- DLPOps.h - dlp ISA dialect ---------------------------------*- C++ -*-===//
#ifndef DLP_DLP_DLPOPS_H
#define DLP_DLP_DLPOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"

#include "dlprt/Isa.h"

#include "DLP/DLPDialect.h.inc"

#define GET_OP_CLASSES
#include "DLP/DLPOps.h.inc"

namespace dlp::device {

/// The opcode an instruction op encodes, or nullopt for other ops.
std::optional<dlprt::isa::Opcode> opcodeOf(mlir::Operation *op);

/// Names of the token flags (unit attributes of every instruction op).
llvm::ArrayRef<llvm::StringRef> tokenAttrNames();

/// Checks an instruction op's attributes against the opcode's fields in
/// Isa.def: every field present, no unknown attribute, every value within
/// its bit width, token flags valid for the opcode's queue.
mlir::LogicalResult verifyInstruction(mlir::Operation *op,
                                      dlprt::isa::Opcode opcode);

} // namespace dlp::device

#endif // DLP_DLP_DLPOPS_H

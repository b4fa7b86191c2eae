//===- DLPProgram.h - dlp.program <-> dlprt::Program --------------*- C++ -*-===//
//
// The one conversion between the dialect and the runtime's program (and so
// the binary format): the emitter, the disassembler and the program
// verifier all use it.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_DLP_DLPPROGRAM_H
#define DLP_DLP_DLPPROGRAM_H

#include "DLP/DLPOps.h"
#include "dlprt/Program.h"

#include "mlir/IR/Builders.h"

namespace dlp::device {

/// The encoded instruction of an instruction op (attributes already
/// verified).
dlprt::isa::Instr encodeInstruction(mlir::Operation *op);

/// The runtime program of `op` (emits a diagnostic and fails on a
/// malformed program). The debug map is built from the instructions'
/// locations: maximal runs of instructions with the same name.
mlir::FailureOr<dlprt::Program> toProgram(ProgramOp op);

/// Builds the dlp.program of a runtime program at the builder's position
/// (the disassembler). Instructions get the debug map's names as locations.
ProgramOp fromProgram(mlir::OpBuilder &b, mlir::Location loc,
                      const dlprt::Program &p);

/// The layer name of a location (its NameLoc, also inside a FusedLoc), or
/// "" if none.
std::string locationName(mlir::Location loc);

} // namespace dlp::device

#endif // DLP_DLP_DLPPROGRAM_H

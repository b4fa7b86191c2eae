//===- ValidateImpl.h - Per-instruction checks (internal) -------*- C++ -*-===//
#ifndef DLPRT_LIB_VALIDATEIMPL_H
#define DLPRT_LIB_VALIDATEIMPL_H

#include "dlprt/Program.h"

namespace dlprt::detail {

/// Address arithmetic that no field value can overflow.
using u128 = unsigned __int128;

/// Checks instruction `i` of `p`: opcode, reserved bits, token flags, every
/// field, every buffer / DDR unit it can touch, and the constant weight
/// rows / parameter entries a LOAD from `const` brings in. Errors read
/// "instruction #i (op): field 'name': problem".
llvm::Error checkInstr(const Program &p, size_t i);

} // namespace dlprt::detail

#endif // DLPRT_LIB_VALIDATEIMPL_H

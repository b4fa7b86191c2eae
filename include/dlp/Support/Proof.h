//===- Proof.h - The overflow proof on all cores -----------------*- C++ -*-===//
//
// docs/numerics.md section 3's overflow proof (dlprt::num::proveNoOverflow)
// is a check per output channel, so slices of a layer's output channels
// (whole groups) are proved independently on the runtime's fork-join team.
// The answer is the serial proof's: "" when every slice holds, else the
// serial proof of the whole layer, for its message.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_SUPPORT_PROOF_H
#define DLP_SUPPORT_PROOF_H

#include "dlprt/Numerics.h"

#include <string>

namespace dlp {

/// Threads for compile-time loops over weights (the machine's cores).
int64_t compileThreads();

/// dlprt::num::proveNoOverflow(l), with the same result, on compileThreads()
/// threads for large layers. With `message` false a failing proof returns
/// a non-empty placeholder instead of the serial proof's message (for
/// callers that only need to know whether it holds).
std::string proveNoOverflowParallel(const dlprt::num::MacLayer &l,
                                    bool message = true);

} // namespace dlp

#endif // DLP_SUPPORT_PROOF_H

//===- Parallel.h - Fork-join loops of the evaluator ------------*- C++ -*-===//
//
// The runtime's loops (dlprt/kernels/Parallel.h), under the evaluator's name.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_EVALUATOR_PARALLEL_H
#define DLP_EVALUATOR_PARALLEL_H

#include "dlprt/kernels/Parallel.h"

namespace dlp::eval {
using dlprt::kernels::parallelForTasks;
} // namespace dlp::eval

#endif // DLP_EVALUATOR_PARALLEL_H

//===- NN.td - nn dialect umbrella -------------------------*- tablegen -*-===//
#ifndef DLP_NN_TD
#define DLP_NN_TD

include "NN/NNDialect.td"
include "NN/NNOps.td"

#endif // DLP_NN_TD

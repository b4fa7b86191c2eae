//===- QNN.td - qnn dialect umbrella -----------------------*- tablegen -*-===//
#ifndef DLP_QNN_TD
#define DLP_QNN_TD

include "QNN/QNNDialect.td"
include "QNN/QNNAttrs.td"
include "QNN/QNNOps.td"

#endif // DLP_QNN_TD

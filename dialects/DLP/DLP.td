//===- DLP.td - dlp dialect umbrella -----------------------*- tablegen -*-===//
#ifndef DLP_DLP_TD
#define DLP_DLP_TD

include "DLP/DLPDialect.td"
include "DLP/DLPOps.td"

#endif // DLP_DLP_TD

//===- Passes.td - nn graph cleanup passes -----------------*- tablegen -*-===//
#ifndef DLP_TRANSFORMS_PASSES_TD
#define DLP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNCleanup : Pass<"nn-cleanup", "mlir::func::FuncOp"> {
  let summary = "Remove inference no-ops: nn.identity and nn.dropout";
  let description = [{
    Replaces every `nn.identity` and `nn.dropout` by its operand (dropout is
    the identity at inference time).
  }];
  let dependentDialects = ["dlp::nn::NNDialect"];
  let statistics = [
    Statistic<"numRemoved", "removed-ops", "Number of ops removed">
  ];
}

def NNFoldBatchNorm : Pass<"nn-fold-batchnorm", "mlir::ModuleOp"> {
  let summary = "Fold nn.batch_norm into the preceding conv or fully-connected op";
  let description = [{
    For `y = bn(conv(x, W, b))` with constant W, b and BN parameters, rewrites
    to `conv(x, W', b')` with `W'[m] = W[m] * s[m]` and
    `b'[m] = (b[m] - mean[m]) * s[m] + beta[m]`, where
    `s = scale / sqrt(var + epsilon)`. The same for `nn.fully_connected`
    (channel = output feature). Requires the producer to have no other use.
    Runs on the module so that it can free the blobs of the replaced weights
    (see `dlp::ResourceReleaser`).
  }];
  let dependentDialects = ["dlp::nn::NNDialect", "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numFolded", "folded-batchnorms", "Number of batch norms folded">
  ];
}

def NNCanonicalizeFC : Pass<"nn-canonicalize-fc", "mlir::ModuleOp"> {
  let summary = "Turn Flatten/Reshape + Gemm/MatMul(+Add) into nn.fully_connected";
  let description = [{
    Rewrites `gemm(flatten(x), B, C)` (and `gemm` on a 2-D input, a
    batch-preserving `reshape` to 2-D, or `matmul` by a constant followed by
    an optional bias `add`) into `nn.fully_connected(x, W, b)` with the weight
    stored `P x K` (transposed at compile time when needed) and `alpha`/`beta`
    folded into the constants. Needs constant B and C. A `trans_b` Gemm with
    `alpha = 1` keeps its weight constant as is (no copy). Runs on the module
    so that it can free the blobs of the replaced weights.
  }];
  let dependentDialects = ["dlp::nn::NNDialect", "mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numRewritten", "rewritten", "Number of fully-connected ops formed">
  ];
}

def NNFoldConstants : Pass<"nn-fold-constants", "mlir::func::FuncOp"> {
  let summary = "Evaluate nn ops whose operands are all constants";
  let description = [{
    Runs every nn op whose operands are all `arith.constant` through the float
    evaluator's kernels (the same code `dlp-eval` uses) and replaces it by a
    `dense_resource` constant. Ops whose result would exceed
    `max-elements` are left alone.
  }];
  let dependentDialects = ["dlp::nn::NNDialect", "mlir::arith::ArithDialect"];
  let options = [
    Option<"maxElements", "max-elements", "int64_t", "1 << 24",
           "Largest result (in elements) that is folded">
  ];
  let statistics = [
    Statistic<"numFolded", "folded-ops", "Number of ops folded">
  ];
}

#endif // DLP_TRANSFORMS_PASSES_TD

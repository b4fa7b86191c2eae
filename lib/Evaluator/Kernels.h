//===- Kernels.h - Float evaluator kernels (internal) -----------*- C++ -*-===//
#ifndef DLP_LIB_EVALUATOR_KERNELS_H
#define DLP_LIB_EVALUATOR_KERNELS_H

#include "dlp/Evaluator/Evaluator.h"
#include "NN/NNOps.h"
#include "QNN/QNNOps.h"
#include "dlprt/kernels/FloatVision.h"

namespace dlp::eval::kernels {

/// Runs fn(begin, end) over [0, n) split into chunks on the context's pool
/// (inline when single-threaded or n is small).
void parallelFor(ExecContext &ctx, int64_t n,
                 llvm::function_ref<void(int64_t, int64_t)> fn);

/// Sets ctx.error and returns a null tensor.
Tensor fail(ExecContext &ctx, const std::string &msg);

// Convolution and pooling (KernelsConv.cpp).
Tensor conv(nn::ConvOp op, llvm::ArrayRef<Tensor> in, ExecContext &ctx);
Tensor maxPool(nn::MaxPoolOp op, const Tensor &x, ExecContext &ctx);
Tensor avgPool(nn::AvgPoolOp op, const Tensor &x, ExecContext &ctx);
Tensor globalAvgPool(const Tensor &x, ExecContext &ctx);

// Element-wise (KernelsElementwise.cpp).
Tensor unary(mlir::Operation *op, const Tensor &x, ExecContext &ctx);
Tensor binary(mlir::Operation *op, const Tensor &a, const Tensor &b,
              ExecContext &ctx);

// Linear algebra and normalization (KernelsLinalg.cpp).
Tensor gemm(nn::GemmOp op, llvm::ArrayRef<Tensor> in, ExecContext &ctx);
Tensor matmul(const Tensor &a, const Tensor &b, ExecContext &ctx);
Tensor fullyConnected(llvm::ArrayRef<Tensor> in, ExecContext &ctx);
Tensor softmax(int64_t axis, const Tensor &x, ExecContext &ctx);
Tensor lrn(nn::LRNOp op, const Tensor &x, ExecContext &ctx);
Tensor batchNorm(nn::BatchNormOp op, llvm::ArrayRef<Tensor> in,
                 ExecContext &ctx);

// Data movement (KernelsShape.cpp).
Tensor concat(int64_t axis, llvm::ArrayRef<Tensor> in, ExecContext &ctx);
Tensor transpose(llvm::ArrayRef<int64_t> perm, const Tensor &x,
                 ExecContext &ctx);
Tensor slice(nn::SliceOp op, const Tensor &x, ExecContext &ctx);
Tensor pad(nn::PadOp op, const Tensor &x, ExecContext &ctx);

// Reductions, select, broadcast-to, resampling (KernelsVision.cpp).
Tensor reduce(llvm::ArrayRef<int64_t> axes, bool keepDims,
              dlprt::kernels::FloatReduceOp op, const Tensor &x,
              ExecContext &ctx);
Tensor where(llvm::ArrayRef<Tensor> in, ExecContext &ctx);
Tensor expand(llvm::ArrayRef<int64_t> shape, const Tensor &x,
              ExecContext &ctx);
Tensor resize(nn::ResizeOp op, const Tensor &x, ExecContext &ctx);
Tensor convTranspose(nn::ConvTransposeOp op, llvm::ArrayRef<Tensor> in,
                     ExecContext &ctx);

// Integer kernels of the qnn ops (KernelsQuant.cpp).
Tensor qQuantize(qnn::QuantizeOp op, const Tensor &x, ExecContext &ctx);
Tensor qDequantize(qnn::DequantizeOp op, const Tensor &x, ExecContext &ctx);
Tensor qRequantize(qnn::RequantizeOp op, const Tensor &x, ExecContext &ctx);
Tensor qConv(qnn::ConvOp op, llvm::ArrayRef<Tensor> in, ExecContext &ctx);
Tensor qFullyConnected(qnn::FullyConnectedOp op, llvm::ArrayRef<Tensor> in,
                       ExecContext &ctx);
Tensor qMaxPool(qnn::MaxPoolOp op, const Tensor &x, ExecContext &ctx);
Tensor qAvgPool(qnn::AvgPoolOp op, const Tensor &x, ExecContext &ctx);
Tensor qGlobalAvgPool(const Tensor &x, ExecContext &ctx);
Tensor qAdd(qnn::AddOp op, const Tensor &a, const Tensor &b, ExecContext &ctx);
Tensor qClamp(qnn::ClampOp op, const Tensor &x, ExecContext &ctx);
/// qnn.table: per channel, the 256-entry lookup of its scale entry.
Tensor qTable(qnn::TableOp op, const Tensor &x, ExecContext &ctx);
/// qnn.channel_mul: every channel of x times its gate value, requantized.
Tensor qChannelMul(qnn::ChannelMulOp op, const Tensor &x, const Tensor &g,
                   ExecContext &ctx);
Tensor qConcat(int64_t axis, llvm::ArrayRef<Tensor> in, ExecContext &ctx);

} // namespace dlp::eval::kernels

#endif // DLP_LIB_EVALUATOR_KERNELS_H

//===- Pipelines.h - The DLP compile pipeline -------------------*- C++ -*-===//
//
// One function builds the whole compile pipeline (nn cleanup -> quantize ->
// lower to the DLP); `dlp-opt --dlp-compile` is registered from it and the
// `dlpc` driver calls it, so the two cannot drift.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_PIPELINES_PIPELINES_H
#define DLP_PIPELINES_PIPELINES_H

#include "dlp/Quant/Calibration.h"
#include "dlp/Quant/WeightPlan.h"
#include "dlprt/Target.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <memory>

namespace dlp {

/// Where the pipeline stops: the float graph, the quantized graph, or the
/// DLP program.
enum class CompileStage { NN, QNN, DLP };

struct DLPCompileOptions : public mlir::PassPipelineOptions<DLPCompileOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("Target config (JSON)")};
  Option<std::string> calibration{
      *this, "calibration", llvm::cl::desc("Calibration table (JSON)")};
  Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("Per-layer weight precision (JSON), or auto")};
  Option<std::string> weightRounding{
      *this, "weight-rounding",
      llvm::cl::desc("pow2-4 weight rounding: nearest or gptq"),
      llvm::cl::init("nearest")};
  ListOption<std::string> calibInputs{
      *this, "calib-inputs",
      llvm::cl::desc("Calibration samples (.npy per input) for gptq / auto")};
  Option<int> gptqSamples{
      *this, "gptq-samples",
      llvm::cl::desc("Calibration samples used by gptq / auto"),
      llvm::cl::init(512)};
  Option<double> autoAgreement{
      *this, "auto-agreement",
      llvm::cl::desc("precision=auto: top-1 agreement target, percent"),
      llvm::cl::init(98.5)};
  Option<int> autoSamples{
      *this, "auto-samples",
      llvm::cl::desc("precision=auto: held-out samples for the agreement"),
      llvm::cl::init(2048)};
  Option<std::string> weights{
      *this, "weights", llvm::cl::desc("Default weight precision: pow2 or int8"),
      llvm::cl::init("pow2")};
  Option<std::string> weightScale{
      *this, "weight-scale",
      llvm::cl::desc("Weight scale per output channel or per layer"),
      llvm::cl::init("channel")};
  ListOption<std::string> int8Layers{
      *this, "int8-layers", llvm::cl::desc("Layers given int8 weights")};
  Option<double> autoInt8Sqnr{
      *this, "auto-int8-sqnr",
      llvm::cl::desc("int8 weights below this weight SQNR (dB)"),
      llvm::cl::init(0.0)};
  Option<int> maxFracSpread{
      *this, "max-frac-spread",
      llvm::cl::desc("Cap channel fractional bits at the smallest + N"),
      llvm::cl::init(8)};
  Option<bool> tileSearch{
      *this, "tile-search",
      llvm::cl::desc("Choose each GEMM layer's tiling (loop order, band "
                     "height) with the cycle model (a few lowerings more)"),
      llvm::cl::init(false)};
  ListOption<std::string> loopOrder{
      *this, "loop-order",
      llvm::cl::desc("Force GEMM loop orders: output|weight, or "
                     "NAME=output|weight per layer")};
  Option<bool> reportTiles{
      *this, "report-tiles",
      llvm::cl::desc("A remark per GEMM layer on its tiling"),
      llvm::cl::init(false)};
  Option<bool> elideDeadStores{
      *this, "elide-dead-stores",
      llvm::cl::desc("Leave out the STOREs of maps nothing reads from DDR "
                     "(their tensors leave the tensor table)"),
      llvm::cl::init(false)};
  Option<bool> fmapsOnChip{
      *this, "fmaps-on-chip",
      llvm::cl::desc("Keep a one-band GEMM layer's output in FBUF for the "
                     "GEMM layer lowered next"),
      llvm::cl::init(true)};
  Option<double> csrDensity{
      *this, "csr-density",
      llvm::cl::desc("CSR weights (GEMM_CSR) for layers whose weight "
                     "density is below this (0: never)"),
      llvm::cl::init(0.0)};
};

/// Adds the compile pipeline up to `stage`. A calibration table, target or
/// calibration samples held in memory take the place of the corresponding
/// file option.
void buildDLPCompilePipeline(
    mlir::OpPassManager &pm, const DLPCompileOptions &options,
    CompileStage stage = CompileStage::DLP,
    std::shared_ptr<const quant::CalibrationTable> table = nullptr,
    std::shared_ptr<const dlprt::TargetConfig> target = nullptr,
    std::shared_ptr<const quant::CalibrationSamples> samples = nullptr);

/// Adds the pipeline's last stage, the lowering of a qnn module to the DLP
/// (convert-qnn-to-dlp with the options' lowering settings: CSR density,
/// tile search, loop order, tile remarks); `target` in memory takes the
/// place of the target file.
void addDLPLowering(
    mlir::OpPassManager &pm, const DLPCompileOptions &options,
    std::shared_ptr<const dlprt::TargetConfig> target = nullptr);

/// Registers --dlp-compile.
void registerDLPCompilePipeline();

} // namespace dlp

#endif // DLP_PIPELINES_PIPELINES_H

//===- Compile.cpp - The dlpc compile driver ------------------------------===//
//
// Import -> nn-optimize -> calibrate (float evaluator over the calibration
// inputs) -> the compile pipeline (quantize, lower to the DLP) -> write
// MLIR, bytecode or a .dlpb binary; or the golden chain. dlpc's main only
// parses its options into a CompileRequest.
//
//===----------------------------------------------------------------------===//

#include "dlp/Driver/Compile.h"
#include "DLP/DLPProgram.h"
#include "dlp/Conversion/Passes.h"
#include "dlp/Driver/Calibrate.h"
#include "dlp/Driver/GoldenChain.h"
#include "dlp/InitAll.h"
#include "dlp/Pipelines/Pipelines.h"
#include "dlp/Quant/Calibration.h"
#include "dlp/Target/Binary.h"
#include "dlp/Transforms/Passes.h"
#include "dlprt/Npy.h"
#include "dlprt/Target.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace llvm;

namespace {
double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

/// Wall time of each pass (by argument), for the --time phases.
struct PassTimes : public PassInstrumentation {
  StringMap<double> seconds;
  std::vector<std::chrono::steady_clock::time_point> starts;
  void runBeforePass(Pass *, Operation *) override {
    starts.push_back(std::chrono::steady_clock::now());
  }
  void runAfterPass(Pass *pass, Operation *) override {
    seconds[pass->getArgument()] += since(starts.back());
    starts.pop_back();
  }
  void runAfterPassFailed(Pass *pass, Operation *op) override {
    runAfterPass(pass, op);
  }
};
} // namespace


int dlp::driver::runCompile(const CompileRequest &request) {
  CompileRequest r = request;
  if (r.modelPath.empty()) {
    errs() << "dlpc: no model given (usage: dlpc model.onnx --calib "
              "calib.npy --emit=qnn -o q.mlir)\n";
    return 2;
  }
  if (r.emit.empty())
    r.emit = r.targetPath.empty() ? "qnn" : "bin";
  if (r.emit != "nn" && r.emit != "qnn" && r.emit != "dlp" && r.emit != "bin") {
    errs() << "dlpc: --emit must be nn, qnn, dlp or bin, got '" << r.emit
           << "'\n";
    return 2;
  }
  bool toDevice = r.emit == "dlp" || r.emit == "bin";
  if (toDevice && r.targetPath.empty()) {
    errs() << "dlpc: --emit=" << r.emit
           << " needs a target (--target hw/configs/small.json)\n";
    return 2;
  }
  std::shared_ptr<dlprt::TargetConfig> target;
  if (!r.targetPath.empty()) {
    auto cfg = dlprt::loadTargetConfig(r.targetPath);
    if (!cfg) {
      errs() << "dlpc: " << toString(cfg.takeError()) << "\n";
      return 1;
    }
    target = std::make_shared<dlprt::TargetConfig>(std::move(*cfg));
  }
  if (!r.goldenInputs.empty() && !toDevice) {
    errs() << "dlpc: --golden-chain needs a target (--target cfg.json)\n";
    return 2;
  }
  if (r.emit != "nn" && r.calibPaths.empty() && r.calibrationIn.empty()) {
    errs() << "dlpc: --emit=" << r.emit << " needs calibration data (--calib x.npy, "
              "x.npz or a folder, or --calibration table.json)\n";
    return 2;
  }
  if (r.percentile < 0 || r.percentile >= 100) {
    errs() << "dlpc: --percentile must be in [0, 100)\n";
    return 2;
  }

  DialectRegistry registry;
  dlp::registerAllDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();
  SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  auto t0 = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module =
      dlp::loadModelFile(r.modelPath, &context, sourceMgr, "dlpc",
                         r.inputShapes);
  if (!module)
    return 1;
  double tImport = since(t0);

  t0 = std::chrono::steady_clock::now();
  {
    PassManager pm(&context);
    dlp::buildNNOptimizePipeline(pm);
    if (failed(pm.run(*module)))
      return 1;
  }
  double tOpt = since(t0), tCal = 0, tQuant = 0;
  std::shared_ptr<dlp::quant::CalibrationTable> table;
  std::shared_ptr<const dlp::quant::CalibrationSamples> samples;

  if (r.emit != "nn") {
    auto funcs = module->getOps<func::FuncOp>();
    if (funcs.empty()) {
      errs() << "dlpc: the module has no function\n";
      return 1;
    }
    t0 = std::chrono::steady_clock::now();
    if (!r.calibrationIn.empty()) {
      auto read = dlp::quant::CalibrationTable::readFile(r.calibrationIn);
      if (!read) {
        errs() << "dlpc: " << toString(read.takeError()) << "\n";
        return 1;
      }
      table = std::make_shared<dlp::quant::CalibrationTable>(std::move(*read));
    } else {
      dlp::quant::Calibrator cal(r.percentile);
      const std::vector<std::string> &paths = r.calibPaths;
      if (!dlp::driver::calibrate(*funcs.begin(), paths, r.calibBatch,
                                  r.numThreads, cal))
        return 1;
      table = std::make_shared<dlp::quant::CalibrationTable>(cal.table());
    }
    // The weight rounding and the precision search run on the samples.
    if (r.weightRounding == "gptq" || r.precision == "auto") {
      if (r.calibPaths.empty()) {
        errs() << "dlpc: " << (r.precision == "auto" ? "--precision auto"
                                                     : "--weight-rounding=gptq")
               << " needs calibration samples (--calib)\n";
        return 2;
      }
      auto s = std::make_shared<dlp::quant::CalibrationSamples>();
      // --precision auto measures on the samples after the rounding's.
      int64_t count = std::max(1, r.gptqSamples);
      if (r.precision == "auto")
        count += std::max(0, r.autoSamples);
      if (!dlp::driver::loadSamples(*funcs.begin(), r.calibPaths, count, *s))
        return 1;
      samples = std::move(s);
    }
    if (!r.calibrationOut.empty())
      if (Error err = table->writeFile(r.calibrationOut)) {
        errs() << "dlpc: " << toString(std::move(err)) << "\n";
        return 1;
      }
    tCal = since(t0);
  }
  // The golden chain compares against the float model as optimized.
  OwningOpRef<ModuleOp> qnnModule;
  std::unique_ptr<dlp::driver::GoldenChain> chain;
  if (!r.goldenInputs.empty()) {
    std::vector<dlprt::NpyArray> inputs(r.goldenInputs.size());
    for (auto [i, path] : llvm::enumerate(r.goldenInputs)) {
      std::string err;
      if (!dlprt::readNpy(path, inputs[i], err)) {
        errs() << "dlpc: " << err << "\n";
        return 1;
      }
    }
    chain = std::make_unique<dlp::driver::GoldenChain>(std::move(inputs),
                                                       r.numThreads);
    if (!chain->runFloat(*module, errs()))
      return 1;
  }
  // Quantize and lower: the rest of the one compile pipeline (its
  // nn-optimize part finds nothing left to do).
  double tLower = 0;
  if (r.emit != "nn") {
    dlp::DLPCompileOptions opts;
    opts.precision = r.precision;
    opts.weights = r.weights;
    opts.int8Layers = r.int8Layers;
    opts.autoInt8Sqnr = r.autoInt8;
    opts.maxFracSpread = r.maxFracSpread;
    opts.csrDensity = r.csrDensity;
    opts.tileSearch = r.tileSearch;
    opts.loopOrder = r.loopOrder;
    opts.reportTiles = r.reportTiles;
    opts.fmapsOnChip = r.fmapsOnChip;
    opts.elideDeadStores = r.elideDeadStores;
    opts.weightScale = r.weightScale;
    opts.weightRounding = r.weightRounding;
    opts.gptqSamples = r.gptqSamples;
    opts.autoAgreement = r.autoAgreement;
    opts.autoSamples = r.autoSamples;
    if (!r.goldenInputs.empty()) {
      // Stop at qnn to keep a copy for the quantized evaluator; the rest of
      // the pipeline (the lowering) runs below.
      PassManager q(&context);
      dlp::buildDLPCompilePipeline(q, opts, dlp::CompileStage::QNN, table,
                                   target, samples);
      if (failed(q.run(*module)))
        return 1;
      qnnModule = module->clone();
    }
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    if (qnnModule)
      dlp::addDLPLowering(pm, opts, target);
    else
      dlp::buildDLPCompilePipeline(
          pm, opts, toDevice ? dlp::CompileStage::DLP : dlp::CompileStage::QNN,
          table, target, samples);
    auto times = std::make_unique<PassTimes>();
    PassTimes *timesPtr = times.get();
    pm.addInstrumentation(std::move(times));
    t0 = std::chrono::steady_clock::now();
    if (failed(pm.run(*module)))
      return 1;
    double total = since(t0);
    tLower = timesPtr->seconds.lookup("convert-qnn-to-dlp");
    tQuant = total - tLower;
  }

  if (chain) {
    auto progs = module->getOps<dlp::device::ProgramOp>();
    FailureOr<dlprt::Program> prog = dlp::device::toProgram(*progs.begin());
    if (failed(prog))
      return 1;
    return chain->compare(*qnnModule, *prog, outs()) ? 0 : 1;
  }
  t0 = std::chrono::steady_clock::now();
  std::string err;
  auto out = openOutputFile(r.outputPath, &err);
  if (!out) {
    errs() << "dlpc: " << err << "\n";
    return 1;
  }
  if (r.emit == "bin") {
    if (failed(dlp::writeDLPBinary(*module, out->os())))
      return 1;
  } else if (StringRef(r.outputPath).ends_with(".mlirbc")) {
    if (failed(writeBytecodeToFile(*module, out->os()))) {
      errs() << "dlpc: cannot write bytecode\n";
      return 1;
    }
  } else {
    OpPrintingFlags flags;
    flags.enableDebugInfo();
    module->print(out->os(), flags);
  }
  out->keep();
  if (r.printTime)
    errs() << formatv("dlpc: import {0:f3} s, optimize {1:f3} s, calibrate "
                      "{2:f3} s, quantize {3:f3} s, lower {4:f3} s, write {5:f3} s\n",
                      tImport, tOpt, tCal, tQuant, tLower, since(t0));
  return 0;
}


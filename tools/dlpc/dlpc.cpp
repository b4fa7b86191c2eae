//===- dlpc.cpp - One-command compile driver -------------------------------===//
//
//   dlpc model.onnx --calib calib.npy --emit=qnn -o q.mlir
//        [--precision cfg.json] [--weights pow2|int8] [--int8-layers a,b]
//        [--auto-int8-sqnr DB] [--percentile P] [--calib-batch N]
//        [--calibration-out table.json] [--time]
//
// Import -> nn-optimize -> calibrate (float evaluator over the calibration
// inputs) -> --dlp-quantize. --emit=nn stops after the optimization. Output
// is textual MLIR with locations (the ONNX node names), or bytecode when
// the output file ends in .mlirbc.
//
//===----------------------------------------------------------------------===//

#include "dlp/Evaluator/Evaluator.h"
#include "dlp/Import/ONNX/ONNXImporter.h"
#include "dlp/InitAll.h"
#include "dlp/Quant/Calibration.h"
#include "dlp/Quant/Passes.h"
#include "dlp/Transforms/Passes.h"
#include "dlp/Conversion/Passes.h"
#include "dlp/Driver/Calibrate.h"
#include "dlp/Driver/GoldenChain.h"
#include "DLP/DLPProgram.h"
#include "dlp/Pipelines/Pipelines.h"
#include "dlp/Target/Binary.h"
#include "dlprt/Target.h"
#include "dlprt/Npy.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace llvm;

static cl::OptionCategory cat("dlpc options");
static cl::opt<std::string> modelPath(cl::cat(cat), cl::Positional,
                                      cl::desc("<model.onnx|model.mlir>"),
                                      cl::init(""));
static cl::opt<std::string> outputPath(cl::cat(cat), "o",
                                       cl::desc("output file ('-': stdout)"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<std::string>
    emit(cl::cat(cat), "emit",
         cl::desc("what to produce: nn, qnn, dlp (the dlp dialect) or bin "
                  "(a .dlpb binary; the default with --target)"),
         cl::init(""));
static cl::opt<std::string>
    targetPath(cl::cat(cat), "target",
               cl::desc("target config (hw/configs/*.json): compile for the "
                        "DLP"),
               cl::value_desc("file"), cl::init(""));
static cl::list<std::string> calibPaths(
    cl::cat(cat), "calib",
    cl::desc("calibration inputs, samples along dimension 0: one .npy per "
             "model input, or one .npz (arrays matched to the inputs by "
             "name, else in order), or one folder of such .npy / .npz "
             "batches (sorted by name)"),
    cl::value_desc("file|folder"));
static cl::opt<unsigned> calibBatch(
    cl::cat(cat), "calib-batch",
    cl::desc("run the calibration inputs in slices of N samples"),
    cl::init(256));
static cl::opt<double> percentile(
    cl::cat(cat), "percentile",
    cl::desc("calibrate to this percentile of |x| (e.g. 99.99) instead of "
             "max |x|"),
    cl::init(0));
static cl::opt<std::string> calibrationIn(
    cl::cat(cat), "calibration",
    cl::desc("use this calibration table (JSON) instead of --calib"),
    cl::value_desc("file"), cl::init(""));
static cl::opt<std::string>
    calibrationOut(cl::cat(cat), "calibration-out",
                   cl::desc("also write the calibration table (JSON)"),
                   cl::value_desc("file"), cl::init(""));
static cl::opt<std::string>
    precision(cl::cat(cat), "precision",
              cl::desc("per-layer weight precision (JSON: {\"default\": "
                       "\"pow2\", \"layers\": {\"name\": \"int8\"}})"),
              cl::value_desc("file"), cl::init(""));
static cl::opt<std::string> weights(cl::cat(cat), "weights",
                                    cl::desc("default weight precision: "
                                             "pow2 or int8"),
                                    cl::init("pow2"));
static cl::opt<std::string> weightScale(
    cl::cat(cat), "weight-scale",
    cl::desc("weight window (pow2 n1) / int8 scale: per output channel or "
             "per layer"),
    cl::init("channel"));
static cl::list<std::string> int8Layers(
    cl::cat(cat), "int8-layers", cl::CommaSeparated,
    cl::desc("layers (ONNX node names) given int8 weights"));
static cl::opt<double> autoInt8(
    cl::cat(cat), "auto-int8-sqnr",
    cl::desc("int8 weights for pow2 layers whose weight SQNR (dB) is below"),
    cl::init(0));
static cl::opt<int> maxFracSpread(
    cl::cat(cat), "max-frac-spread",
    cl::desc("cap channel fractional bits at the tensor's smallest + N"),
    cl::init(8));
static cl::opt<unsigned> numThreads(cl::cat(cat), "num-threads",
                                    cl::desc("calibration threads"),
                                    cl::init(2));
static cl::list<std::string> goldenInputs(
    cl::cat(cat), "golden-chain",
    cl::desc("with --target: run these inputs (.npy, one per model input) "
             "through the float model, the quantized evaluator and the "
             "simulated DLP, print the per-layer comparison and name the "
             "first layer (and instructions) where they diverge"),
    cl::value_desc("x.npy"));
static cl::opt<bool> printTime(cl::cat(cat), "time",
                               cl::desc("print phase timings to stderr"));

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

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  registerPassManagerCLOptions();
  registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv, "DLP compile driver\n");
  if (modelPath.empty()) {
    errs() << "dlpc: no model given (usage: dlpc model.onnx --calib "
              "calib.npy --emit=qnn -o q.mlir)\n";
    return 2;
  }
  if (emit.empty())
    emit = targetPath.empty() ? "qnn" : "bin";
  if (emit != "nn" && emit != "qnn" && emit != "dlp" && emit != "bin") {
    errs() << "dlpc: --emit must be nn, qnn, dlp or bin, got '" << emit
           << "'\n";
    return 2;
  }
  bool toDevice = emit == "dlp" || emit == "bin";
  if (toDevice && targetPath.empty()) {
    errs() << "dlpc: --emit=" << emit
           << " needs a target (--target hw/configs/small.json)\n";
    return 2;
  }
  std::shared_ptr<dlprt::TargetConfig> target;
  if (!targetPath.empty()) {
    auto cfg = dlprt::loadTargetConfig(targetPath);
    if (!cfg) {
      errs() << "dlpc: " << toString(cfg.takeError()) << "\n";
      return 1;
    }
    target = std::make_shared<dlprt::TargetConfig>(std::move(*cfg));
  }
  if (!goldenInputs.empty() && !toDevice) {
    errs() << "dlpc: --golden-chain needs a target (--target cfg.json)\n";
    return 2;
  }
  if (emit != "nn" && calibPaths.empty() && calibrationIn.empty()) {
    errs() << "dlpc: --emit=" << emit << " needs calibration data (--calib x.npy, "
              "x.npz or a folder, or --calibration table.json)\n";
    return 2;
  }
  if (percentile < 0 || percentile >= 100) {
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
      dlp::loadModelFile(modelPath, &context, sourceMgr, "dlpc");
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

  if (emit != "nn") {
    auto funcs = module->getOps<func::FuncOp>();
    if (funcs.empty()) {
      errs() << "dlpc: the module has no function\n";
      return 1;
    }
    t0 = std::chrono::steady_clock::now();
    if (!calibrationIn.empty()) {
      auto read = dlp::quant::CalibrationTable::readFile(calibrationIn);
      if (!read) {
        errs() << "dlpc: " << toString(read.takeError()) << "\n";
        return 1;
      }
      table = std::make_shared<dlp::quant::CalibrationTable>(std::move(*read));
    } else {
      dlp::quant::Calibrator cal(percentile);
      std::vector<std::string> paths(calibPaths.begin(), calibPaths.end());
      if (!dlp::driver::calibrate(*funcs.begin(), paths, calibBatch,
                                  numThreads, cal))
        return 1;
      table = std::make_shared<dlp::quant::CalibrationTable>(cal.table());
    }
    if (!calibrationOut.empty())
      if (Error err = table->writeFile(calibrationOut)) {
        errs() << "dlpc: " << toString(std::move(err)) << "\n";
        return 1;
      }
    tCal = since(t0);
  }
  // The golden chain compares against the float model as optimized.
  OwningOpRef<ModuleOp> qnnModule;
  std::unique_ptr<dlp::driver::GoldenChain> chain;
  if (!goldenInputs.empty()) {
    std::vector<dlprt::NpyArray> inputs(goldenInputs.size());
    for (auto [i, path] : llvm::enumerate(goldenInputs)) {
      std::string err;
      if (!dlprt::readNpy(path, inputs[i], err)) {
        errs() << "dlpc: " << err << "\n";
        return 1;
      }
    }
    chain = std::make_unique<dlp::driver::GoldenChain>(std::move(inputs),
                                                       numThreads);
    if (!chain->runFloat(*module, errs()))
      return 1;
  }
  // Quantize and lower: the rest of the one compile pipeline (its
  // nn-optimize part finds nothing left to do).
  double tLower = 0;
  if (emit != "nn") {
    dlp::DLPCompileOptions opts;
    opts.precision = precision;
    opts.weights = weights;
    opts.int8Layers = int8Layers;
    opts.autoInt8Sqnr = autoInt8;
    opts.maxFracSpread = maxFracSpread;
    opts.weightScale = weightScale;
    if (!goldenInputs.empty()) {
      // Stop at qnn to keep a copy for the quantized evaluator; the rest of
      // the pipeline (the lowering) runs below.
      PassManager q(&context);
      dlp::buildDLPCompilePipeline(q, opts, dlp::CompileStage::QNN, table,
                                   target);
      if (failed(q.run(*module)))
        return 1;
      qnnModule = module->clone();
    }
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    if (qnnModule)
      pm.addPass(dlp::createConvertQNNToDLP(target));
    else
      dlp::buildDLPCompilePipeline(
          pm, opts, toDevice ? dlp::CompileStage::DLP : dlp::CompileStage::QNN,
          table, target);
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
  auto out = openOutputFile(outputPath, &err);
  if (!out) {
    errs() << "dlpc: " << err << "\n";
    return 1;
  }
  if (emit == "bin") {
    if (failed(dlp::writeDLPBinary(*module, out->os())))
      return 1;
  } else if (StringRef(outputPath).ends_with(".mlirbc")) {
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
  if (printTime)
    errs() << formatv("dlpc: import {0:f3} s, optimize {1:f3} s, calibrate "
                      "{2:f3} s, quantize {3:f3} s, lower {4:f3} s, write {5:f3} s\n",
                      tImport, tOpt, tCal, tQuant, tLower, since(t0));
  return 0;
}

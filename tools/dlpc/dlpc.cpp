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
#include "dlprt/Npy.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
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
static cl::opt<std::string> emit(cl::cat(cat), "emit",
                                 cl::desc("what to produce: nn or qnn"),
                                 cl::init("qnn"));
static cl::list<std::string>
    calibPaths(cl::cat(cat), "calib",
               cl::desc("calibration input .npy (one per model input; a "
                        "batch of samples along dimension 0)"),
               cl::value_desc("file"));
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
static cl::opt<bool> printTime(cl::cat(cat), "time",
                               cl::desc("print phase timings to stderr"));

namespace {
double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

/// Runs the float evaluator over the calibration inputs, slice by slice.
bool calibrate(func::FuncOp func, dlp::quant::Calibrator &cal) {
  auto ev = dlp::eval::Evaluator::create(func, numThreads);
  if (!ev)
    return false;
  if (calibPaths.size() != ev->numInputs()) {
    errs() << "dlpc: the model has " << ev->numInputs() << " input(s) but "
           << calibPaths.size() << " --calib given\n";
    return false;
  }
  std::vector<std::shared_ptr<dlprt::NpyArray>> arrays;
  int64_t samples = -1;
  for (const std::string &path : calibPaths) {
    auto arr = std::make_shared<dlprt::NpyArray>();
    std::string err;
    if (!dlprt::readNpy(path, *arr, err)) {
      errs() << "dlpc: " << err << "\n";
      return false;
    }
    int64_t n = arr->shape.empty() ? 1 : arr->shape[0];
    if (samples >= 0 && n != samples) {
      errs() << "dlpc: calibration inputs disagree on the sample count ("
             << samples << " vs " << n << " in '" << path << "')\n";
      return false;
    }
    samples = n;
    arrays.push_back(arr);
  }
  if (samples == 0) {
    errs() << "dlpc: the calibration inputs hold no sample\n";
    return false;
  }
  int64_t step = std::max(1u, unsigned(calibBatch));
  for (int64_t b = 0; b < samples; b += step) {
    int64_t e = std::min(samples, b + step);
    SmallVector<dlp::eval::Tensor> inputs;
    for (auto [i, arr] : llvm::enumerate(arrays)) {
      std::vector<int64_t> shape = arr->shape;
      if (shape.empty()) {
        inputs.push_back(dlp::eval::Tensor::view({}, arr->data.data(), arr));
      } else {
        int64_t inner = arr->data.size() / shape[0];
        shape[0] = e - b;
        inputs.push_back(dlp::eval::Tensor::view(
            shape, arr->data.data() + b * inner, arr));
      }
    }
    cal.observeInputs(func.getArguments(), inputs);
    SmallVector<dlp::eval::Tensor> outputs;
    std::string error;
    if (!ev->run(inputs, outputs, error,
                 [&](StringRef layer, Operation *op,
                     const dlp::eval::Tensor &t) {
                   cal.observe(layer, op->getName().getStringRef(), t);
                 })) {
      errs() << "dlpc: calibration: " << error << "\n";
      return false;
    }
  }
  return true;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv, "DLP compile driver\n");
  if (modelPath.empty()) {
    errs() << "dlpc: no model given (usage: dlpc model.onnx --calib "
              "calib.npy --emit=qnn -o q.mlir)\n";
    return 2;
  }
  if (emit != "nn" && emit != "qnn") {
    errs() << "dlpc: --emit must be nn or qnn, got '" << emit << "'\n";
    return 2;
  }
  if (emit == "qnn" && calibPaths.empty() && calibrationIn.empty()) {
    errs() << "dlpc: --emit=qnn needs calibration data (--calib x.npy or "
              "--calibration table.json)\n";
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

  if (emit == "qnn") {
    auto funcs = module->getOps<func::FuncOp>();
    if (funcs.empty()) {
      errs() << "dlpc: the module has no function\n";
      return 1;
    }
    t0 = std::chrono::steady_clock::now();
    std::shared_ptr<dlp::quant::CalibrationTable> table;
    if (!calibrationIn.empty()) {
      auto read = dlp::quant::CalibrationTable::readFile(calibrationIn);
      if (!read) {
        errs() << "dlpc: " << toString(read.takeError()) << "\n";
        return 1;
      }
      table = std::make_shared<dlp::quant::CalibrationTable>(std::move(*read));
    } else {
      dlp::quant::Calibrator cal(percentile);
      if (!calibrate(*funcs.begin(), cal))
        return 1;
      table = std::make_shared<dlp::quant::CalibrationTable>(cal.table());
    }
    if (!calibrationOut.empty())
      if (Error err = table->writeFile(calibrationOut)) {
        errs() << "dlpc: " << toString(std::move(err)) << "\n";
        return 1;
      }
    tCal = since(t0);

    t0 = std::chrono::steady_clock::now();
    dlp::DLPQuantizeOptions opts;
    opts.precisionFile = precision;
    opts.defaultWeights = weights;
    opts.int8Layers.assign(int8Layers.begin(), int8Layers.end());
    opts.autoInt8Sqnr = autoInt8;
    opts.maxFracSpread = maxFracSpread;
    PassManager pm(&context);
    pm.addPass(dlp::createDLPQuantize(opts, table));
    if (failed(pm.run(*module)))
      return 1;
    tQuant = since(t0);
  }

  t0 = std::chrono::steady_clock::now();
  std::string err;
  auto out = openOutputFile(outputPath, &err);
  if (!out) {
    errs() << "dlpc: " << err << "\n";
    return 1;
  }
  if (StringRef(outputPath).ends_with(".mlirbc")) {
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
                      "{2:f3} s, quantize {3:f3} s, write {4:f3} s\n",
                      tImport, tOpt, tCal, tQuant, since(t0));
  return 0;
}

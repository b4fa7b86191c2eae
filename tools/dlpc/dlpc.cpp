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
#include "dlp/Target/Binary.h"
#include "dlprt/Target.h"
#include "dlprt/Npy.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
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
static cl::opt<bool> printTime(cl::cat(cat), "time",
                               cl::desc("print phase timings to stderr"));

namespace {
double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

/// Runs the float evaluator over the calibration inputs, slice by slice.
/// One calibration batch: an array per model input.
using Batch = std::vector<std::shared_ptr<dlprt::NpyArray>>;

bool hasSuffix(StringRef path, StringRef ext) {
  return path.ends_with_insensitive(ext);
}

/// Reads the .npz `path` into a batch for inputs named `names` (empty name:
/// unnamed input): by name when every input's name is a member, else in
/// archive order when the counts agree.
bool loadNpz(const std::string &path, ArrayRef<std::string> names,
             Batch &batch) {
  std::vector<std::pair<std::string, dlprt::NpyArray>> members;
  std::string err;
  if (!dlprt::readNpz(path, members, err)) {
    errs() << "dlpc: " << err << "\n";
    return false;
  }
  batch.clear();
  StringMap<size_t> byName;
  for (auto [i, m] : llvm::enumerate(members))
    byName[m.first] = i;
  // By name when every input's name is a member; in archive order only
  // when no name matches (a partial match is an error, never a guess).
  std::vector<std::string> missing;
  for (const std::string &n : names)
    if (n.empty() || !byName.count(n))
      missing.push_back(n.empty() ? "?" : n);
  bool named = missing.empty();
  if (!named && missing.size() < names.size()) {
    errs() << "dlpc: '" << path << "' names some model inputs but not "
           << llvm::join(missing, ", ") << "\n";
    return false;
  }
  if (!named && members.size() != names.size()) {
    std::string list;
    for (auto &m : members)
      list += (list.empty() ? "" : ", ") + m.first;
    std::string want;
    for (const std::string &n : names)
      want += (want.empty() ? "" : ", ") + (n.empty() ? "?" : n);
    errs() << "dlpc: '" << path << "' holds " << members.size()
           << " array(s) (" << list << ") for a model with " << names.size()
           << " input(s) (" << want << "): name them after the inputs\n";
    return false;
  }
  for (size_t i = 0; i < names.size(); ++i)
    batch.push_back(std::make_shared<dlprt::NpyArray>(std::move(
        members[named ? byName[names[i]] : i].second)));
  return true;
}

/// Reads one batch from .npy files (one per input) or a single .npz.
bool loadBatch(ArrayRef<std::string> paths, ArrayRef<std::string> names,
               Batch &batch) {
  if (paths.size() == 1 && hasSuffix(paths[0], ".npz"))
    return loadNpz(paths[0], names, batch);
  if (paths.size() != names.size()) {
    errs() << "dlpc: the model has " << names.size() << " input(s) but "
           << paths.size() << " calibration array(s) were given";
    if (paths.size() == 1 && names.size() > 1)
      errs() << " (give one .npy per input, or an .npz)";
    errs() << "\n";
    return false;
  }
  batch.clear();
  for (const std::string &path : paths) {
    auto arr = std::make_shared<dlprt::NpyArray>();
    std::string err;
    if (!dlprt::readNpy(path, *arr, err)) {
      errs() << "dlpc: " << err << "\n";
      return false;
    }
    batch.push_back(arr);
  }
  return true;
}

/// The calibration batches --calib names: each entry lists the files of
/// one batch (a folder contributes one batch per .npy / .npz in it).
bool calibrationBatches(std::vector<std::vector<std::string>> &batches) {
  if (calibPaths.size() == 1 && sys::fs::is_directory(calibPaths[0])) {
    std::error_code ec;
    std::vector<std::string> files;
    for (sys::fs::directory_iterator it(calibPaths[0], ec), end;
         it != end && !ec; it.increment(ec))
      if (hasSuffix(it->path(), ".npy") || hasSuffix(it->path(), ".npz"))
        files.push_back(it->path());
    if (ec) {
      errs() << "dlpc: cannot list '" << calibPaths[0] << "': "
             << ec.message() << "\n";
      return false;
    }
    if (files.empty()) {
      errs() << "dlpc: calibration folder '" << calibPaths[0]
             << "' holds no .npy or .npz file\n";
      return false;
    }
    llvm::sort(files);
    for (std::string &f : files)
      batches.push_back({f});
    return true;
  }
  for (const std::string &p : calibPaths)
    if (sys::fs::is_directory(p)) {
      errs() << "dlpc: a calibration folder ('" << p
             << "') must be the only --calib\n";
      return false;
    }
  batches.push_back({calibPaths.begin(), calibPaths.end()});
  return true;
}

bool calibrate(func::FuncOp func, dlp::quant::Calibrator &cal) {
  auto ev = dlp::eval::Evaluator::create(func, numThreads);
  if (!ev)
    return false;
  std::vector<std::string> names;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, "onnx.name");
    names.push_back(name ? name.str() : "");
  }
  std::vector<std::vector<std::string>> batches;
  if (!calibrationBatches(batches))
    return false;
  int64_t total = 0;
  for (const std::vector<std::string> &files : batches) {
    Batch arrays;
    if (!loadBatch(files, names, arrays))
      return false;
    int64_t samples = arrays.empty() ? 0 : -1;
    for (auto [i, arr] : llvm::enumerate(arrays)) {
      int64_t n = arr->shape.empty() ? 1 : arr->shape[0];
      if (samples >= 0 && n != samples) {
        errs() << "dlpc: calibration inputs disagree on the sample count ("
               << samples << " vs " << n << " for input #" << i << " in '"
               << llvm::join(files, "', '") << "')\n";
        return false;
      }
      samples = n;
    }
    total += samples;
    int64_t step = std::max(1u, unsigned(calibBatch));
    for (int64_t b = 0; b < samples; b += step) {
      int64_t e = std::min(samples, b + step);
      SmallVector<dlp::eval::Tensor> inputs;
      for (auto [i, arr] : llvm::enumerate(arrays)) {
        std::vector<int64_t> shape = arr->shape;
        if (shape.empty()) {
          inputs.push_back(dlp::eval::Tensor::view({}, arr->data.data(), arr));
        } else {
          int64_t inner = shape[0] ? arr->data.size() / shape[0] : 0;
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
        errs() << "dlpc: calibration ('" << llvm::join(files, "', '")
               << "'): " << error << "\n";
        return false;
      }
    }
  }
  if (total == 0) {
    errs() << "dlpc: the calibration inputs hold no sample\n";
    return false;
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

  if (emit != "nn") {
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
    opts.weightScale = weightScale;
    PassManager pm(&context);
    pm.addPass(dlp::createDLPQuantize(opts, table));
    if (failed(pm.run(*module)))
      return 1;
    tQuant = since(t0);
  }
  double tLower = 0;
  if (toDevice) {
    t0 = std::chrono::steady_clock::now();
    PassManager pm(&context);
    pm.addPass(dlp::createConvertQNNToDLP(target));
    if (failed(pm.run(*module)))
      return 1;
    tLower = since(t0);
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

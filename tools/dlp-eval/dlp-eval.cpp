//===- dlp-eval.cpp - Run an nn module on .npy inputs ---------------------===//
//
//   dlp-eval MODEL (--input x.npy)... (--output y.npy)... [--num-threads N]
//            [--dump-dir DIR] [--no-optimize] [--time] [--reference FLOAT]
//   dlp-eval --list-onnx-ops
//
// MODEL is an .onnx file (imported on the fly) or an .mlir/.mlirbc module of
// nn ops, or of qnn ops (from --dlp-quantize / dlpc --emit=qnn). The graph
// goes through the nn-optimize pipeline first (unless --no-optimize), then
// the evaluator runs it: float kernels for nn ops, the bit-exact integer
// kernels of docs/numerics.md for qnn ops. Outputs and dumps of int8
// tensors are written dequantized (float32).
//
//===----------------------------------------------------------------------===//

#include "dlp/Evaluator/Evaluator.h"
#include "dlp/Import/ONNX/ONNXImporter.h"
#include "dlp/Quant/Calibration.h"
#include "dlp/InitAll.h"
#include "dlp/Transforms/Passes.h"
#include "dlprt/Npy.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Timer.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

using namespace mlir;
using namespace llvm;

static cl::OptionCategory evalCategory("dlp-eval options");

static cl::opt<std::string> modelPath(cl::cat(evalCategory), cl::Positional, cl::desc("<model>"),
                                      cl::init(""));
static cl::list<std::string> inputPaths(cl::cat(evalCategory), "input", cl::desc("input .npy file"),
                                        cl::value_desc("file"));
static cl::list<std::string> outputPaths(cl::cat(evalCategory), "output",
                                         cl::desc("output .npy file"),
                                         cl::value_desc("file"));
static cl::opt<unsigned> numThreads(cl::cat(evalCategory), "num-threads", cl::desc("worker threads"),
                                    cl::init(2));
static cl::opt<std::string>
    dumpDir(cl::cat(evalCategory), "dump-dir",
            cl::desc("write every intermediate tensor as DIR/<layer>.npy"),
            cl::init(""));
static cl::opt<bool> noOptimize(cl::cat(evalCategory), "no-optimize",
                                cl::desc("skip the nn-optimize pipeline"));
static cl::opt<bool> printTime(cl::cat(evalCategory), "time", cl::desc("print phase timings"));
static cl::opt<unsigned> repeat(cl::cat(evalCategory), "repeat",
                                cl::desc("run N times (--time prints the median and minimum)"),
                                cl::init(1));
static cl::opt<bool>
    profile(cl::cat(evalCategory), "profile",
            cl::desc("print the run time per op kind (last repeat)"));
static cl::opt<bool>
    profileLayers(cl::cat(evalCategory), "profile-layers",
                  cl::desc("print the run time of every layer (last repeat)"));
static cl::opt<bool> prepareOnly(
    cl::cat(evalCategory), "prepare-only",
    cl::desc("import/parse, optimize and prepare the model, then stop "
             "(no inputs needed; with --time, prints the phase timings)"));
static cl::opt<std::string> calibrationOut(
    cl::cat(evalCategory), "calibration-out",
    cl::desc("record per-channel ranges of every tensor over the inputs and "
             "write the calibration table (JSON) to this file"),
    cl::value_desc("file"), cl::init(""));
static cl::opt<double> percentile(
    cl::cat(evalCategory), "percentile",
    cl::desc("with --calibration-out: use this percentile of |x| per channel "
             "instead of max |x| (e.g. 99.99)"),
    cl::init(0));
static cl::opt<std::string> referencePath(
    cl::cat(evalCategory), "reference",
    cl::desc("float model (.onnx or nn .mlir) to compare every layer "
             "against: prints the SQNR (dB) of each layer's (dequantized) "
             "output"),
    cl::value_desc("model"), cl::init(""));
static cl::opt<double> sqnrBound(
    cl::cat(evalCategory), "sqnr-bound",
    cl::desc("with --reference: report the first layer whose SQNR is below "
             "this (dB)"),
    cl::init(20.0));
static cl::opt<bool> int16Gemm(
    cl::cat(evalCategory), "int16-gemm", cl::Hidden, cl::init(true),
    cl::desc("run qnn conv / fully-connected layers on the int16 GEMM where "
             "their terms fit (false: the direct int32 kernels, to "
             "cross-check)"));
static cl::opt<bool> listOps(cl::cat(evalCategory), "list-onnx-ops",
                             cl::desc("print the supported ONNX ops and exit"));

namespace {
double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

std::string sanitize(StringRef name) {
  std::string s = name.str();
  for (char &c : s)
    if (!isAlnum(c) && c != '_' && c != '-' && c != '.')
      c = '_';
  return s;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(evalCategory);
  cl::ParseCommandLineOptions(argc, argv, "DLP reference evaluator (float nn and bit-exact qnn modules)\n");
  if (listOps) {
    for (const dlp::ONNXOpSupport &op : dlp::getSupportedONNXOps())
      outs() << op.opType << " " << op.minOpset << " " << op.maxOpset
             << (op.importTimeOnly ? " import-time" : "") << "\n";
    return 0;
  }
  if (modelPath.empty()) {
    errs() << "dlp-eval: no model given (usage: dlp-eval MODEL --input "
              "x.npy --output y.npy)\n";
    return 2;
  }

  DialectRegistry registry;
  dlp::registerAllDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();
  SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  auto load = [&](StringRef path) {
    return dlp::loadModelFile(path, &context, sourceMgr, "dlp-eval");
  };
  auto optimize = [&](ModuleOp m) {
    if (noOptimize)
      return success();
    PassManager pm(&context);
    dlp::buildNNOptimizePipeline(pm);
    return pm.run(m);
  };
  auto t0 = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module = load(modelPath);
  if (!module)
    return 1;
  double importTime = seconds(t0);

  t0 = std::chrono::steady_clock::now();
  if (failed(optimize(*module)))
    return 1;
  double optTime = seconds(t0);

  auto funcs = module->getOps<func::FuncOp>();
  if (funcs.empty()) {
    errs() << "dlp-eval: the module has no function\n";
    return 1;
  }
  func::FuncOp func = *funcs.begin();
  t0 = std::chrono::steady_clock::now();
  std::unique_ptr<dlp::eval::Evaluator> ev =
      dlp::eval::Evaluator::create(func, numThreads, int16Gemm);
  if (!ev)
    return 1;
  double prepTime = seconds(t0);
  dlp::eval::Evaluator::KernelCounts kernels = ev->kernelCounts();
  if (printTime && kernels.int16Gemm + kernels.direct > 0)
    outs() << formatv("qnn conv/fc layers: {0} on the int16 GEMM ({1} with "
                      "column shifts), {2} on the direct int32 kernels\n",
                      kernels.int16Gemm, kernels.columnShifts, kernels.direct);
  if (prepareOnly) {
    if (printTime)
      outs() << formatv("import {0:f4} s, optimize {1:f4} s, prepare {2:f4} s\n",
                        importTime, optTime, prepTime);
    return 0;
  }

  if (inputPaths.size() != ev->numInputs()) {
    errs() << "dlp-eval: the model has " << ev->numInputs()
           << " input(s) but " << inputPaths.size() << " --input given\n";
    return 1;
  }
  if (outputPaths.size() > ev->numOutputs()) {
    errs() << "dlp-eval: the model has " << ev->numOutputs()
           << " output(s) but " << outputPaths.size() << " --output given\n";
    return 1;
  }
  SmallVector<dlp::eval::Tensor> inputs;
  for (const std::string &path : inputPaths) {
    auto arr = std::make_shared<dlprt::NpyArray>();
    std::string err;
    if (!dlprt::readNpy(path, *arr, err)) {
      errs() << "dlp-eval: " << err << "\n";
      return 1;
    }
    inputs.push_back(
        dlp::eval::Tensor::view(arr->shape, arr->data.data(), arr));
  }
  if (!dumpDir.empty())
    if (std::error_code ec = sys::fs::create_directories(dumpDir)) {
      errs() << "dlp-eval: cannot create '" << dumpDir << "': "
             << ec.message() << "\n";
      return 1;
    }

  SmallVector<dlp::eval::Tensor> outputs;
  std::string error;
  // --reference: the float model's tensors by layer name, same inputs.
  llvm::StringMap<dlp::eval::Tensor> reference;
  struct SqnrRow {
    std::string layer, op;
    double db;
  };
  std::vector<SqnrRow> sqnrRows;
  OwningOpRef<ModuleOp> refModule;
  if (!referencePath.empty()) {
    refModule = load(referencePath);
    if (!refModule || failed(optimize(*refModule)))
      return 1;
    auto refFuncs = refModule->getOps<func::FuncOp>();
    if (refFuncs.empty()) {
      errs() << "dlp-eval: the reference module has no function\n";
      return 1;
    }
    auto refEv = dlp::eval::Evaluator::create(*refFuncs.begin(), numThreads);
    if (!refEv)
      return 1;
    SmallVector<dlp::eval::Tensor> refOut;
    if (!refEv->run(inputs, refOut, error,
                    [&](StringRef layer, Operation *, const dlp::eval::Tensor &t) {
                      reference[layer] = t;
                    })) {
      errs() << "dlp-eval: reference: " << error << "\n";
      return 1;
    }
  }
  auto compare = [&](StringRef layer, Operation *op,
                     const dlp::eval::Tensor &t) {
    auto it = reference.find(layer);
    if (it == reference.end() || it->second.shape() != t.shape())
      return;
    dlp::eval::Tensor q = dlp::eval::asFloat(op->getResult(0), t);
    double sig = 0, err = 0;
    const float *r = it->second.data(), *x = q.data();
    for (int64_t i = 0; i < t.numElements(); ++i) {
      sig += double(r[i]) * r[i];
      err += (double(r[i]) - x[i]) * (double(r[i]) - x[i]);
    }
    double db = err == 0 ? INFINITY
                         : sig == 0 ? -INFINITY : 10 * std::log10(sig / err);
    sqnrRows.push_back({layer.str(), op->getName().getStringRef().str(), db});
  };
  bool dumpFailed = false;
  auto dump = [&](StringRef layer, Operation *op, const dlp::eval::Tensor &t) {
    SmallString<128> path(dumpDir);
    sys::path::append(path, sanitize(layer) + ".npy");
    std::string err;
    std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    dlp::eval::Tensor f = dlp::eval::asFloat(op->getResult(0), t);
    if (!dlprt::writeNpy(std::string(path), shape, f.data(), err)) {
      errs() << "dlp-eval: " << err << "\n";
      dumpFailed = true;
    }
  };
  std::optional<dlp::quant::Calibrator> calibrator;
  if (!calibrationOut.empty()) {
    if (percentile < 0 || percentile >= 100) {
      errs() << "dlp-eval: --percentile must be in [0, 100)\n";
      return 1;
    }
    calibrator.emplace(percentile);
    calibrator->observeInputs(func.getArguments(), inputs);
  }
  // Per-op-kind profile: the callback runs right after each layer.
  llvm::StringMap<std::pair<double, unsigned>> perKind;
  std::string layerTable;
  raw_string_ostream layerOs(layerTable);
  auto last = std::chrono::steady_clock::now();
  // Dumps and calibration need one run; profiles keep the last one.
  bool firstRun = true;
  auto hook = [&](StringRef layer, Operation *op, const dlp::eval::Tensor &t) {
    double secs = seconds(last);
    if (profile) {
      auto &[total, count] = perKind[op->getName().getStringRef()];
      total += secs;
      ++count;
    }
    if (profileLayers) {
      std::string shape;
      for (int64_t d : t.shape())
        shape += (shape.empty() ? "" : "x") + std::to_string(d);
      layerOs << formatv("{0,-40} {1,-20} {2,-18} {3,9:f3}\n", layer,
                         op->getName().getStringRef(), shape, secs * 1e3);
    }
    if (firstRun && !dumpDir.empty())
      dump(layer, op, t);
    if (firstRun && calibrator)
      calibrator->observe(layer, op->getName().getStringRef(), t);
    if (firstRun && !reference.empty())
      compare(layer, op, t);
    last = std::chrono::steady_clock::now();
  };
  bool needHook = profile || profileLayers || !dumpDir.empty() ||
                  calibrator.has_value() || !reference.empty();
  std::vector<double> runTimes;
  for (unsigned r = 0; r < std::max(1u, unsigned(repeat)); ++r) {
    t0 = std::chrono::steady_clock::now();
    firstRun = r == 0;
    perKind.clear();
    layerTable.clear();
    last = std::chrono::steady_clock::now();
    bool ok = needHook ? ev->run(inputs, outputs, error, hook)
                       : ev->run(inputs, outputs, error);
    if (!ok) {
      errs() << "dlp-eval: " << error << "\n";
      return 1;
    }
    runTimes.push_back(seconds(t0));
  }
  llvm::sort(runTimes);
  double runMedian = runTimes[runTimes.size() / 2], runMin = runTimes.front();
  if (dumpFailed)
    return 1;

  auto results = func.getBody().front().getTerminator()->getOperands();
  for (auto [path, t, v] : llvm::zip(outputPaths, outputs, results)) {
    std::string err;
    std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    dlp::eval::Tensor f = dlp::eval::asFloat(v, t);
    if (!dlprt::writeNpy(path, shape, f.data(), err)) {
      errs() << "dlp-eval: " << err << "\n";
      return 1;
    }
  }
  if (calibrator) {
    if (llvm::Error err = calibrator->table().writeFile(calibrationOut)) {
      errs() << "dlp-eval: " << llvm::toString(std::move(err)) << "\n";
      return 1;
    }
  }
  if (!referencePath.empty()) {
    outs() << formatv("{0,-48} {1,-22} {2,10}\n", "layer", "op", "SQNR dB");
    const SqnrRow *firstBelow = nullptr;
    for (const SqnrRow &row : sqnrRows) {
      outs() << formatv("{0,-48} {1,-22} {2,10:f2}\n", row.layer, row.op,
                        row.db);
      if (!firstBelow && row.db < sqnrBound)
        firstBelow = &row;
    }
    if (firstBelow)
      outs() << formatv("first layer below {0} dB: {1} ({2:f2} dB)\n",
                        sqnrBound.getValue(), firstBelow->layer,
                        firstBelow->db);
    else
      outs() << formatv("all {0} compared layers are at or above {1} dB\n",
                        sqnrRows.size(), sqnrBound.getValue());
  }
  if (profileLayers)
    outs() << formatv("{0,-40} {1,-20} {2,-18} {3,9}\n", "layer", "op",
                      "shape", "ms")
           << layerTable;
  if (profile) {
    SmallVector<std::pair<StringRef, std::pair<double, unsigned>>> rows;
    double total = 0;
    for (auto &e : perKind) {
      rows.push_back({e.getKey(), e.getValue()});
      total += e.getValue().first;
    }
    llvm::sort(rows, [](auto &a, auto &b) { return a.second.first > b.second.first; });
    outs() << formatv("{0,-24} {1,6} {2,10} {3,6}\n", "op", "count", "ms", "%");
    for (auto &[name, v] : rows)
      outs() << formatv("{0,-24} {1,6} {2,10:f3} {3,6:f1}\n", name, v.second,
                        v.first * 1e3, total > 0 ? 100 * v.first / total : 0.0);
    outs() << formatv("{0,-24} {1,6} {2,10:f3}\n", "total", "", total * 1e3);
  }
  if (printTime)
    outs() << formatv("import {0:f4} s, optimize {1:f4} s, prepare {2:f4} s, "
                      "run {3:f4} s (median of {4}, min {5:f4} s)\n",
                      importTime, optTime, prepTime, runMedian,
                      runTimes.size(), runMin);
  return 0;
}

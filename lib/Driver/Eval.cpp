//===- Eval.cpp - The dlp-eval evaluation driver --------------------------===//
//
// Load the model (.onnx imported on the fly, or an nn / qnn module) ->
// nn-optimize (unless noOptimize) -> prepare the evaluator -> run it on the
// .npy inputs: float kernels for nn ops, the bit-exact integer kernels of
// docs/numerics.md for qnn ops. Outputs and dumps of int8 tensors are
// written dequantized (float32). dlp-eval's main only parses its options
// into an EvalRequest.
//
//===----------------------------------------------------------------------===//

#include "dlp/Driver/Eval.h"
#include "dlp/Evaluator/Evaluator.h"
#include "dlp/Support/ModelBatch.h"
#include "dlp/Import/ONNX/ONNXImporter.h"
#include "dlp/InitAll.h"
#include "dlp/Quant/Calibration.h"
#include "dlp/Transforms/Passes.h"
#include "dlprt/Npy.h"
#include "dlprt/Runtime.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

using namespace mlir;
using namespace llvm;

namespace {
double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

/// One layer of the --reference comparison.
struct SqnrRow {
  std::string layer, op;
  double db;
};

/// SQNR (dB) of `x` against the reference `r`: +inf when equal, -inf when
/// the reference is all zero (and `x` is not).
double sqnrDb(const float *r, const float *x, int64_t n) {
  double sig = 0, err = 0;
  for (int64_t i = 0; i < n; ++i) {
    sig += double(r[i]) * r[i];
    err += (double(r[i]) - x[i]) * (double(r[i]) - x[i]);
  }
  return err == 0   ? INFINITY
         : sig == 0 ? -INFINITY
                    : 10 * std::log10(sig / err);
}

/// The per-layer SQNR table and the first layer below `bound`.
void printSqnrReport(ArrayRef<SqnrRow> rows, double bound) {
  outs() << formatv("{0,-48} {1,-22} {2,10}\n", "layer", "op", "SQNR dB");
  const SqnrRow *firstBelow = nullptr;
  for (const SqnrRow &row : rows) {
    outs() << formatv("{0,-48} {1,-22} {2,10:f2}\n", row.layer, row.op, row.db);
    if (!firstBelow && row.db < bound)
      firstBelow = &row;
  }
  if (firstBelow)
    outs() << formatv("first layer below {0} dB: {1} ({2:f2} dB)\n", bound,
                      firstBelow->layer, firstBelow->db);
  else
    outs() << formatv("all {0} compared layers are at or above {1} dB\n",
                      rows.size(), bound);
}

/// The run time per op kind (seconds, layer count), largest first.
void printKindProfile(const StringMap<std::pair<double, unsigned>> &perKind) {
  SmallVector<std::pair<StringRef, std::pair<double, unsigned>>> rows;
  double total = 0;
  for (auto &e : perKind) {
    rows.push_back({e.getKey(), e.getValue()});
    total += e.getValue().first;
  }
  llvm::sort(rows,
             [](auto &a, auto &b) { return a.second.first > b.second.first; });
  outs() << formatv("{0,-24} {1,6} {2,10} {3,6}\n", "op", "count", "ms", "%");
  for (auto &[name, v] : rows)
    outs() << formatv("{0,-24} {1,6} {2,10:f3} {3,6:f1}\n", name, v.second,
                      v.first * 1e3, total > 0 ? 100 * v.first / total : 0.0);
  outs() << formatv("{0,-24} {1,6} {2,10:f3}\n", "total", "", total * 1e3);
}

/// Reads one .npy per model input; false (after printing why) on failure.
bool readInputs(ArrayRef<std::string> paths,
                SmallVectorImpl<dlp::eval::Tensor> &inputs) {
  for (const std::string &path : paths) {
    auto arr = std::make_shared<dlprt::NpyArray>();
    std::string err;
    if (!dlprt::readNpy(path, *arr, err)) {
      errs() << "dlp-eval: " << err << "\n";
      return false;
    }
    inputs.push_back(
        dlp::eval::Tensor::view(arr->shape, arr->data.data(), arr));
  }
  return true;
}

/// Writes `t` (the value of `v`) dequantized to float32 as `path`.
bool writeFloatNpy(const std::string &path, Value v,
                   const dlp::eval::Tensor &t) {
  std::string err;
  std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
  dlp::eval::Tensor f = dlp::eval::asFloat(v, t);
  if (!dlprt::writeNpy(path, shape, f.data(), err)) {
    errs() << "dlp-eval: " << err << "\n";
    return false;
  }
  return true;
}

/// The model's tensors by layer name, same inputs, for --reference.
class Reference {
public:
  /// Runs `module`'s first function on `inputs`, keeping every layer's
  /// tensor; false (after printing why) on failure.
  bool run(ModuleOp module, ArrayRef<dlp::eval::Tensor> inputs,
           unsigned numThreads) {
    auto funcs = module.getOps<func::FuncOp>();
    if (funcs.empty()) {
      errs() << "dlp-eval: the reference module has no function\n";
      return false;
    }
    auto ev = dlp::eval::Evaluator::create(*funcs.begin(), numThreads);
    if (!ev)
      return false;
    SmallVector<dlp::eval::Tensor> out;
    std::string error;
    if (!ev->run(inputs, out, error,
                 [&](StringRef layer, Operation *, const dlp::eval::Tensor &t) {
                   tensors[layer] = t;
                 })) {
      errs() << "dlp-eval: reference: " << error << "\n";
      return false;
    }
    return true;
  }
  bool empty() const { return tensors.empty(); }
  /// Records the SQNR of `op`'s output `t` if the reference has the layer
  /// with the same shape.
  void compare(StringRef layer, Operation *op, const dlp::eval::Tensor &t) {
    auto it = tensors.find(layer);
    if (it == tensors.end() || it->second.shape() != t.shape())
      return;
    dlp::eval::Tensor q = dlp::eval::asFloat(op->getResult(0), t);
    rows.push_back({layer.str(), op->getName().getStringRef().str(),
                    sqnrDb(it->second.data(), q.data(), t.numElements())});
  }

  std::vector<SqnrRow> rows;

private:
  StringMap<dlp::eval::Tensor> tensors;
};
} // namespace

int dlp::driver::runEval(const EvalRequest &r) {
  if (r.listONNXOps) {
    for (const dlp::ONNXOpSupport &op : dlp::getSupportedONNXOps())
      outs() << op.opType << " " << op.minOpset << " " << op.maxOpset
             << (op.importTimeOnly ? " import-time" : "") << "\n";
    return 0;
  }
  if (r.modelPath.empty()) {
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
    return dlp::loadModelFile(path, &context, sourceMgr, "dlp-eval",
                              r.inputShapes);
  };
  auto optimize = [&](ModuleOp m) {
    if (r.noOptimize)
      return success();
    PassManager pm(&context);
    dlp::buildNNOptimizePipeline(pm);
    return pm.run(m);
  };
  auto t0 = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module = load(r.modelPath);
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
      dlp::eval::Evaluator::create(func, r.numThreads, r.int16Gemm);
  if (!ev)
    return 1;
  double prepTime = seconds(t0);
  dlp::eval::Evaluator::KernelCounts kernels = ev->kernelCounts();
  if (r.printTime && kernels.int16Gemm + kernels.direct > 0)
    outs() << formatv("qnn conv/fc layers: {0} on the int16 GEMM ({1} with "
                      "column shifts), {2} on the direct int32 kernels\n",
                      kernels.int16Gemm, kernels.columnShifts, kernels.direct);
  if (r.prepareOnly) {
    if (r.printTime)
      outs() << formatv(
          "import {0:f4} s, optimize {1:f4} s, prepare {2:f4} s\n", importTime,
          optTime, prepTime);
    return 0;
  }

  if (r.inputPaths.size() != ev->numInputs()) {
    errs() << "dlp-eval: the model has " << ev->numInputs() << " input(s) but "
           << r.inputPaths.size() << " --input given\n";
    return 1;
  }
  if (r.outputPaths.size() > ev->numOutputs()) {
    errs() << "dlp-eval: the model has " << ev->numOutputs()
           << " output(s) but " << r.outputPaths.size() << " --output given\n";
    return 1;
  }
  SmallVector<dlp::eval::Tensor> inputs;
  if (!readInputs(r.inputPaths, inputs))
    return 1;
  if (!r.dumpDir.empty())
    if (std::error_code ec = sys::fs::create_directories(r.dumpDir)) {
      errs() << "dlp-eval: cannot create '" << r.dumpDir
             << "': " << ec.message() << "\n";
      return 1;
    }

  Reference reference;
  OwningOpRef<ModuleOp> refModule;
  // A model that runs as one image (a static batch of 1, or a float model
  // with one static batch) runs several images one at a time; the
  // reference keeps one image's layers.
  if (!r.referencePath.empty() && runsAsOneImage(func)) {
    auto type = dyn_cast<RankedTensorType>(func.getArgument(0).getType());
    int64_t batch = type && type.getRank() ? type.getDimSize(0) : 1;
    if (inputs[0].rank() && inputs[0].dim(0) > batch) {
      errs() << "dlp-eval: --reference compares one image of a model with a "
                "static batch of "
             << batch << " (the input holds " << inputs[0].dim(0) << ")\n";
      return 1;
    }
  }
  if (!r.referencePath.empty()) {
    refModule = load(r.referencePath);
    if (!refModule || failed(optimize(*refModule)) ||
        !reference.run(*refModule, inputs, r.numThreads))
      return 1;
  }
  bool dumpFailed = false;
  auto dump = [&](StringRef layer, Operation *op, const dlp::eval::Tensor &t) {
    SmallString<128> path(r.dumpDir);
    sys::path::append(path, dlprt::dumpFileName(layer) + ".npy");
    if (!writeFloatNpy(std::string(path), op->getResult(0), t))
      dumpFailed = true;
  };
  std::optional<dlp::quant::Calibrator> calibrator;
  if (!r.calibrationOut.empty()) {
    if (r.percentile < 0 || r.percentile >= 100) {
      errs() << "dlp-eval: --percentile must be in [0, 100)\n";
      return 1;
    }
    calibrator.emplace(r.percentile);
    calibrator->observeInputs(func.getArguments(), inputs);
  }
  // Per-op-kind profile: the callback runs right after each layer.
  StringMap<std::pair<double, unsigned>> perKind;
  std::string layerTable;
  raw_string_ostream layerOs(layerTable);
  auto last = std::chrono::steady_clock::now();
  // Dumps and calibration need one run; profiles keep the last one.
  bool firstRun = true;
  auto hook = [&](StringRef layer, Operation *op, const dlp::eval::Tensor &t) {
    double secs = seconds(last);
    if (r.profile) {
      auto &[total, count] = perKind[op->getName().getStringRef()];
      total += secs;
      ++count;
    }
    if (r.profileLayers) {
      std::string shape;
      for (int64_t d : t.shape())
        shape += (shape.empty() ? "" : "x") + std::to_string(d);
      layerOs << formatv("{0,-40} {1,-20} {2,-18} {3,9:f3}\n", layer,
                         op->getName().getStringRef(), shape, secs * 1e3);
    }
    if (firstRun && !r.dumpDir.empty())
      dump(layer, op, t);
    if (firstRun && calibrator)
      calibrator->observe(layer, op->getName().getStringRef(), t);
    if (firstRun && !reference.empty())
      reference.compare(layer, op, t);
    last = std::chrono::steady_clock::now();
  };
  bool needHook = r.profile || r.profileLayers || !r.dumpDir.empty() ||
                  calibrator.has_value() || !reference.empty();
  SmallVector<dlp::eval::Tensor> outputs;
  std::string error;
  std::vector<double> runTimes;
  for (unsigned i = 0; i < std::max(1u, r.repeat); ++i) {
    t0 = std::chrono::steady_clock::now();
    firstRun = i == 0;
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
  for (auto [path, t, v] : llvm::zip(r.outputPaths, outputs, results))
    if (!writeFloatNpy(path, v, t))
      return 1;
  if (calibrator) {
    if (!calibrator->nonFinite().empty()) {
      errs() << "dlp-eval: calibration: tensor " << calibrator->nonFinite()
             << " holds an infinite or NaN value; the ranges of a quantized "
                "model must be finite\n";
      return 1;
    }
    for (const std::string &t : calibrator->nonFiniteActivations())
      errs() << "dlp-eval: warning: calibration: tensor " << t
             << " holds an infinite or NaN value; it stays float\n";
    if (llvm::Error err = calibrator->table().writeFile(r.calibrationOut)) {
      errs() << "dlp-eval: " << llvm::toString(std::move(err)) << "\n";
      return 1;
    }
  }
  if (!r.referencePath.empty())
    printSqnrReport(reference.rows, r.sqnrBound);
  if (r.profileLayers)
    outs() << formatv("{0,-40} {1,-20} {2,-18} {3,9}\n", "layer", "op", "shape",
                      "ms")
           << layerTable;
  if (r.profile)
    printKindProfile(perKind);
  if (r.printTime)
    outs() << formatv("import {0:f4} s, optimize {1:f4} s, prepare {2:f4} s, "
                      "run {3:f4} s (median of {4}, min {5:f4} s)\n",
                      importTime, optTime, prepTime, runMedian, runTimes.size(),
                      runMin);
  return 0;
}

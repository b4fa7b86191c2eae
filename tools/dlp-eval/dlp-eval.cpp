//===- dlp-eval.cpp - Run an nn module on .npy inputs ---------------------===//
//
//   dlp-eval MODEL (--input x.npy)... (--output y.npy)... [--num-threads N]
//            [--dump-dir DIR] [--no-optimize] [--time]
//   dlp-eval --list-onnx-ops
//
// MODEL is an .onnx file (imported on the fly) or an .mlir/.mlirbc module of
// nn ops. The graph goes through the nn-optimize pipeline first (unless
// --no-optimize), then the float evaluator runs it.
//
//===----------------------------------------------------------------------===//

#include "dlp/Evaluator/Evaluator.h"
#include "dlp/Import/ONNX/ONNXImporter.h"
#include "dlp/InitAll.h"
#include "dlp/Transforms/Passes.h"
#include "dlprt/Npy.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Timer.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace llvm;

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model>"),
                                      cl::init(""));
static cl::list<std::string> inputPaths("input", cl::desc("input .npy file"),
                                        cl::value_desc("file"));
static cl::list<std::string> outputPaths("output",
                                         cl::desc("output .npy file"),
                                         cl::value_desc("file"));
static cl::opt<unsigned> numThreads("num-threads", cl::desc("worker threads"),
                                    cl::init(2));
static cl::opt<std::string>
    dumpDir("dump-dir",
            cl::desc("write every intermediate tensor as DIR/<layer>.npy"),
            cl::init(""));
static cl::opt<bool> noOptimize("no-optimize",
                                cl::desc("skip the nn-optimize pipeline"));
static cl::opt<bool> printTime("time", cl::desc("print phase timings"));
static cl::opt<unsigned> repeat("repeat",
                                cl::desc("run N times (for timing)"),
                                cl::init(1));
static cl::opt<bool> listOps("list-onnx-ops",
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
  cl::ParseCommandLineOptions(argc, argv, "DLP float reference evaluator\n");
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

  auto t0 = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module;
  if (StringRef(modelPath).ends_with(".onnx")) {
    module = dlp::importONNXFile(modelPath, &context);
  } else {
    if (!sys::fs::exists(modelPath)) {
      errs() << "dlp-eval: cannot open '" << modelPath
             << "': No such file or directory\n";
      return 1;
    }
    module = parseSourceFile<ModuleOp>(modelPath, sourceMgr,
                                       ParserConfig(&context));
  }
  if (!module)
    return 1;
  double importTime = seconds(t0);

  t0 = std::chrono::steady_clock::now();
  if (!noOptimize) {
    PassManager pm(&context);
    dlp::buildNNOptimizePipeline(pm);
    if (failed(pm.run(*module)))
      return 1;
  }
  double optTime = seconds(t0);

  auto funcs = module->getOps<func::FuncOp>();
  if (funcs.empty()) {
    errs() << "dlp-eval: the module has no function\n";
    return 1;
  }
  func::FuncOp func = *funcs.begin();
  std::unique_ptr<dlp::eval::Evaluator> ev =
      dlp::eval::Evaluator::create(func, numThreads);
  if (!ev)
    return 1;

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
  bool dumpFailed = false;
  auto dump = [&](StringRef layer, Operation *, const dlp::eval::Tensor &t) {
    SmallString<128> path(dumpDir);
    sys::path::append(path, sanitize(layer) + ".npy");
    std::string err;
    std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    if (!dlprt::writeNpy(std::string(path), shape, t.data(), err)) {
      errs() << "dlp-eval: " << err << "\n";
      dumpFailed = true;
    }
  };
  t0 = std::chrono::steady_clock::now();
  for (unsigned r = 0; r < std::max(1u, unsigned(repeat)); ++r) {
    bool ok = dumpDir.empty() ? ev->run(inputs, outputs, error)
                              : ev->run(inputs, outputs, error, dump);
    if (!ok) {
      errs() << "dlp-eval: " << error << "\n";
      return 1;
    }
  }
  double runTime = seconds(t0) / std::max(1u, unsigned(repeat));
  if (dumpFailed)
    return 1;

  for (auto [path, t] : llvm::zip(outputPaths, outputs)) {
    std::string err;
    std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    if (!dlprt::writeNpy(path, shape, t.data(), err)) {
      errs() << "dlp-eval: " << err << "\n";
      return 1;
    }
  }
  if (printTime)
    outs() << formatv("import {0:f4} s, optimize {1:f4} s, run {2:f4} s\n",
                      importTime, optTime, runTime);
  return 0;
}

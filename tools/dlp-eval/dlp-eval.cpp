//===- dlp-eval.cpp - Run an nn module on .npy inputs ---------------------===//
//
//   dlp-eval MODEL (--input x.npy)... (--output y.npy)... [--num-threads N]
//            [--dump-dir DIR] [--no-optimize] [--time] [--reference FLOAT]
//   dlp-eval --list-onnx-ops
//
// MODEL is an .onnx file (imported on the fly) or an .mlir/.mlirbc module of
// nn ops, or of qnn ops (from --dlp-quantize / dlpc --emit=qnn). The options
// become an EvalRequest; the driver (lib/Driver/Eval.cpp) does the work.
//
//===----------------------------------------------------------------------===//

#include "dlp/Driver/Eval.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

using namespace llvm;

static cl::OptionCategory evalCategory("dlp-eval options");

static cl::opt<std::string> modelPath(cl::cat(evalCategory), cl::Positional,
                                      cl::desc("<model>"), cl::init(""));
static cl::list<std::string> inputShapes(
    cl::cat(evalCategory), "input-shape",
    cl::desc("pin an .onnx model input's dimensions before shape inference, "
             "NAME=D0xD1x... (repeatable)"));
static cl::list<std::string> inputPaths(cl::cat(evalCategory), "input",
                                        cl::desc("input .npy file"),
                                        cl::value_desc("file"));
static cl::list<std::string> outputPaths(cl::cat(evalCategory), "output",
                                         cl::desc("output .npy file"),
                                         cl::value_desc("file"));
static cl::opt<unsigned> numThreads(cl::cat(evalCategory), "num-threads",
                                    cl::desc("worker threads"), cl::init(2));
static cl::opt<std::string>
    dumpDir(cl::cat(evalCategory), "dump-dir",
            cl::desc("write every intermediate tensor as DIR/<layer>.npy"),
            cl::init(""));
static cl::opt<bool> noOptimize(cl::cat(evalCategory), "no-optimize",
                                cl::desc("skip the nn-optimize pipeline"));
static cl::opt<bool> printTime(cl::cat(evalCategory), "time",
                               cl::desc("print phase timings"));
static cl::opt<unsigned>
    repeat(cl::cat(evalCategory), "repeat",
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

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(evalCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "DLP reference evaluator (float nn and bit-exact qnn modules)\n");
  dlp::driver::EvalRequest r;
  r.modelPath = modelPath;
  r.inputShapes.assign(inputShapes.begin(), inputShapes.end());
  r.inputPaths.assign(inputPaths.begin(), inputPaths.end());
  r.outputPaths.assign(outputPaths.begin(), outputPaths.end());
  r.numThreads = numThreads;
  r.dumpDir = dumpDir;
  r.noOptimize = noOptimize;
  r.printTime = printTime;
  r.repeat = repeat;
  r.profile = profile;
  r.profileLayers = profileLayers;
  r.prepareOnly = prepareOnly;
  r.calibrationOut = calibrationOut;
  r.percentile = percentile;
  r.referencePath = referencePath;
  r.sqnrBound = sqnrBound;
  r.int16Gemm = int16Gemm;
  r.listONNXOps = listOps;
  return dlp::driver::runEval(r);
}

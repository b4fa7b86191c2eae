//===- dlpc.cpp - One-command compile driver -------------------------------===//
//
//   dlpc model.onnx --calib calib.npy --target hw/configs/small.json -o m.dlpb
//        [--emit=nn|qnn|dlp|bin] [--precision cfg.json] [--weights pow2|int8]
//        [--int8-layers a,b] [--auto-int8-sqnr DB] [--percentile P]
//        [--weight-rounding nearest|gptq] [--precision auto]
//        [--calib-batch N] [--calibration table.json]
//        [--calibration-out table.json] [--golden-chain x.npy] [--time]
//
// The options become a CompileRequest; the driver (lib/Driver/Compile.cpp)
// does the work.
//
//===----------------------------------------------------------------------===//

#include "dlp/Driver/Compile.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

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
    cl::desc("run the calibration inputs in slices of N samples (a model "
             "whose inputs have a static batch B > 1: B)"),
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
                       "\"pow2\", \"layers\": {\"name\": \"int8\"}}), or "
                       "auto: the fewest MACs on int8 weights for "
                       "--auto-agreement"),
              cl::value_desc("file|auto"), cl::init(""));
static cl::opt<std::string> weightRounding(
    cl::cat(cat), "weight-rounding",
    cl::desc("pow2-4 weight rounding: nearest (the contract's rule) or gptq "
             "(error-compensating on the calibration samples, with bias "
             "correction)"),
    cl::init("nearest"));
static cl::opt<int> gptqSamples(
    cl::cat(cat), "gptq-samples",
    cl::desc("calibration samples the gptq rounding and --precision auto "
             "use (the first N)"),
    cl::init(512));
static cl::opt<double> autoAgreement(
    cl::cat(cat), "auto-agreement",
    cl::desc("--precision auto: top-1 agreement with the float model on the "
             "calibration samples to reach, percent"),
    cl::init(98.5));
static cl::opt<int> autoSamples(
    cl::cat(cat), "auto-samples",
    cl::desc("--precision auto: measure the agreement on up to N calibration "
             "samples after the first --gptq-samples (held out from the "
             "rounding; the same samples when there are no more): a few "
             "thousand make the agreement a steady measure"),
    cl::init(2048));
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
static cl::opt<double> csrDensity(
    cl::cat(cat), "csr-density",
    cl::desc("CSR sparse weights (GEMM_CSR) for layers whose weight density "
             "(non-zero / all) is below this; 0: never"),
    cl::init(0));
static cl::list<std::string> inputShapes(
    cl::cat(cat), "input-shape",
    cl::desc("pin a model input's dimensions before shape inference, "
             "NAME=D0xD1x... (repeatable; dynamic batch / height / width)"));
static cl::opt<bool> tileSearch(
    cl::cat(cat), "tile-search",
    cl::desc("choose each conv / FC layer's tiling (loop order, row-band "
             "height) with the cycle model (lowers the model a few times "
             "more)"));
static cl::list<std::string> loopOrder(
    cl::cat(cat), "loop-order", cl::CommaSeparated,
    cl::desc("force conv / FC loop orders: output or weight (-stationary) "
             "for every layer, or NAME=output|weight for one (comma-"
             "separated; --tile-search then chooses the rest)"));
static cl::opt<bool> reportTiles(
    cl::cat(cat), "report-tiles",
    cl::desc("a remark per conv / FC layer saying how it is tiled"));
static cl::opt<bool> elideDeadStores(
    cl::cat(cat), "elide-dead-stores",
    cl::desc("leave out the STOREs of feature maps that nothing reads from "
             "DDR (every reader finds them on chip) and that are not model "
             "outputs; dlp-run --dump-dir then writes only the maps still in "
             "DDR"));
static cl::opt<bool> fmapsOnChip(
    cl::cat(cat), "fmaps-on-chip",
    cl::desc("keep a one-band conv / FC layer's output in the feature "
             "buffer for the conv / FC layer after it (default on; "
             "--fmaps-on-chip=false loads every input from DDR)"),
    cl::init(true));
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

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::registerPassManagerCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv, "DLP compile driver\n");
  dlp::driver::CompileRequest r;
  r.modelPath = modelPath;
  r.outputPath = outputPath;
  r.emit = emit;
  r.targetPath = targetPath;
  r.calibPaths.assign(calibPaths.begin(), calibPaths.end());
  r.calibBatch = calibBatch;
  r.percentile = percentile;
  r.calibrationIn = calibrationIn;
  r.calibrationOut = calibrationOut;
  r.precision = precision;
  r.weights = weights;
  r.weightScale = weightScale;
  r.int8Layers.assign(int8Layers.begin(), int8Layers.end());
  r.autoInt8 = autoInt8;
  r.maxFracSpread = maxFracSpread;
  r.weightRounding = weightRounding;
  r.gptqSamples = gptqSamples;
  r.autoAgreement = autoAgreement;
  r.autoSamples = autoSamples;
  r.csrDensity = csrDensity;
  r.tileSearch = tileSearch;
  r.loopOrder = loopOrder;
  r.reportTiles = reportTiles;
  r.fmapsOnChip = fmapsOnChip;
  r.elideDeadStores = elideDeadStores;
  r.inputShapes.assign(inputShapes.begin(), inputShapes.end());
  r.numThreads = numThreads;
  r.goldenInputs.assign(goldenInputs.begin(), goldenInputs.end());
  r.printTime = printTime;
  return dlp::driver::runCompile(r);
}

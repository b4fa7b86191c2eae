//===- dlp-run.cpp - Run a .dlpb on the functional simulator --------------===//
//
//   dlp-run model.dlpb --input x.npy [--input y.npy ...] [--output y.npy ...]
//           [--target cfg.json] [--num-threads N] [--dump-dir DIR] [--time]
//           [--repeat N] [--profile] [--profile-json p.json]
//           [--trace trace.json]
//   dlp-run model.dlpb --timing-only --profile [...]
//   dlp-run model.dlpb --backend=rtl --input x.npy [--rtl-compare]
//           [--wave w.vcd --wave-from C --wave-to C]
//
// The images are the inputs' first dimension over the binary's (1, or a
// whole static batch for a float model: runtime imagesIn). --profile / --profile-json / --trace time the program with the
// cycle model (docs/cycle-model.md; data-independent, one image);
// --timing-only does that alone, without the functional simulator. Links
// the runtime only (no MLIR). --backend=rtl runs the images on the
// Verilated RTL core (hw/backend; built when Verilator is present) and
// reports its cycles; --rtl-compare prints them per layer beside the cycle
// model's.
//
//===----------------------------------------------------------------------===//

#include "dlprt/CycleModel.h"
#include "dlprt/Npy.h"
#include "dlprt/Profile.h"
#include "dlprt/Runtime.h"
#ifdef DLP_HAVE_RTL
#include "RtlBackend.h"
#endif

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>

using namespace llvm;
using namespace dlprt;

static cl::OptionCategory runCat("dlp-run options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.dlpb>"),
                                      cl::cat(runCat));
static cl::list<std::string> inputPaths("input",
                                        cl::desc("input .npy, one per "
                                                 "model input, in order"),
                                        cl::cat(runCat));
static cl::list<std::string>
    outputPaths("output", cl::desc("output .npy, one per model output"),
                cl::cat(runCat));
static cl::opt<std::string>
    targetPath("target", cl::desc("target config the binary must match"),
               cl::cat(runCat));
static cl::opt<unsigned> numThreads("num-threads", cl::init(0),
                                    cl::desc("threads (0: all cores)"),
                                    cl::cat(runCat));
static cl::opt<std::string>
    dumpDir("dump-dir", cl::desc("write every tensor of the last image"),
            cl::cat(runCat));
static cl::opt<bool> timeIt("time", cl::desc("print load and run times"),
                            cl::cat(runCat));
static cl::opt<unsigned>
    repeat("repeat", cl::init(1),
           cl::desc("run the batch N times in this process (outputs of the "
                    "last run); --time then prints the first run, the "
                    "median and the fastest of the N"),
           cl::cat(runCat));
static cl::opt<bool>
    profile("profile",
            cl::desc("print the cycle model's per-layer roofline profile"),
            cl::cat(runCat));
static cl::opt<std::string>
    profileJson("profile-json",
                cl::desc("write the profile as JSON (scripts/roofline.py)"),
                cl::value_desc("path"), cl::cat(runCat));
static cl::opt<std::string>
    tracePath("trace",
              cl::desc("write the cycle model's timeline as a Chrome trace "
                       "(with --backend=rtl: the RTL's, of the last image)"),
              cl::value_desc("path"), cl::cat(runCat));
static cl::opt<bool> timingOnly(
    "timing-only",
    cl::desc("run the cycle model only (no inputs, no functional "
             "simulation); needs --profile, --profile-json or --trace"),
    cl::cat(runCat));

enum class BackendKind { Sim, Rtl };
static cl::opt<BackendKind> backendKind(
    "backend", cl::init(BackendKind::Sim),
    cl::desc("what runs the images"),
    cl::values(clEnumValN(BackendKind::Sim, "sim",
                          "the bit-exact functional simulator (default)"),
               clEnumValN(BackendKind::Rtl, "rtl",
                          "the processor's RTL, Verilated (hw/rtl)")),
    cl::cat(runCat));
static cl::opt<bool> rtlCompare(
    "rtl-compare",
    cl::desc("with --backend=rtl: per layer, the RTL's cycles beside the "
             "cycle model's"),
    cl::cat(runCat));
static cl::opt<std::string>
    wavePath("wave", cl::desc("with --backend=rtl: write a VCD waveform"),
             cl::value_desc("file.vcd"), cl::cat(runCat));
static cl::opt<uint64_t> waveFrom("wave-from", cl::init(0),
                                  cl::desc("first cycle of the waveform"),
                                  cl::cat(runCat));
static cl::opt<uint64_t>
    waveTo("wave-to", cl::init(0),
           cl::desc("one past the waveform's last cycle (0: to the end)"),
           cl::cat(runCat));

namespace {

int fail(const Twine &msg) {
  WithColor::error(errs(), "dlp-run") << msg << "\n";
  return 1;
}

std::string shapeText(ArrayRef<int64_t> shape) {
  std::string s;
  for (int64_t d : shape)
    s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t)
      .count();
}

/// Writes `path` with `write`; an error names the option and the path.
Error writeFile(StringRef option, StringRef path,
                function_ref<void(raw_ostream &)> write) {
  std::error_code ec;
  raw_fd_ostream out(path, ec, sys::fs::OF_Text);
  if (!ec) {
    write(out);
    out.flush();
    ec = out.error();
    out.clear_error();
  }
  if (ec)
    return createStringError(ec, "--%s: cannot write '%s': %s",
                             option.str().c_str(), path.str().c_str(),
                             ec.message().c_str());
  return Error::success();
}

/// The cycle model of `p` and what the timing options ask for; the profile
/// in `prof` for printing after the run.
Error timeProgram(const Program &p, Profile &prof, double &modelMs) {
  auto t = std::chrono::steady_clock::now();
  Expected<Timeline> tl = cycleModel(p);
  if (!tl)
    return tl.takeError();
  prof = buildProfile(p, *tl);
  modelMs = msSince(t);
  if (!tracePath.empty())
    if (Error e = writeFile("trace", tracePath, [&](raw_ostream &os) {
          writeChromeTrace(os, p, *tl, prof);
        }))
      return e;
  if (!profileJson.empty())
    if (Error e = writeFile("profile-json", profileJson, [&](raw_ostream &os) {
          os << formatv("{0:2}", profileToJSON(prof)) << "\n";
        }))
      return e;
  return Error::success();
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(runCat);
  cl::ParseCommandLineOptions(argc, argv, "DLP functional-simulator runner\n");
  if (repeat < 1)
    return fail("--repeat must be at least 1");
  bool timing = profile || !profileJson.empty() || !tracePath.empty();
  if (timingOnly && !timing)
    return fail("--timing-only needs --profile, --profile-json or --trace");
  if (timingOnly && (!inputPaths.empty() || !outputPaths.empty() ||
                     !dumpDir.empty() || repeat > 1))
    return fail("--timing-only runs no input: --input, --output, --dump-dir "
                "and --repeat do not apply");
  auto t0 = std::chrono::steady_clock::now();
  std::optional<TargetConfig> target;
  if (!targetPath.empty()) {
    Expected<TargetConfig> t = loadTargetConfig(targetPath);
    if (!t)
      return fail(toString(t.takeError()));
    target = std::move(*t);
  }
  Expected<std::unique_ptr<Session>> s =
      Session::load(modelPath, target ? &*target : nullptr);
  if (!s)
    return fail(toString(s.takeError()));
  Session &session = **s;
  if (backendKind != BackendKind::Rtl &&
      (rtlCompare || !wavePath.empty() || waveFrom || waveTo))
    return fail("--rtl-compare, --wave, --wave-from and --wave-to need "
                "--backend=rtl");
#ifdef DLP_HAVE_RTL
  dlp::rtl::RtlBackend *rtl = nullptr;
  if (backendKind == BackendKind::Rtl) {
    if (timingOnly)
      return fail("--timing-only runs nothing: --backend=rtl does not apply");
    Expected<std::unique_ptr<dlp::rtl::RtlBackend>> b =
        dlp::rtl::RtlBackend::create(session.program(),
                                     {wavePath, waveFrom, waveTo},
                                     numThreads ? numThreads : 1);
    if (!b)
      return fail(modelPath + ": " + toString(b.takeError()));
    rtl = b->get();
    session.setBackend(std::move(*b));
  }
#else
  if (backendKind == BackendKind::Rtl)
    return fail("--backend=rtl: this dlp-run was built without Verilator "
                "(install it: scripts/setup.sh) and has no RTL model");
#endif
  double loadMs = msSince(t0), modelMs = 0;
  Profile prof;
  timing = timing || rtlCompare;
  if (timing)
    if (Error e = timeProgram(session.program(), prof, modelMs))
      return fail(modelPath + ": " + toString(std::move(e)));
  if (timingOnly) {
    if (profile)
      printProfile(outs(), prof);
    if (timeIt)
      errs() << "load " << format("%.2f", loadMs) << " ms, cycle model "
             << format("%.2f", modelMs) << " ms\n";
    return 0;
  }
  std::vector<const TensorDesc *> ins = session.inputs(),
                                  outTensors = session.outputs();
  if (inputPaths.size() != ins.size())
    return fail(modelPath + ": the model has " + Twine(ins.size()) +
                " inputs, " + Twine(inputPaths.size()) + " --input given");
  if (!outputPaths.empty() && outputPaths.size() != outTensors.size())
    return fail(modelPath + ": the model has " + Twine(outTensors.size()) +
                " outputs, " + Twine(outputPaths.size()) + " --output given");

  std::vector<NpyArray> arrays(ins.size());
  int64_t batch = -1;
  for (size_t i = 0; i < ins.size(); ++i) {
    std::string err;
    if (!readNpy(inputPaths[i], arrays[i], err))
      return fail(err);
    const std::vector<int64_t> &shape = arrays[i].shape;
    const std::vector<int64_t> &want = ins[i]->shape;
    int64_t images = imagesIn(*ins[i], shape);
    if (!images) {
      std::string batches =
          want.empty() || want[0] == 1
              ? std::string(" with any batch >= 1)")
              : " or a multiple of its axis 0: the program is a whole batch "
                "of " + std::to_string(want[0]) + ")";
      return fail(inputPaths[i] + ": shape " + shapeText(shape) +
                  " does not match input '" + ins[i]->name + "' (" +
                  shapeText(want) + batches);
    }
    if (batch >= 0 && images != batch)
      return fail(inputPaths[i] + ": " + Twine(images) +
                  " images differ from the first input's " + Twine(batch));
    batch = images;
  }
  if (batch < 0)
    batch = 1;

  std::vector<std::vector<float>> results(outTensors.size());
  std::vector<const float *> inPtrs;
  std::vector<float *> outPtrs;
  for (NpyArray &a : arrays)
    inPtrs.push_back(a.data.data());
  for (size_t i = 0; i < outTensors.size(); ++i) {
    results[i].resize(size_t(batch) * logicalElements(*outTensors[i]));
    outPtrs.push_back(results[i].data());
  }
  std::vector<double> runMs;
  for (unsigned r = 0; r < repeat; ++r) {
    auto t1 = std::chrono::steady_clock::now();
    if (Error e = session.run(batch, inPtrs, outPtrs, numThreads))
      return fail(modelPath + ": " + toString(std::move(e)));
    runMs.push_back(msSince(t1));
  }

  for (size_t i = 0; i < outTensors.size(); ++i) {
    std::vector<int64_t> shape = outputShape(session.program(), i, batch);
    results[i].resize(size_t(llvm::product_of(shape)));
    if (!outputPaths.empty()) {
      std::string err;
      if (!writeNpy(outputPaths[i], shape, results[i].data(), err))
        return fail(err);
    } else {
      outs() << outTensors[i]->name << ": " << shapeText(shape) << " [";
      for (size_t k = 0; k < std::min<size_t>(8, results[i].size()); ++k)
        outs() << (k ? ", " : "") << results[i][k];
      outs() << (results[i].size() > 8 ? ", ...]\n" : "]\n");
    }
  }
  if (!dumpDir.empty()) {
    if (std::error_code ec = sys::fs::create_directories(dumpDir))
      return fail(dumpDir + ": " + ec.message());
    const Program &p = session.program();
    for (size_t i = 0; i < p.tensors.size(); ++i) {
      Expected<std::vector<float>> v = session.lastImageTensor(i);
      if (!v)
        return fail(toString(v.takeError()));
      SmallString<256> path(dumpDir);
      sys::path::append(path, dumpFileName(p.tensors[i].name) + ".npy");
      std::string err;
      if (!writeNpy(std::string(path), p.tensors[i].shape, v->data(), err))
        return fail(err);
    }
  }
#ifdef DLP_HAVE_RTL
  if (rtl) {
    Profile rtlProf = buildProfile(session.program(), rtl->timeline());
    outs() << formatv("RTL: {0} cycles ({1:f1} us at {2} MHz) for the last "
                      "image\n",
                      rtl->cycles(), rtlProf.latencyMicros(),
                      session.program().target.clockMHz);
    if (profile)
      printProfile(outs(), rtlProf);
    if (!tracePath.empty())
      if (Error e = writeFile("trace", tracePath, [&](raw_ostream &os) {
            writeChromeTrace(os, session.program(), rtl->timeline(), rtlProf);
          }))
        return fail(toString(std::move(e)));
    if (rtlCompare) {
      outs() << formatv("RTL: the dispatcher waited {0} cycles for room in "
                        "a full instruction queue\n",
                        rtl->queueFullCycles());
      outs() << formatv("{0,-40} {1,12} {2,12} {3,8}\n", "layer",
                        "model", "rtl", "rtl/model");
      auto row = [&](StringRef name, uint64_t m, uint64_t r) {
        outs() << formatv("{0,-40} {1,12} {2,12} {3,8}\n", name, m, r,
                          m ? formatv("{0:f3}", double(r) / double(m)).str()
                            : std::string("-"));
      };
      for (const LayerProfile &l : prof.layers) {
        uint64_t r = 0;
        for (const LayerProfile &k : rtlProf.layers)
          if (k.name == l.name)
            r = k.cycles;
        row(l.name, l.cycles, r);
      }
      for (const LayerProfile &k : rtlProf.layers) {
        bool seen = false;
        for (const LayerProfile &l : prof.layers)
          seen |= k.name == l.name;
        if (!seen)
          row(k.name, 0, k.cycles);
      }
      row("total", prof.totalCycles, rtlProf.totalCycles);
    }
  } else
#endif
  if (profile)
    printProfile(outs(), prof);
  if (timeIt) {
    double first = runMs.front();
    errs() << "load " << format("%.2f", loadMs) << " ms, run "
           << format("%.2f", first) << " ms (batch " << batch << ", "
           << format("%.3f", first / double(batch)) << " ms/image)";
    if (timing)
      errs() << ", cycle model " << format("%.2f", modelMs) << " ms";
    if (repeat > 1) {
      std::sort(runMs.begin(), runMs.end());
      errs() << "; " << repeat << " runs: median "
             << format("%.2f", runMs[runMs.size() / 2]) << " ms, min "
             << format("%.2f", runMs.front()) << " ms";
    }
    errs() << " [kernels: " << dlprt::kernelCpuFeatures() << "]\n";
  }
  return 0;
}

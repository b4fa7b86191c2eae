//===- Calibrate.cpp - Calibration over sample files ----------------------===//
//
// The calibration driver of dlpc: reads calibration samples (.npy per input,
// .npz, or a folder of batches), runs the float evaluator over them slice by
// slice and feeds every tensor to a Calibrator.
//
//===----------------------------------------------------------------------===//

#include "dlp/Driver/Calibrate.h"
#include "dlp/Support/ModelBatch.h"
#include "dlp/Evaluator/Evaluator.h"
#include "dlprt/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace llvm;

namespace {
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
bool calibrationBatches(ArrayRef<std::string> calibPaths,
                        std::vector<std::vector<std::string>> &batches) {
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
  batches.push_back(std::vector<std::string>(calibPaths.begin(), calibPaths.end()));
  return true;
}

} // namespace

namespace {
/// The `onnx.name` of each argument of `func` ("" when unnamed).
std::vector<std::string> inputNames(func::FuncOp func) {
  std::vector<std::string> names;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, "onnx.name");
    names.push_back(name ? name.str() : "");
  }
  return names;
}
} // namespace

bool dlp::driver::loadSamples(func::FuncOp func,
                              ArrayRef<std::string> calibPaths,
                              int64_t maxSamples,
                              quant::CalibrationSamples &samples) {
  std::vector<std::string> names = inputNames(func);
  std::vector<std::vector<std::string>> batches;
  if (!calibrationBatches(calibPaths, batches))
    return false;
  std::vector<std::shared_ptr<dlprt::NpyArray>> all(names.size());
  int64_t total = 0;
  for (const std::vector<std::string> &files : batches) {
    if (total >= maxSamples)
      break;
    Batch arrays;
    if (!loadBatch(files, names, arrays))
      return false;
    int64_t n = -1;
    for (auto [i, arr] : llvm::enumerate(arrays)) {
      int64_t m = arr->shape.empty() ? 0 : arr->shape[0];
      if ((n >= 0 && m != n) || arr->shape.empty()) {
        errs() << "dlpc: calibration input #" << i << " in '"
               << llvm::join(files, "', '")
               << "' is not a batch of the same sample count as the others\n";
        return false;
      }
      n = m;
    }
    int64_t take = std::min(n, maxSamples - total);
    for (auto [i, arr] : llvm::enumerate(arrays)) {
      int64_t inner = n ? arr->data.size() / n : 0;
      if (!all[i]) {
        all[i] = std::make_shared<dlprt::NpyArray>();
        all[i]->shape = arr->shape;
        all[i]->shape[0] = 0;
      } else if (!std::equal(all[i]->shape.begin() + 1, all[i]->shape.end(),
                             arr->shape.begin() + 1, arr->shape.end())) {
        errs() << "dlpc: calibration batches of input #" << i
               << " differ in shape\n";
        return false;
      }
      all[i]->data.insert(all[i]->data.end(), arr->data.begin(),
                          arr->data.begin() + take * inner);
      all[i]->shape[0] += take;
    }
    total += take;
  }
  samples = {};
  samples.count = total;
  for (auto &arr : all)
    samples.inputs.push_back(
        dlp::eval::Tensor::view(arr->shape, arr->data.data(), arr));
  return total > 0;
}

bool dlp::driver::calibrate(func::FuncOp func,
                           ArrayRef<std::string> calibPaths,
                           unsigned calibBatch, unsigned numThreads,
                           quant::Calibrator &cal) {
  auto ev = dlp::eval::Evaluator::create(func, numThreads);
  if (!ev)
    return false;
  std::vector<std::string> names = inputNames(func);
  int64_t fixedBatch = dlp::modelBatch(func);
  std::vector<std::vector<std::string>> batches;
  if (!calibrationBatches(calibPaths, batches))
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
    // A model with a static batch B > 1 takes B samples per run, whatever
    // --calib-batch says (a single-image model takes any count: the
    // evaluator runs them one at a time).
    int64_t step = std::max(1u, unsigned(calibBatch));
    if (fixedBatch > 1) {
      if (samples % fixedBatch != 0) {
        errs() << "dlpc: the model's inputs have a static batch of "
               << fixedBatch << ": the calibration samples (" << samples
               << " in '" << llvm::join(files, "', '")
               << "') must be a multiple of it\n";
        return false;
      }
      step = fixedBatch;
    }
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
  if (!cal.nonFinite().empty()) {
    errs() << "dlpc: calibration: tensor " << cal.nonFinite()
           << " holds an infinite or NaN value; the ranges of a quantized "
              "model must be finite\n";
    return false;
  }
  for (const std::string &t : cal.nonFiniteActivations())
    errs() << "dlpc: warning: calibration: tensor " << t
           << " holds an infinite or NaN value; it stays float\n";
  return true;
}

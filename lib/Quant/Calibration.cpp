//===- Calibration.cpp - Per-channel activation ranges --------------------===//

#include "dlp/Quant/Calibration.h"
#include "dlprt/Numerics.h"
#include "dlp/Evaluator/Evaluator.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace dlp;
using namespace dlp::quant;
namespace json = llvm::json;

namespace {
/// Histogram bins: |x| in [2^(b/4 + kMinLog2), 2^((b+1)/4 + kMinLog2)).
/// Fractional bits are whole octaves, so a quarter octave resolves the
/// percentile far finer than it is used.
constexpr int kBinsPerOctave = 4, kMinLog2 = -40, kMaxLog2 = 40;
constexpr int kBins = (kMaxLog2 - kMinLog2) * kBinsPerOctave;

int binOf(double a) {
  double b = std::floor((std::log2(a) - kMinLog2) * kBinsPerOctave);
  return static_cast<int>(std::clamp<double>(b, 0, kBins - 1));
}
double binTop(int b) {
  return std::exp2(double(b + 1) / kBinsPerOctave + kMinLog2);
}
} // namespace

std::string quant::tensorName(mlir::Value v) {
  if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(v)) {
    auto func = llvm::dyn_cast<mlir::FunctionOpInterface>(
        arg.getOwner()->getParentOp());
    if (func)
      if (auto name = func.getArgAttrOfType<mlir::StringAttr>(
              arg.getArgNumber(), "onnx.name"))
        return name.str();
    return "arg" + std::to_string(arg.getArgNumber());
  }
  return eval::Evaluator::layerName(v.getDefiningOp());
}

Calibrator::Calibrator(double percentile) : percentile(percentile) {}

void Calibrator::observeInputs(mlir::ValueRange args,
                               llvm::ArrayRef<eval::Tensor> inputs) {
  for (auto [arg, t] : llvm::zip(args, inputs))
    observe(tensorName(arg), "arg", t);
  addSamples(inputs.empty() || inputs[0].rank() == 0 ? 1 : inputs[0].dim(0));
}

void Calibrator::observe(llvm::StringRef name, llvm::StringRef op,
                         const eval::Tensor &t) {
  if (t.elemType() != eval::ElemType::F32)
    return; // integer tensors (a quantized module) have fixed scales
  Stats &s = stats[name.str()];
  int64_t channels = t.rank() >= 2 ? t.dim(1) : 1;
  int64_t batch = t.rank() >= 2 ? t.dim(0) : 1;
  int64_t inner = channels ? t.numElements() / std::max<int64_t>(1, batch * channels) : 0;
  if (s.maxAbs.empty()) {
    s.op = op.str();
    s.maxAbs.assign(channels, 0.0);
    if (percentile > 0) {
      s.hist.assign(channels, std::vector<uint64_t>(kBins, 0));
      s.zeros.assign(channels, 0);
    }
  }
  // Dimension 0 (the batch) adds up over the observations, so the recorded
  // shape does not depend on how the samples were batched.
  int64_t seen = !s.shape.empty() && t.rank() >= 1 ? s.shape[0] : 0;
  s.shape.assign(t.shape().begin(), t.shape().end());
  if (t.rank() >= 1)
    s.shape[0] += seen;
  if (static_cast<int64_t>(s.maxAbs.size()) != channels)
    return; // a tensor whose channel count changes is not calibratable
  const float *d = t.data();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      const float *p = d + (n * channels + c) * inner;
      double m = s.maxAbs[c];
      bool finite = true;
      for (int64_t i = 0; i < inner; ++i) {
        m = std::max(m, double(std::fabs(p[i])));
        finite &= std::isfinite(p[i]);
      }
      if (!finite) {
        s.finite = false;
        if (op == "arg" && firstNonFinite.empty())
          firstNonFinite = "'" + name.str() + "' (" + op.str() + ")";
      }
      s.maxAbs[c] = m;
      if (percentile > 0)
        for (int64_t i = 0; i < inner; ++i) {
          double a = std::fabs(p[i]);
          if (a > 0)
            ++s.hist[c][binOf(a)];
          else
            ++s.zeros[c];
        }
    }
}

CalibrationTable Calibrator::table() const {
  CalibrationTable table;
  table.percentile = percentile;
  table.samples = samples;
  for (const auto &[name, s] : stats) {
    TensorRange r{s.op, s.shape, s.maxAbs};
    r.finite = s.finite;
    if (!s.finite) {
      r.range.assign(r.range.size(), 0.0);
      table.tensors[name] = std::move(r);
      continue;
    }
    if (percentile > 0)
      for (size_t c = 0; c < r.range.size(); ++c) {
        uint64_t total = s.zeros[c];
        for (uint64_t n : s.hist[c])
          total += n;
        // Smallest bin top with at least `percentile` % of |x| below it,
        // never above the true maximum.
        double need = std::ceil(total * percentile / 100.0);
        uint64_t acc = s.zeros[c];
        if (double(acc) >= need) {
          r.range[c] = 0;
          continue;
        }
        for (int b = 0; b < kBins; ++b) {
          acc += s.hist[c][b];
          if (double(acc) >= need) {
            r.range[c] = std::min(binTop(b), s.maxAbs[c]);
            break;
          }
        }
      }
    table.tensors[name] = std::move(r);
  }
  return table;
}

std::vector<int> CalibrationTable::fracBits(llvm::StringRef name) const {
  auto it = tensors.find(name.str());
  if (it == tensors.end())
    return {};
  return dlprt::num::fmapFracBits(it->second.range);
}

std::vector<int> dlp::quant::cappedFracBits(const std::vector<double> &range,
                                       int maxSpread) {
  std::vector<int> f = dlprt::num::fmapFracBits(range);
  if (f.empty())
    return f;
  int cap = *std::min_element(f.begin(), f.end()) + maxSpread;
  for (int &v : f)
    v = std::min(v, cap);
  return f;
}

std::vector<int> CalibrationTable::fracBits(llvm::StringRef name,
                                            int maxSpread) const {
  auto it = tensors.find(name.str());
  if (it == tensors.end())
    return {};
  return cappedFracBits(it->second.range, maxSpread);
}

bool CalibrationTable::nonFinite(llvm::StringRef name) const {
  auto it = tensors.find(name.str());
  return it != tensors.end() && !it->second.finite;
}

std::vector<std::string> Calibrator::nonFiniteActivations() const {
  std::vector<std::string> names;
  for (const auto &[name, s] : stats)
    if (!s.finite && s.op != "arg")
      names.push_back("'" + name + "' (" + s.op + ")");
  return names;
}

std::string CalibrationTable::toJSON() const {
  json::Array list;
  for (const auto &[name, r] : tensors) {
    json::Array shape, range, bits;
    for (int64_t d : r.shape)
      shape.push_back(d);
    for (double v : r.range)
      range.push_back(v);
    for (int f : dlprt::num::fmapFracBits(r.range))
      bits.push_back(f);
    json::Object entry{{"name", name},
                       {"op", r.op},
                       {"shape", std::move(shape)},
                       {"range", std::move(range)},
                       {"frac_bits", std::move(bits)}};
    if (!r.finite)
      entry["finite"] = false;
    list.push_back(std::move(entry));
  }
  json::Object root{{"format", "dlp-calibration"},
                    {"version", 1},
                    {"mode", percentile > 0 ? "percentile" : "max"},
                    {"percentile", percentile},
                    {"samples", samples},
                    {"tensors", std::move(list)}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", json::Value(std::move(root))) << "\n";
  return out;
}

static llvm::Error bad(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "calibration table: " + msg);
}

llvm::Expected<CalibrationTable>
CalibrationTable::fromJSON(llvm::StringRef text) {
  llvm::Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return bad("not JSON: " + llvm::toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root || root->getString("format") != "dlp-calibration")
    return bad("expected an object with \"format\": \"dlp-calibration\"");
  if (root->getInteger("version") != 1)
    return bad("unsupported version (expected 1)");
  CalibrationTable table;
  table.percentile = root->getNumber("percentile").value_or(0);
  table.samples = root->getInteger("samples").value_or(0);
  const json::Array *list = root->getArray("tensors");
  if (!list)
    return bad("missing \"tensors\" array");
  for (auto [i, v] : llvm::enumerate(*list)) {
    const json::Object *t = v.getAsObject();
    std::optional<llvm::StringRef> name = t ? t->getString("name") : std::nullopt;
    const json::Array *range = t ? t->getArray("range") : nullptr;
    if (!name || !range)
      return bad("tensor #" + llvm::Twine(i) +
                 " needs a \"name\" and a \"range\" array");
    TensorRange r;
    r.op = t->getString("op").value_or("").str();
    r.finite = t->getBoolean("finite").value_or(true);
    if (const json::Array *shape = t->getArray("shape"))
      for (const json::Value &d : *shape)
        if (std::optional<int64_t> x = d.getAsInteger())
          r.shape.push_back(*x);
    for (auto [c, x] : llvm::enumerate(*range)) {
      std::optional<double> val = x.getAsNumber();
      if (!val || *val < 0 || !std::isfinite(*val))
        return bad("tensor '" + *name + "': range[" + llvm::Twine(c) +
                   "] must be a finite number >= 0");
      r.range.push_back(*val);
    }
    table.tensors[name->str()] = std::move(r);
  }
  return table;
}

llvm::Error CalibrationTable::writeFile(llvm::StringRef path) const {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return llvm::createStringError(ec, "cannot write '" + path + "': " +
                                           ec.message());
  os << toJSON();
  return llvm::Error::success();
}

llvm::Expected<CalibrationTable>
CalibrationTable::readFile(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buf =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return llvm::createStringError(buf.getError(),
                                   "cannot open '" + path + "': " +
                                       buf.getError().message());
  llvm::Expected<CalibrationTable> t = fromJSON((*buf)->getBuffer());
  if (!t)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": " + llvm::toString(t.takeError()));
  return t;
}

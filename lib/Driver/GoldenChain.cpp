//===- GoldenChain.cpp - Float vs quantized vs DLP, layer by layer --------===//

#include "dlp/Driver/GoldenChain.h"
#include "dlp/Evaluator/Evaluator.h"
#include "dlprt/Runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace llvm;
using dlp::eval::Tensor;

/// Float dumps of every layer of one evaluator run, in execution order.
struct dlp::driver::GoldenChain::Dumps {
  std::vector<std::string> order;
  StringMap<std::vector<float>> values;
  StringMap<std::vector<int64_t>> shapes;
};
using Dumps = dlp::driver::GoldenChain::Dumps;

namespace {

bool runEvaluator(ModuleOp module, ArrayRef<dlprt::NpyArray> inputs,
                  unsigned numThreads, Dumps &d, raw_ostream &os,
                  StringRef what) {
  auto funcs = module.getOps<func::FuncOp>();
  if (funcs.empty()) {
    os << "golden chain: the " << what << " module has no function\n";
    return false;
  }
  auto ev = dlp::eval::Evaluator::create(*funcs.begin(), numThreads);
  if (!ev)
    return false;
  SmallVector<Tensor> in, out;
  for (const dlprt::NpyArray &a : inputs)
    in.push_back(Tensor::view(a.shape, a.data.data(), nullptr));
  std::string error;
  bool ok = ev->run(in, out, error, [&](StringRef layer, Operation *op,
                                        const Tensor &t) {
    Tensor f = dlp::eval::asFloat(op->getResult(0), t);
    if (!d.values.count(layer))
      d.order.push_back(layer.str());
    d.values[layer].assign(f.as<float>(), f.as<float>() + f.numElements());
    d.shapes[layer].assign(t.shape().begin(), t.shape().end());
  });
  if (!ok)
    os << "golden chain: " << what << " evaluator: " << error << "\n";
  return ok;
}

double sqnrDb(ArrayRef<float> ref, ArrayRef<float> x) {
  double sig = 0, err = 0;
  for (size_t i = 0; i < ref.size() && i < x.size(); ++i) {
    sig += double(ref[i]) * ref[i];
    err += (double(ref[i]) - x[i]) * (double(ref[i]) - x[i]);
  }
  return err == 0 ? INFINITY : sig == 0 ? -INFINITY : 10 * std::log10(sig / err);
}
} // namespace

dlp::driver::GoldenChain::GoldenChain(std::vector<dlprt::NpyArray> inputs,
                                      unsigned numThreads)
    : inputs(std::move(inputs)), numThreads(numThreads) {}
dlp::driver::GoldenChain::~GoldenChain() = default;

bool dlp::driver::GoldenChain::runFloat(ModuleOp floatModule,
                                        raw_ostream &os) {
  floatDumps = std::make_unique<Dumps>();
  return runEvaluator(floatModule, inputs, numThreads, *floatDumps, os,
                      "float");
}

bool dlp::driver::GoldenChain::compare(ModuleOp qnnModule,
                                       const dlprt::Program &program,
                                       raw_ostream &os) {
  Dumps q;
  if (!floatDumps ||
      !runEvaluator(qnnModule, inputs, numThreads, q, os, "quantized"))
    return false;
  Dumps &fl = *floatDumps;

  // The simulator, on the same batch.
  std::vector<uint8_t> bytes = dlprt::writeBinary(program);
  auto session = dlprt::Session::loadBytes(bytes);
  if (!session) {
    os << "golden chain: " << toString(session.takeError()) << "\n";
    return false;
  }
  if (inputs.size() != (*session)->inputs().size()) {
    os << "golden chain: the program has " << (*session)->inputs().size()
       << " inputs, " << inputs.size() << " given\n";
    return false;
  }
  int64_t batch = inputs.empty() ? 1 : -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    int64_t n = dlprt::imagesIn(*(*session)->inputs()[i], inputs[i].shape);
    if (n < 1 || (batch >= 0 && n != batch)) {
      os << "golden chain: input #" << i
         << "'s shape does not match the program's\n";
      return false;
    }
    batch = n;
  }
  std::vector<const float *> in;
  for (const dlprt::NpyArray &a : inputs)
    in.push_back(a.data.data());
  std::vector<std::vector<float>> outStore;
  std::vector<float *> out;
  for (const dlprt::TensorDesc *t : (*session)->outputs()) {
    outStore.emplace_back(batch * dlprt::logicalElements(*t));
    out.push_back(outStore.back().data());
  }
  if (Error err = (*session)->run(batch, in, out, numThreads)) {
    os << "golden chain: simulator: " << toString(std::move(err)) << "\n";
    return false;
  }

  os << formatv("{0,-44} {1,10} {2,10}  {3}\n", "layer", "SQNR dB",
                "DLP = qnn", "instructions");
  // "on chip": a layer whose output never reaches DDR — fused into the next
  // one, or its STOREs left out (elide-dead-stores) — the model's outputs
  // and the layers still in DDR cover it.
  bool diverged = false;
  unsigned compared = 0, onChip = 0;
  for (const std::string &layer : q.order) {
    const std::vector<float> &qv = q.values[layer];
    std::string sq = "-";
    if (fl.values.count(layer) && fl.values[layer].size() == qv.size())
      sq = formatv("{0:f1}", sqnrDb(fl.values[layer], qv)).str();
    // The program's tensor of this layer and its instructions.
    const auto &tensors = session->get()->program().tensors;
    // The last tensor of that name (a layer's quantize after its float
    // result has the same name), as the evaluator's last dump of it. A
    // layer the lowering unrolled per image of a whole-batch program
    // (conv::unrollBatch) has one such tensor per image, "NAME (image i)":
    // their images in order.
    auto lastNamed = [&](StringRef name) {
      auto rit = std::find_if(
          tensors.rbegin(), tensors.rend(),
          [&](const dlprt::TensorDesc &t) { return t.name == name; });
      return rit == tensors.rend() ? tensors.end() : std::prev(rit.base());
    };
    auto imageName = [&](size_t i) {
      return layer + " (image " + std::to_string(i) + ")";
    };
    std::vector<std::vector<dlprt::TensorDesc>::const_iterator> parts;
    for (auto it = lastNamed(imageName(0)); it != tensors.end();
         it = lastNamed(imageName(parts.size())))
      parts.push_back(it);
    if (auto it = lastNamed(layer); parts.empty() && it != tensors.end())
      parts.push_back(it);
    std::string same = "-", range;
    for (const dlprt::DebugEntry &e : program.debug)
      if (e.node == layer || StringRef(e.node).starts_with(layer + " (image "))
        range += (range.empty() ? "" : ", ") + std::to_string(e.begin) + "-" +
                 std::to_string(e.end - 1);
    if (parts.empty() && !range.empty()) {
      same = "on chip"; // fused or its STOREs left out: never in DDR
      ++onChip;
    }
    if (!parts.empty()) {
      ++compared;
      std::vector<float> sim;
      for (auto it : parts) {
        auto part = (*session)->lastImageTensor(it - tensors.begin());
        if (!part) {
          os << "golden chain: " << toString(part.takeError()) << "\n";
          return false;
        }
        sim.insert(sim.end(), part->begin(), part->end());
      }
      size_t n = sim.size();
      ArrayRef<float> last = ArrayRef<float>(qv).take_back(n);
      size_t bad = 0, first = n;
      for (size_t i = 0; i < n && i < last.size(); ++i)
        if (sim[i] != last[i] && bad++ == 0)
          first = i;
      same = bad == 0 && last.size() == n ? "yes" : "NO";
      if (bad && !diverged) {
        diverged = true;
        os << formatv("{0,-44} {1,10} {2,10}  {3}\n", layer, sq, same, range);
        os << "first divergence: layer '" << layer << "' (instructions "
           << (range.empty() ? "?" : range) << "): " << bad << " of " << n
           << " elements differ, first at element " << first
           << " of the last image (simulator " << sim[first]
           << ", quantized evaluator " << last[first] << ")\n";
        continue;
      }
    }
    os << formatv("{0,-44} {1,10} {2,10}  {3}\n", layer, sq, same, range);
  }
  if (!diverged && onChip == 0)
    os << "no divergence: the simulator equals the quantized evaluator on "
          "every layer\n";
  else if (!diverged)
    os << "no divergence: the simulator equals the quantized evaluator on "
          "every layer in DDR ("
       << compared << "; " << onChip
       << " never reach DDR: fused, or their STOREs left out)\n";
  return !diverged;
}

//===- AutoPrecision.cpp - Mixed precision by top-1 agreement -------------===//

#include "dlp/Quant/AutoPrecision.h"
#include "NN/NNOps.h"
#include "dlp/Evaluator/Evaluator.h"
#include "dlp/Support/Constants.h"

#include <algorithm>
#include <numeric>

using namespace dlp::quant;

double dlp::quant::top1Agreement(const float *a, const float *b, int64_t n,
                                 int64_t classes) {
  if (n == 0 || classes == 0)
    return 100.0;
  int64_t same = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float *ra = a + i * classes, *rb = b + i * classes;
    same += std::max_element(ra, ra + classes) - ra ==
            std::max_element(rb, rb + classes) - rb;
  }
  return 100.0 * double(same) / double(n);
}

double dlp::quant::outputError(const float *a, const float *b, int64_t n) {
  double e = 0, s = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = double(a[i]) - b[i];
    e += d * d;
    s += double(b[i]) * b[i];
  }
  return s > 0 ? e / s : e;
}

AutoPrecisionResult dlp::quant::searchPrecision(
    const std::vector<LayerMacs> &layers, double target,
    llvm::function_ref<PrecisionMeasure(const std::set<std::string> &)>
        measureSet) {
  AutoPrecisionResult r;
  for (const LayerMacs &l : layers)
    r.totalMacs += l.macs;
  auto measure = [&](const std::set<std::string> &s) {
    ++r.runs;
    return measureSet(s);
  };
  PrecisionMeasure cur = measure(r.int8);
  // Output error removed per MAC by each layer alone (a layer without MACs
  // counts as one): continuous, so it ranks layers that a few hundred
  // samples' top-1 cannot tell apart.
  std::vector<double> score(layers.size());
  if (cur.agreement < target)
    for (size_t i = 0; i < layers.size(); ++i)
      score[i] = (cur.error - measure({layers[i].name}).error) /
                 double(std::max<int64_t>(1, layers[i].macs));
  std::vector<size_t> order(layers.size());
  std::iota(order.begin(), order.end(), 0);
  // Best score first; ties: fewer MACs, then graph order.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (score[a] != score[b])
      return score[a] > score[b];
    return layers[a].macs < layers[b].macs;
  });
  // Add layers in that order while each lowers the output error, until the
  // agreement reaches the target.
  for (size_t i : order) {
    if (cur.agreement >= target)
      break;
    std::set<std::string> trial = r.int8;
    trial.insert(layers[i].name);
    PrecisionMeasure m = measure(trial);
    if (m.error < cur.error || m.agreement > cur.agreement) {
      r.int8 = std::move(trial);
      cur = m;
    }
  }
  // Layers a later one made unnecessary go back to pow2-4, largest first.
  if (cur.agreement >= target) {
    std::vector<size_t> chosen;
    for (size_t i : order)
      if (r.int8.count(layers[i].name))
        chosen.push_back(i);
    std::stable_sort(chosen.begin(), chosen.end(), [&](size_t a, size_t b) {
      return layers[a].macs > layers[b].macs;
    });
    for (size_t i : chosen) {
      if (r.int8.size() < 2)
        break;
      std::set<std::string> trial = r.int8;
      trial.erase(layers[i].name);
      PrecisionMeasure m = measure(trial);
      if (m.agreement >= target) {
        r.int8 = std::move(trial);
        cur = m;
      }
    }
  }
  r.agreement = cur.agreement;
  r.reached = cur.agreement >= target;
  r.pow2Macs = r.totalMacs;
  for (const LayerMacs &l : layers)
    if (r.int8.count(l.name))
      r.pow2Macs -= l.macs;
  return r;
}

std::vector<LayerMacs> dlp::quant::layerMacs(mlir::func::FuncOp func) {
  std::vector<LayerMacs> out;
  func.walk([&](mlir::Operation *op) {
    if (!mlir::isa<nn::ConvOp, nn::FullyConnectedOp>(op) ||
        !readFloatConstant(op->getOperand(1)))
      return;
    auto w = mlir::cast<mlir::RankedTensorType>(op->getOperand(1).getType());
    auto y = mlir::cast<mlir::RankedTensorType>(op->getResult(0).getType());
    int64_t macs = w.getNumElements();
    if (mlir::isa<nn::ConvOp>(op))
      for (int64_t d = 2; d < y.getRank(); ++d)
        macs *= y.getDimSize(d);
    out.push_back({eval::Evaluator::layerName(op), macs});
  });
  return out;
}

mlir::FailureOr<std::vector<float>>
dlp::quant::evaluateOutputs(mlir::func::FuncOp func,
                            const CalibrationSamples &samples,
                            unsigned numThreads, int64_t &classes) {
  auto ev = eval::Evaluator::create(func, numThreads);
  if (!ev)
    return mlir::failure();
  std::vector<float> out;
  classes = 0;
  // 256 samples at a time, or the model's static batch.
  int64_t step = 256;
  if (func.getNumArguments())
    if (auto t = mlir::dyn_cast<mlir::RankedTensorType>(
            func.getArgument(0).getType());
        t && t.getRank() && !t.isDynamicDim(0))
      step = std::max<int64_t>(1, t.getDimSize(0));
  for (int64_t b = 0; b < samples.count; b += step) {
    CalibrationSamples s = samples.slice(b, std::min(samples.count, b + step));
    llvm::SmallVector<eval::Tensor> outputs;
    std::string error;
    if (!ev->run(s.inputs, outputs, error))
      return func.emitError()
             << "evaluating the calibration samples: " << error;
    if (outputs.empty())
      return func.emitError("the model has no output to compare");
    eval::Tensor y = eval::asFloat(
        func.getBody().front().getTerminator()->getOperand(0), outputs[0]);
    classes = s.count ? y.numElements() / s.count : 0;
    out.insert(out.end(), y.data(), y.data() + y.numElements());
  }
  return out;
}

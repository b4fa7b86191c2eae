//===- TileSearch.cpp - per-layer tiling chosen by the cycle model --------===//
//
// --tile-search: trial lowerings, each with every GEMM layer tiled alike,
// timed by the cycle model; per layer the trial tiling under which it
// spent the fewest cycles; the combined program kept when the whole is
// faster than the plain lowering.
//
//===----------------------------------------------------------------------===//

#include "TileSearch.h"
#include "DLP/DLPProgram.h"
#include "dlprt/CycleModel.h"
#include "dlprt/Profile.h"

#include "mlir/IR/Diagnostics.h"

#include <map>
#include <optional>

using namespace mlir;
using namespace dlp;
using namespace dlp::conv;

namespace {
constexpr LoopOrder kOS = LoopOrder::OutputStationary;
constexpr LoopOrder kWS = LoopOrder::WeightStationary;

/// The trial tilings (every layer alike), the plain one first: bands
/// capped at 1, 1/2, 1/4, 1/8 of the largest that fits, in either loop
/// order.
constexpr TileChoice kTrials[] = {
    {1, kOS}, {2, kOS}, {4, kOS}, {8, kOS},
    {1, kWS}, {2, kWS}, {4, kWS}, {8, kWS},
};

/// Cycles per debug-map name (into perName) and in total of a program;
/// none when the cycle model refuses it. The lowering's const region is
/// lent to the model (GEMM_CSR timing reads the streams) and given back.
std::optional<uint64_t> timeProgram(device::ProgramOp prog, Lowering &lw,
                                    std::map<std::string, uint64_t> *perName) {
  dlprt::Program p;
  p.target = lw.t;
  p.constData = std::move(lw.constData);
  for (Operation &op : prog.getBody().front()) {
    if (!device::opcodeOf(&op))
      continue;
    uint32_t index = uint32_t(p.code.size());
    p.code.push_back(device::encodeInstruction(&op));
    std::string name = device::locationName(op.getLoc());
    if (name.empty())
      continue;
    if (!p.debug.empty() && p.debug.back().end == index &&
        p.debug.back().node == name)
      p.debug.back().end = index + 1;
    else
      p.debug.push_back({index, index + 1, name});
  }
  llvm::Expected<dlprt::Timeline> tl = dlprt::cycleModel(p);
  std::optional<uint64_t> total;
  if (tl) {
    total = tl->totalCycles;
    if (perName)
      for (const dlprt::LayerProfile &l : dlprt::buildProfile(p, *tl).layers)
        (*perName)[l.name] += l.cycles;
  } else {
    llvm::consumeError(tl.takeError());
  }
  lw.constData = std::move(p.constData);
  return total;
}

/// A lowering and its program, erased unless released.
struct Trial {
  std::unique_ptr<Lowering> low;
  device::ProgramOp prog;
  Trial() = default;
  Trial(Trial &&o) : low(std::move(o.low)), prog(o.prog) { o.prog = nullptr; }
  ~Trial() {
    if (prog)
      prog.erase();
  }
  device::ProgramOp release(std::unique_ptr<Lowering> &to) {
    to = std::move(low);
    return std::exchange(prog, nullptr);
  }
};
} // namespace

device::ProgramOp dlp::conv::searchTiles(LowerFn lowerOnce, MLIRContext *ctx,
                                         std::unique_ptr<Lowering> &low,
                                         uint64_t &gain,
                                         std::optional<uint64_t> &kept) {
  gain = 0;
  kept.reset();
  // The plain lowering: its failure is the compile's (diagnostics stand).
  Trial plain;
  plain.prog = lowerOnce(nullptr, plain.low);
  if (!plain.prog)
    return nullptr;
  std::map<std::string, uint64_t> plainCycles;
  std::optional<uint64_t> plainTotal =
      timeProgram(plain.prog, *plain.low, &plainCycles);
  kept = plainTotal;
  const std::vector<GemmLayerInfo> &layers = plain.low->gemmLayers;
  if (!plainTotal || layers.empty())
    return plain.release(low);
  // Weight-stationary trials when some layer can take the order.
  bool anyWs =
      llvm::any_of(layers, [](const GemmLayerInfo &l) { return l.wsApplies; });
  // Per trial: cycles per name and the tiling each layer took.
  std::vector<std::map<std::string, uint64_t>> cycles = {plainCycles};
  std::vector<std::vector<TileChoice>> used(1);
  for (const GemmLayerInfo &l : layers)
    used[0].push_back(l.used);
  {
    // A trial that fails (a tiling a layer cannot take) is dropped
    // silently: only the plain lowering's errors are the compile's.
    ScopedDiagnosticHandler silence(ctx,
                                    [](Diagnostic &) { return success(); });
    for (const TileChoice &tc : llvm::drop_begin(kTrials)) {
      if (tc.order == kWS && !anyWs)
        continue;
      Trial trial;
      trial.prog = lowerOnce([tc](unsigned) { return tc; }, trial.low);
      if (!trial.prog || trial.low->gemmLayers.size() != layers.size())
        continue;
      std::map<std::string, uint64_t> perName;
      if (!timeProgram(trial.prog, *trial.low, &perName))
        continue;
      cycles.push_back(std::move(perName));
      used.emplace_back();
      for (const GemmLayerInfo &l : trial.low->gemmLayers)
        used.back().push_back(l.used);
    }
  }
  // Per layer, the tiling of the trial that spent the fewest cycles on it
  // (the earlier trial at a tie).
  std::vector<TileChoice> choice(layers.size());
  bool asPlain = true;
  for (size_t i = 0; i < layers.size(); ++i) {
    uint64_t best = UINT64_MAX;
    for (size_t t = 0; t < cycles.size(); ++t) {
      uint64_t c = 0;
      for (const std::string &n : layers[i].names)
        c += cycles[t].count(n) ? cycles[t].at(n) : 0;
      if (c < best)
        best = c, choice[i] = used[t][i];
    }
    asPlain &= choice[i] == used[0][i];
  }
  if (asPlain)
    return plain.release(low);
  Trial combined;
  {
    ScopedDiagnosticHandler silence(ctx,
                                    [](Diagnostic &) { return success(); });
    combined.prog = lowerOnce(
        [choice](unsigned i) {
          return i < choice.size() ? choice[i] : TileChoice();
        },
        combined.low);
  }
  if (combined.prog) {
    std::optional<uint64_t> total =
        timeProgram(combined.prog, *combined.low, nullptr);
    if (total && *total < *plainTotal) {
      gain = *plainTotal - *total;
      kept = total;
      return combined.release(low);
    }
  }
  return plain.release(low);
}

//===- TileSearch.cpp - per-layer tiling chosen by the cycle model --------===//
//
// --tile-search: trial lowerings, each with every GEMM layer tiled alike
// (band caps x loop orders, each also with merged stores after the last
// tile), timed by the cycle model; per layer the trial tiling under which
// it spent the fewest cycles, among the trials without stores at the end
// and among all: both combinations timed whole, the faster kept; then,
// with those tilings, per layer whose fused add can run in the GEMM
// epilogue, whichever of that and ADDs after the GEMMs spent fewer cycles;
// then the max pools with overlapping windows the other way (fused or on
// their own: the trials keep the plain lowering's way); the result kept
// when the whole is faster than the plain lowering.
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
  Trial &operator=(Trial &&o) {
    if (this != &o) {
      if (prog)
        prog.erase();
      low = std::move(o.low);
      prog = std::exchange(o.prog, nullptr);
    }
    return *this;
  }
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
  if (!plainTotal || plain.low->gemmLayers.empty())
    return plain.release(low);
  // A copy: the plain lowering may be dropped for a better program.
  const std::vector<GemmLayerInfo> layers = plain.low->gemmLayers;
  // Weight-stationary trials when some layer can take the order; each
  // trial also with the merged stores after the layers' last tiles when
  // some layer merges (docs/lowering.md: that frees the DDR channel during
  // the layer, which a band height may need, but delays a later overwrite
  // of the map and the next layer's loads behind one long STORE).
  bool anyWs =
      llvm::any_of(layers, [](const GemmLayerInfo &l) { return l.wsApplies; });
  bool anyMerged = llvm::any_of(
      layers, [](const GemmLayerInfo &l) { return l.storeAtEndApplies; });
  std::vector<TileChoice> trials(std::begin(kTrials) + 1, std::end(kTrials));
  if (anyMerged)
    for (TileChoice tc : kTrials) {
      tc.storeAtEnd = true;
      trials.push_back(tc);
    }
  // Per trial: cycles per name and the tiling each layer took.
  std::vector<std::map<std::string, uint64_t>> cycles = {plainCycles};
  std::vector<std::vector<TileChoice>> used(1);
  std::vector<bool> atEndTrial(1, false);
  for (const GemmLayerInfo &l : layers)
    used[0].push_back(l.used);
  {
    // A trial that fails (a tiling a layer cannot take) is dropped
    // silently: only the plain lowering's errors are the compile's.
    ScopedDiagnosticHandler silence(ctx,
                                    [](Diagnostic &) { return success(); });
    // Max pools with overlapping windows stay fused or on their own as in
    // the plain lowering (emitGemmLayer: fused where the GEMMs pool them);
    // the last step tries the other way with the chosen tilings. (Choosing
    // the way for all trials by the plain tilings' cycles instead picked
    // the slower one for ResNet-50 on large, 2.7 k cycles over.)
    const std::vector<TileChoice> plainUsed = used[0];
    for (const TileChoice &tc : trials) {
      if (tc.order == kWS && !anyWs)
        continue;
      Trial trial;
      trial.prog = lowerOnce(
          [tc, plainUsed](unsigned i) {
            TileChoice c = tc;
            if (i < plainUsed.size())
              c.poolFused = plainUsed[i].poolFused;
            return c;
          },
          trial.low);
      if (!trial.prog || trial.low->gemmLayers.size() != layers.size())
        continue;
      std::map<std::string, uint64_t> perName;
      if (!timeProgram(trial.prog, *trial.low, &perName))
        continue;
      cycles.push_back(std::move(perName));
      atEndTrial.push_back(tc.storeAtEnd);
      used.emplace_back();
      for (const GemmLayerInfo &l : trial.low->gemmLayers)
        used.back().push_back(l.used);
    }
  }
  // Layer i's cycles in a program's per-name cycles.
  auto layerCycles = [&](const std::map<std::string, uint64_t> &m, size_t i) {
    uint64_t c = 0;
    for (const std::string &n : layers[i].names)
      c += m.count(n) ? m.at(n) : 0;
    return c;
  };
  // Per layer, the tiling of the trial that spent the fewest cycles on it
  // (the earlier trial at a tie): among the trials that store as tiles
  // fill (`choice`), and among all (`withEnds`). A layer's STOREs after
  // its last tile weigh on the next layers more than on its own cycles,
  // so each combination is timed whole and the faster kept.
  std::vector<TileChoice> choice(layers.size()), withEnds(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    uint64_t best = UINT64_MAX, bestAll = UINT64_MAX;
    for (size_t t = 0; t < cycles.size(); ++t) {
      uint64_t c = layerCycles(cycles[t], i);
      if (c < bestAll)
        bestAll = c, withEnds[i] = used[t][i];
      if (c < best && !atEndTrial[t])
        best = c, choice[i] = used[t][i];
    }
  }
  ScopedDiagnosticHandler silence(ctx, [](Diagnostic &) { return success(); });
  auto lowerWith = [&](const std::vector<TileChoice> &c, Trial &trial) {
    trial.prog = lowerOnce(
        [c](unsigned i) { return i < c.size() ? c[i] : TileChoice(); },
        trial.low);
    return trial.prog && trial.low->gemmLayers.size() == layers.size();
  };
  // Its cycles (per name into perName), none when it failed.
  auto timeWith = [&](const std::vector<TileChoice> &c, Trial &trial,
                      std::map<std::string, uint64_t> *perName) {
    return lowerWith(c, trial)
               ? timeProgram(trial.prog, *trial.low, perName)
               : std::optional<uint64_t>();
  };
  // `choice` with `flag` = valueOf(layer) in every layer where `applies`
  // says it changes something; `any`: whether that changed a layer.
  auto with = [&](const std::vector<TileChoice> &choice,
                  bool TileChoice::*flag,
                  llvm::function_ref<bool(size_t)> valueOf,
                  bool GemmLayerInfo::*applies, const Lowering &low,
                  bool &any) {
    std::vector<TileChoice> c = choice;
    any = false;
    for (size_t i = 0; i < layers.size(); ++i)
      if (low.gemmLayers[i].*applies && c[i].*flag != valueOf(i))
        c[i].*flag = valueOf(i), any = true;
    return c;
  };
  // The best program so far: the plain one, or the combined tilings.
  Trial best = std::move(plain);
  uint64_t bestTotal = *plainTotal;
  std::map<std::string, uint64_t> bestCycles = std::move(plainCycles);
  std::vector<TileChoice> bestChoice = used[0];
  for (const std::vector<TileChoice> *c : {&choice, &withEnds}) {
    if (*c == used[0] || (c == &withEnds && *c == choice))
      continue;
    Trial combined;
    std::map<std::string, uint64_t> perName;
    std::optional<uint64_t> total = timeWith(*c, combined, &perName);
    if (total && *total < bestTotal) {
      best = std::move(combined);
      bestTotal = *total;
      bestCycles = std::move(perName);
      bestChoice = *c;
    }
  }
  choice = bestChoice;
  // The fused adds: per layer, in the GEMM epilogue or by ADDs, with the
  // chosen tilings. The ADD's other-operand load runs under the GEMMs; the
  // epilogue's must arrive before the tile's last GEMM, which a layer short
  // of compute can feel (MobileNet-V2's).
  bool anyRes;
  std::vector<TileChoice> noRes =
      with(choice, &TileChoice::residual, [](size_t) { return false; },
           &GemmLayerInfo::residualApplies, *best.low, anyRes);
  Trial adds;
  std::map<std::string, uint64_t> addCycles;
  std::optional<uint64_t> addTotal;
  if (anyRes)
    addTotal = timeWith(noRes, adds, &addCycles);
  if (addTotal) {
    // Per layer whichever spent fewer cycles; kept with the all-ADDs
    // program when faster than the best so far.
    std::vector<TileChoice> mixed = choice;
    for (size_t i = 0; i < layers.size(); ++i)
      if (noRes[i].residual != choice[i].residual &&
          layerCycles(addCycles, i) < layerCycles(bestCycles, i))
        mixed[i].residual = false;
    Trial trial;
    std::optional<uint64_t> total;
    if (mixed != choice && mixed != noRes)
      total = timeWith(mixed, trial, nullptr);
    if (*addTotal < bestTotal) {
      best = std::move(adds);
      bestTotal = *addTotal;
      choice = noRes;
    }
    if (total && *total < bestTotal) {
      best = std::move(trial);
      bestTotal = *total;
      choice = mixed;
    }
  }
  // The overlapping max pools the other way (fused or on their own),
  // with the chosen tilings.
  bool anyPool;
  std::vector<TileChoice> otherPools =
      with(choice, &TileChoice::poolFused,
           [&](size_t i) { return !choice[i].poolFused; },
           &GemmLayerInfo::poolFusedApplies, *best.low, anyPool);
  Trial pools;
  std::optional<uint64_t> poolTotal;
  if (anyPool)
    poolTotal = timeWith(otherPools, pools, nullptr);
  if (poolTotal && *poolTotal < bestTotal) {
    best = std::move(pools);
    bestTotal = *poolTotal;
  }
  if (bestTotal < *plainTotal) {
    gain = *plainTotal - bestTotal;
    kept = bestTotal;
  }
  return best.release(low);
}

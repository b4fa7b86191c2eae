//===- LowerGemm.cpp - conv / fully-connected layers to GEMM tiles --------===//
//
// A layer is K x P = (taps x input channels) x output channels. Weight rows
// (docs/isa.md section 1, GemmWeights.cpp) are packed per block of Q output
// channels and per K chunk that fits a weight bank; output rows are tiled
// in bands whose input rows, output tile and accumulators fit the buffers
// (ping-pong when two fit). Each (band, output block, K chunk) is one GEMM
// instruction. The tiles run in one of two loop orders (TileChoice, chosen
// per layer by the tile search): bands outermost (output-stationary, the
// plain lowering's) or output blocks outermost (weight-stationary).
//
//===----------------------------------------------------------------------===//

#include "GemmLayer.h"
#include "dlprt/CycleModel.h"
#include "dlprt/Numerics.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace dlp;
using namespace dlp::conv;
namespace risa = dlprt::isa;
namespace num = dlprt::num;

namespace {
/// The pool or residual add fused after a layer's epilogue, as the tiler
/// sees it: a pool needs whole windows per band (a band of R = Rp * s conv
/// rows makes Rp pooled rows; its tile holds the k - s rows the windows
/// overlap too, recomputed by the next band) and a tile for its result;
/// an add a tile for the other operand and the sum.
struct Epilogue {
  qnn::MaxPoolOp pool;
  qnn::AvgPoolOp avg;
  qnn::AddOp add;
  int64_t s = 1, sw = 1, h = 0, w = 0; ///< pool strides, result rows / cols
  int64_t k = 1, kw = 1;               ///< pool kernel
  /// Pads over the conv's map: the pool's top / left, and the bottom /
  /// right its result's size needs (ceil mode or a pad past the map).
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;
  /// Rows a band's tile holds beyond R (k - s).
  int64_t extra = 0;
  risa::PoolMode mode = risa::PoolMode::Max;
  /// The GEMMs pool their tiles themselves (docs/isa.md 3.3, pool_*: a
  /// target with units.gemm_pool and a window its fields hold), so no
  /// POOL runs and the conv's tiles never reach FBUF.
  bool inGemm = false;

  /// Whether the tiles can take it: a pool whose stride the POOL
  /// instruction cannot take (or taller than the output) cannot.
  bool fits = true;

  Epilogue(const dlprt::TargetConfig &t, const GemmLayer &g) {
    pool = dyn_cast_or_null<qnn::MaxPoolOp>(g.epi);
    avg = dyn_cast_or_null<qnn::AvgPoolOp>(g.epi);
    add = dyn_cast_or_null<qnn::AddOp>(g.epi);
    if (!pool && !avg)
      return;
    ArrayRef<int64_t> st = pool ? pool.getStrides() : avg.getStrides();
    ArrayRef<int64_t> kk =
        pool ? pool.getKernelShape() : avg.getKernelShape();
    ArrayRef<int64_t> pads = pool ? pool.getPads() : avg.getPads();
    s = st[0];
    sw = st[1];
    k = kk[0];
    kw = kk[1];
    if (!pads.empty())
      pt = pads[0], pl = pads[1];
    auto res = cast<RankedTensorType>(g.epi->getResult(0).getType());
    h = res.getDimSize(2);
    w = res.getDimSize(3);
    pb = std::max<int64_t>(0, (h - 1) * s + k - g.outH - pt);
    pr = std::max<int64_t>(0, (w - 1) * sw + kw - g.outW - pl);
    extra = std::max<int64_t>(0, k - s);
    mode = pool ? risa::PoolMode::Max : risa::PoolMode::AvgExcludePad;
    // (planFusion took windows equal to their stride, or max pools with
    // a stride at most their window.)
    fits = s <= 255 && sw <= 255 && k <= 255 && kw <= 255 && pt <= 63 &&
           pl <= 63 && pb <= 63 && pr <= 63 && s <= g.outH + pt + pb &&
           (g.outH + pt + pb - k) / s + 1 == h &&
           (g.outW + pl + pr - kw) / sw + 1 == w;
    auto field = [](risa::Field f) {
      return int64_t(1) << risa::fieldInfo(f).width;
    };
    // (Bottom / right padding below the stride: one pooled pixel finishes
    // per pixel at most; every padding below the window: every window
    // holds a pixel. The unit's line buffer holds rows of poolMaxOutW
    // pooled vectors.)
    inGemm = t.gemmPool && pool && k == kw && s == sw &&
             k < field(risa::Field::Gemm_pool_k) &&
             s < field(risa::Field::Gemm_pool_s) &&
             std::max({pt, pl, pb, pr}) <
                 std::min(k, field(risa::Field::Gemm_pool_pad_t)) &&
             pb < s && pr < s &&
             uint64_t(w) <= dlprt::CycleParams::fromTarget(t).poolMaxOutW;
  }
  bool pooled() const { return pool || avg; }
  /// FBUF vectors of the epilogue's tile for a band of r output rows.
  int64_t vecs(int64_t r, int64_t outW) const {
    if (pooled())
      return (r / s) * w;
    return add ? 2 * r * outW : 0;
  }
  /// Conv rows the tile of a band of r rows holds, at most.
  int64_t tileRows(int64_t r, int64_t outH) const {
    return std::min(outH, r + extra);
  }
};

/// How a layer's tiles are laid out (planTiling): the K chunking, the band
/// height and the feature buffer's split.
struct Tiling {
  LoopOrder order = LoopOrder::OutputStationary;
  int64_t perChunk = 0;
  /// Only one K chunk of the input on chip at a time (loaded per chunk).
  bool chunkedInput = false;
  /// Weight-stationary: the whole input on chip, loaded once.
  bool residentInput = false;
  /// The whole input is the previous layer's output, left in FBUF from
  /// `inBase` (Lowering::OnChip): resident and never loaded.
  bool onChipInput = false;
  int64_t inBase = 0;
  /// The fused add's other operand is the previous layer's output, left in
  /// FBUF from `otherBase`: its tiles are read there, not loaded.
  bool onChipOther = false;
  int64_t otherBase = 0;
  /// The FBUF vectors [lo, hi) the tile slots take (and, before them, a
  /// resident input that is loaded).
  int64_t lo = 0, hi = 0;
  /// Band rows; FBUF tile slots (2: ping-pong).
  int64_t R = 0, slots = 0;
};

/// Band heights for layer g: the largest R whose tiles fit (under the
/// choice's slots and band cap), in the tiling's input mode.
class BandPlanner {
public:
  BandPlanner(const Lowering &lw, const GemmLayer &g, const Epilogue &epi,
              const TileChoice &choice)
      : g(g), epi(epi), choice(choice), abuf(lw.t.abufVectors()) {}

  /// Input rows a band of r output rows reads.
  int64_t inRows(int64_t r) const {
    return g.fc ? 1 : std::min(g.inH, (r - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  }
  /// FBUF vectors of the input the tiles of an r-row band keep per slot:
  /// every unit's rows (once per band), one K chunk's, or none (the whole
  /// input sits below the slots).
  int64_t inVecs(const Tiling &tl, int64_t r) const {
    if (tl.residentInput)
      return 0;
    return (tl.chunkedInput ? tl.perChunk : g.units) * inRows(r) * g.inW;
  }
  int64_t allInput() const { return g.units * g.inH * g.inW; }

  /// Sets tl.R and tl.slots (R = 0: nothing fits): the largest band whose
  /// tiles fit twice (ping-pong), else once, then capped at 1/bandDivisor
  /// of it. (Holding the tiles once when twice fit, for taller bands, was
  /// a trial of the tile search: it changed no model's total cycles, so
  /// it is not a choice.)
  void plan(Tiling &tl) const {
    find(tl, g.outH);
    if (int64_t d = std::max<int64_t>(1, choice.bandDivisor); tl.R && d > 1)
      find(tl, std::max(epi.s, (tl.R + d - 1) / d));
  }

private:
  const GemmLayer &g;
  const Epilogue &epi;
  const TileChoice &choice;
  const int64_t abuf;

  void find(Tiling &tl, int64_t rMax) const {
    tl.R = tl.slots = 0;
    int64_t fixed = tl.residentInput && !tl.onChipInput ? allInput() : 0;
    // (A pool's bands need no more rows than its result's.)
    int64_t top = epi.pooled() ? epi.h * epi.s : g.outH;
    for (int64_t sl = 2; sl >= 1 && !tl.R; --sl)
      for (int64_t r = std::min(top, rMax); r >= 1 && !tl.R; --r) {
        int64_t rt = epi.tileRows(r, g.outH);
        int64_t tile = epi.inGemm ? 0 : rt * g.outW;
        if (fixed + sl * (inVecs(tl, rt) + tile + epi.vecs(r, g.outW)) <=
                tl.hi - tl.lo &&
            rt * g.outW <= abuf && inRows(rt) <= 4095 && r % epi.s == 0)
          tl.R = r, tl.slots = sl;
      }
  }
};

/// One output band: its rows and the input rows it reads.
struct Band {
  int64_t oy0, rb, iy0 = 0, rowsIn = 1, padT = 0;
  /// A fused pool's: the band's first result row and result rows, and
  /// the window rows above / below its conv rows (pool padding).
  int64_t p0 = 0, prb = 0, poolT = 0, poolB = 0;
};

LogicalResult emitGemmLayer(Lowering &lw, GemmLayer &g);

/// Layer g without its fused epilogue, which is lowered on its own after
/// it after all (`catBase`: the epilogue result's place in a concat's map
/// on chip, reserved for `outV`, or -1).
LogicalResult lowerUnfused(Lowering &lw, GemmLayer &g, int64_t catBase,
                           Value outV) {
  if (catBase >= 0)
    lw.concatPlaced(outV, false);
  if (g.poolFused)
    g.poolFused = false;
  lw.fused.erase(g.epi);
  g.epi = nullptr;
  g.outT = lw.tensorOf(g.op->getResult(0));
  return emitGemmLayer(lw, g);
}

LogicalResult emitGemmLayer(Lowering &lw, GemmLayer &g) {
  const dlprt::TargetConfig &t = lw.t;
  const int64_t L = lw.L, Q = lw.Q;
  Location loc = g.op->getLoc();
  TileChoice choice = lw.tileChoice(g.index);
  int64_t taps = g.kh * g.kw;
  int64_t nQb = (g.O + Q - 1) / Q;
  int64_t bankRows = t.wbufBankRows();
  // A concat input: its output's place in the concat's map on chip
  // (reserved with the concat's first input, before the tiles are placed).
  Value outV = (g.epi ? g.epi : g.op)->getResult(0);
  int64_t catBase = lw.concatPlace(outV);
  Tiling tl;
  std::tie(tl.lo, tl.hi) = lw.freeRange();
  tl.perChunk = std::min<int64_t>(g.units, bankRows / (taps * L));
  if (tl.perChunk < 1)
    return lw.error(g.op, "a ")
           << g.kh << "x" << g.kw << " kernel does not fit a weight bank";
  // CSR chunks decode into the decoder's dense rows (csr.dense_rows);
  // window-sparse chunks' alignments fit the array's registers (chunks of
  // at most kWinMaxCb blocks, when the layer takes window rows then).
  if (g.csr && taps * L <= int64_t(t.csrDenseRows))
    tl.perChunk = std::min<int64_t>(tl.perChunk, t.csrDenseRows / (taps * L));
  std::shared_ptr<const WeightRows> capped;
  if (windowCandidate(t, g) && tl.perChunk > int64_t(risa::kWinMaxCb)) {
    capped = packWeights(lw, g, risa::kWinMaxCb);
    if (!capped)
      return failure();
    if (capped->win)
      tl.perChunk = risa::kWinMaxCb;
  }
  Epilogue epi(t, g);
  if (epi.pooled() && epi.extra > 0) {
    // A max pool with overlapping windows: fused or on its own as pass
    // option fuse-overlapping-pools forces, as the tile search asks, else
    // fused where the GEMMs pool it (elsewhere its POOLs run in sequence
    // anyway and the rows its bands compute twice cost more than the conv
    // map's trip on chip: on large, ResNet-18 533 341 -> 535 701 cycles
    // fused, GoogLeNet 590 206 -> 592 870, SqueezeNet 229 477 -> 230 615).
    g.poolFused = lw.overlappingPools ? *lw.overlappingPools
                  : lw.tileChoiceOf   ? choice.poolFused
                                      : epi.inGemm;
    lw.gemmLayers[g.index].poolFusedApplies =
        !lw.overlappingPools.has_value();
    if (!*g.poolFused)
      return lowerUnfused(lw, g, catBase, outV);
  }
  BandPlanner bands(lw, g, epi, choice);
  // The fused add's other operand.
  Value otherV;
  if (epi.add)
    otherV = epi.add.getLhs() == g.op->getResult(0) ? epi.add.getRhs()
                                                     : epi.add.getLhs();
  // The input and the fused add's other operand where a layer before left
  // them whole in FBUF (Lowering::OnChip): the tiles read them there and
  // take the largest range beside them and the held maps.
  SmallVector<Lowering::OnChip, 2> onChipMaps;
  if (epi.fits) {
    std::optional<Lowering::OnChip> in = lw.onChipInput(lw.tensors[g.inT]);
    std::optional<Lowering::OnChip> other =
        otherV ? lw.onChipInput(lw.rec(otherV)) : std::nullopt;
    if (in || other) {
      Tiling on = tl;
      if (in) {
        on.onChipInput = on.residentInput = true;
        on.inBase = in->base;
        onChipMaps.push_back(*in);
      }
      SmallVector<Lowering::OnChip, 3> avoid;
      if (other) {
        on.onChipOther = true;
        on.otherBase = other->base;
        onChipMaps.push_back(*other);
        // The block below it, where an add in the epilogue puts its first
        // sums (below), when that is free: the tiles avoid it too.
        Lowering::OnChip room;
        room.vecs = g.outH * g.outW;
        room.base = other->base - room.vecs;
        if (lw.isFree(room.base, other->base, onChipMaps))
          avoid.push_back(room);
      }
      avoid.append(onChipMaps.begin(), onChipMaps.end());
      std::tie(on.lo, on.hi) = lw.freeRange(avoid);
      bands.plan(on);
      if (on.R)
        tl = on;
      else
        onChipMaps.clear();
    }
    if (!tl.R)
      bands.plan(tl);
  }
  if (!tl.R && !lw.held.empty() && epi.fits) {
    // Not beside the held maps: give them up (their readers load them).
    g.droppedHeld += int64_t(lw.held.size());
    lw.dropHeld();
    return emitGemmLayer(lw, g);
  }
  if (!tl.R && g.epi) // the fused epilogue does not fit
    return lowerUnfused(lw, g, catBase, outV);
  if (!tl.R) {
    // Not even one output row of every input channel block fits: keep only
    // one K chunk of the input on chip (loaded per chunk, re-read per
    // output block), with chunks as large as fit.
    int64_t allIn = bands.inVecs(tl, 1);
    tl.chunkedInput = true;
    for (int64_t pc = tl.perChunk; pc >= 1 && !tl.R; pc /= 2) {
      tl.perChunk = pc;
      bands.plan(tl);
    }
    if (!tl.R)
      return lw.error(g.op, "one output row (")
             << allIn << " input + " << g.outW
             << " output vectors) does not fit the feature buffer ("
             << t.fbufVectors()
             << " vectors), not even one input channel block at a time";
  }
  // (The capped rows when the chunks stayed so: packed once without the
  // tile search's cache too.)
  std::shared_ptr<const WeightRows> wr =
      capped && capped->perChunk == tl.perChunk
          ? capped
          : packWeights(lw, g, tl.perChunk);
  if (!wr)
    return failure();
  const WeightRows &W = *wr;
  int64_t nChunks = W.nChunks;
  bool resident = W.rowCount <= int64_t(t.wbufRows());
  int64_t maxBlockRows = 0;
  for (int64_t qb = 0; qb < nQb; ++qb)
    maxBlockRows = std::max(maxBlockRows, W.blockRows(qb));
  // Weight-stationary needs each block's rows (every K chunk) on chip at
  // once; then the whole input too if it fits (loaded once, not per
  // block), else bands as the output-stationary order's.
  bool wsApplies = resident || maxBlockRows <= int64_t(t.wbufRows());
  if (choice.order == LoopOrder::WeightStationary && wsApplies) {
    tl.order = LoopOrder::WeightStationary;
    if (!tl.chunkedInput && !tl.onChipInput) {
      Tiling whole = tl;
      whole.residentInput = true;
      bands.plan(whole);
      if (whole.R)
        tl = whole;
    }
  }
  int64_t R = tl.R, slots = tl.slots, tileRows = epi.tileRows(R, g.outH);
  int64_t inSlot = bands.inVecs(tl, tileRows),
          outSlot = epi.inGemm ? 0 : tileRows * g.outW,
          epiSlot = epi.vecs(R, g.outW);
  int64_t accSlots =
      2 * tileRows * g.outW <= int64_t(t.abufVectors()) ? 2 : 1;
  // A pool's bands make R / s of its rows each.
  int64_t nBands = epi.pooled() ? (epi.h + R / epi.s - 1) / (R / epi.s)
                                : (g.outH + R - 1) / R;
  // The fused add runs in the GEMM's epilogue (docs/isa.md 3.3, residual):
  // its other operand is loaded right after the sum's place (the second
  // half of the epilogue slot). When the operand is on chip (one band, a
  // block's room below it that neither the tiles nor another map take),
  // the sums go one block below it instead: block b's over block b - 1's
  // operand, which that block's GEMM has read (a held operand is then
  // given up).
  int64_t below = tl.otherBase - g.outH * g.outW,
          sumsHi = below + nQb * g.outH * g.outW;
  bool inPlace = tl.onChipOther && nBands == 1 &&
                 (tl.otherBase <= tl.lo || below >= tl.hi) &&
                 lw.isFree(below, tl.otherBase, onChipMaps) &&
                 !(tl.onChipInput && onChipMaps.front().overlaps(below, sumsHi));
  bool residualApplies =
      epi.add && (!tl.onChipOther || inPlace) && lw.residualGemm;
  bool residual = residualApplies && choice.residual;
  TensorRec in = lw.tensors[g.inT];
  TensorRec out = lw.tensors[g.epi ? lw.tensorOf(g.epi->getResult(0)) : g.outT];
  // FBUF from tl.lo: the input (slots of band / chunk inputs, or the whole
  // input unless it is on chip already), then the output tiles' slots, then
  // the epilogue tiles' slots.
  int64_t inBase = tl.onChipInput ? tl.inBase : tl.lo;
  int64_t slotBase =
      tl.lo + (tl.residentInput && !tl.onChipInput ? bands.allInput() : 0);
  int64_t outBase = slotBase + slots * inSlot;
  int64_t epiBase = outBase + slots * outSlot;
  // Keep the whole output (the epilogue's result when fused: one band
  // makes it) on chip for the next layer when every block fits after the
  // slots (in place of the output slots when nothing is fused), block b at
  // fwdBase + b * blockVecs, a band's rows where they lie in it
  // (Lowering::OnChip). A residual GEMM's other operand follows its sum's
  // place, so block b's is loaded where block b + 1's sum goes later: one
  // block more; or the operand was on chip, and the sums replace it.
  int64_t resH = epi.pooled() ? epi.h : g.outH,
          resW = epi.pooled() ? epi.w : g.outW;
  int64_t blockVecs = resH * resW, fwdBase = -1;
  bool keepable = lw.keepOnChip && (nBands == 1 || !epi.add) &&
                  out.H == resH && out.W == resW && out.cb(L) == nQb &&
                  !out.isFloat;
  if (keepable && catBase < 0) {
    bool onOperand = residual && tl.onChipOther;
    int64_t base = onOperand ? tl.otherBase - blockVecs
                   : g.epi   ? epiBase + slots * epiSlot
                             : outBase;
    int64_t size = (nQb + residual) * blockVecs;
    if (onOperand || base + size <= tl.hi)
      fwdBase = base;
    // Pass option maps-on-top: at the top of the free range (room below it
    // for an add in a later epilogue, and the rest of the range in one
    // piece), unless that top meets a held map.
    if (!onOperand && fwdBase >= 0 && lw.mapsOnTop &&
        llvm::none_of(lw.held, [&](const Lowering::OnChip &m) {
          return m.base == tl.hi;
        }))
      fwdBase = tl.hi - size;
  }
  if (catBase >= 0) {
    if (keepable && !residual)
      fwdBase = catBase;
    lw.concatPlaced(outV, fwdBase >= 0);
  }
  if (residual && tl.onChipOther) // the sums replace what they overlap
    llvm::erase_if(lw.held, [&](const Lowering::OnChip &m) {
      return m.overlaps(below, sumsHi);
    });

  uint64_t wOff = lw.addWeightConst(W.bytes, g.op->getOperand(1));
  int64_t rowBytes = t.rowBytes(W.loadFmt);
  for (const Lowering::ChannelParams &p : g.params)
    if (p.shift < -32 || p.shift > 63)
      return lw.error(g.op, "requantization shift ")
             << p.shift << " outside the ISA's [-32, 63]";
  // The fused add's other operand and its parameters.
  TensorRec other;
  std::vector<Lowering::ChannelParams> ap;
  if (epi.add) {
    Value conv = g.op->getResult(0);
    other = lw.rec(otherV);
    auto fc = qnn::encodingOf<qnn::FmapAttr>(conv.getType());
    ap.resize(g.O);
    for (int64_t c = 0; c < g.O; ++c) {
      int32_t fa = fc.at(c), fb = other.fracAt(c), fo = out.fracAt(c);
      ap[c].aux = fa - fb;
      ap[c].shift = std::max(fa, fb) - fo;
      ap[c].actMin = std::clamp(epi.add.actMin(c), -128, 127);
      ap[c].actMax = std::clamp(epi.add.actMax(c), -128, 127);
      if (ap[c].shift < -32 || ap[c].shift > 63 || ap[c].aux < -22 ||
          ap[c].aux > 22)
        return lw.error(epi.add, "scale difference outside the ADD "
                                 "instruction's range");
    }
  }
  // Parameter entries: one per block, and one per block for the add; a
  // residual GEMM reads its add's entry right after its own.
  int64_t entries = epi.add ? 2 * nQb : nQb;
  if (entries > int64_t(t.paramEntries))
    return lw.error(g.op, "") << entries << " parameter entries ("
                              << nQb << " output blocks) exceed the "
                              << t.paramEntries << " of the target";
  int64_t pBase = lw.paramBase(entries);
  auto convEntry = [&](int64_t qb) {
    return residual ? pBase + 2 * qb : pBase + qb;
  };
  auto addEntry = [&](int64_t qb) { return pBase + nQb + qb; };
  if (residual) {
    std::vector<Lowering::ChannelParams> both(2 * nQb * Q);
    for (int64_t c = 0; c < g.O; ++c) {
      both[(2 * (c / Q)) * Q + c % Q] = g.params[c];
      both[(2 * (c / Q) + 1) * Q + c % Q] = ap[c];
    }
    lw.loadConst(loc, risa::Buf::PBuf, risa::WFmt::Pow2, pBase,
                 lw.packParams(both), entries);
  } else {
    lw.loadConst(loc, risa::Buf::PBuf, risa::WFmt::Pow2, pBase,
                 lw.packParams(g.params), nQb);
    if (epi.add)
      lw.loadConst(loc, risa::Buf::PBuf, risa::WFmt::Pow2, addEntry(0),
                   lw.packParams(ap), nQb);
  }

  bool ws = tl.order == LoopOrder::WeightStationary;
  int64_t wBase = 0;
  // Resident weights stay on chip for every band; each (block, chunk) is
  // loaded just before its first GEMM, so the first GEMMs need not wait for
  // the whole layer's weights and later loads run under earlier GEMMs.
  // A layer whose weights fit one bank takes the bank the previous such
  // layer did not, so its loads need not wait for that layer's GEMMs.
  if (resident && W.rowCount <= bankRows)
    wBase = (lw.weightBank++ % 2) * bankRows;
  // Weight-stationary blocks that do not all fit: a block's rows stay for
  // its bands, in the bank the previous block did not take when two blocks
  // fit (its loads then run under that block's GEMMs), else at row 0 (a
  // chunk's load waits for the previous block's GEMMs on those rows).
  int64_t firstBank = 0;
  bool blockBanks =
      ws && !resident && 2 * maxBlockRows <= int64_t(t.wbufRows());
  if (blockBanks) {
    firstBank = lw.weightBank;
    lw.weightBank += nQb;
  }
  auto blockBase = [&](int64_t qb) {
    return blockBanks ? ((firstBank + qb) % 2) * bankRows : 0;
  };

  // Band b: its output rows and the input rows they read. A pool's band
  // makes rows [p0, p0 + prb) of its result from the conv rows their
  // windows cover, [p0 * s - pt, (p0 + prb - 1) * s - pt + k) clipped to
  // the map (the clipped rows are the band's pool padding).
  auto bandAt = [&](int64_t b) -> FailureOr<Band> {
    Band bd{b * R, std::min(R, g.outH - b * R)};
    if (epi.pooled()) {
      int64_t rp = R / epi.s;
      bd.p0 = b * rp;
      bd.prb = std::min(rp, epi.h - bd.p0);
      int64_t a = bd.p0 * epi.s - epi.pt,
              e = (bd.p0 + bd.prb - 1) * epi.s - epi.pt + epi.k;
      bd.oy0 = std::max<int64_t>(0, a);
      bd.rb = std::min(g.outH, e) - bd.oy0;
      bd.poolT = bd.oy0 - a;
      bd.poolB = e - std::min(g.outH, e);
    }
    int64_t oy0 = bd.oy0;
    if (!g.fc) {
      int64_t start = oy0 * g.sh - g.pt;
      bd.iy0 = std::max<int64_t>(0, start);
      int64_t iy1 = std::min(g.inH, (oy0 + bd.rb - 1) * g.sh - g.pt +
                                        (g.kh - 1) * g.dh + 1);
      if (iy1 <= bd.iy0)
        return lw.error(g.op, "an output band reads no input row (padding "
                              "larger than the kernel)");
      bd.rowsIn = iy1 - bd.iy0;
      bd.padT = bd.iy0 - start;
    }
    if (bd.padT > 15 || g.pl > 15)
      return lw.error(g.op, "padding above 15");
    return bd;
  };
  int64_t outIdx = 0, accIdx = 0, wIdx = 0, inLoads = 0;
  // A band's input rows of every unit, into the next input slot.
  auto loadBand = [&](const Band &bd) {
    int64_t addr = slotBase + (inLoads++ % slots) * inSlot;
    if (g.fc)
      lw.loadFmap(loc, addr, in.offset, g.units, 1, 0, in);
    else
      lw.loadFmap(loc, addr, in.offset + uint64_t(bd.iy0) * g.inW * L,
                  bd.rowsIn * g.inW, g.units, in.H * in.W * L, in);
    return addr;
  };
  // Units [u0, u1) of the input, whole, at FBUF u0 * in_cstride.
  auto loadWhole = [&](int64_t u0, int64_t u1) {
    if (g.fc)
      lw.loadFmap(loc, inBase + u0, in.offset + uint64_t(u0) * L, u1 - u0, 1,
                  0, in);
    else
      lw.loadFmap(loc, inBase + u0 * g.inH * g.inW,
                  in.offset + uint64_t(u0) * in.H * in.W * L, g.inH * g.inW,
                  u1 - u0, in.H * in.W * L, in);
  };

  // Rows [y0, y1) of unit u into the whole input's place.
  auto loadRows = [&](int64_t u, int64_t y0, int64_t y1) {
    lw.loadFmap(loc, inBase + u * g.inH * g.inW + y0 * g.inW,
                in.offset + uint64_t(u * in.H * in.W + y0 * g.inW) * L,
                (y1 - y0) * g.inW, 1, 0, in);
  };
  int64_t rowsLoaded = 0; // of the whole input, by the first block

  // One (band, output block) tile whose input units sit at inAddr +
  // unit * cstride: the GEMM of every K chunk (each after the loads of its
  // weights, when not on chip yet, and of its chunk input), then the
  // epilogue. `firstBand`: the block's weights are used for the first
  // time; `loadInput`: the first block of a layer whose whole input is on
  // chip: its GEMMs load the input, per chunk (one band: every row) or
  // per band and unit (the rows not loaded yet), so they start before all
  // of it is in.
  // A tile's output into DDR. Where it is part of the output kept on chip
  // (block b at fwdBase + b * blockVecs, as in DDR), its STORE waits for
  // the tiles that follow it there (pass option merge-stores) until the
  // pending vectors would take the DDR latency to transfer (the STORE then
  // spends at most half its channel time on the latency) or the next tile
  // does not follow; the rest after the layer's last tile (all of it
  // there with TileChoice::storeAtEnd, which the tile search tries). One
  // STORE per small tile pays the latency each time and holds the channel
  // the layer's own loads and the next layers' need.
  struct Pending {
    Location loc;
    int64_t sram, n;
    uint64_t ddr;
  };
  std::optional<Pending> pending;
  int64_t mergeVecs = std::max<int64_t>(
      1, int64_t(t.ddrLatencyCycles * t.ddrBytesPerCycle) / L);
  // Whether a run reached mergeVecs: whether storeAtEnd changes anything
  // (the other flushes, at a tile that does not follow, are the same).
  bool reachedMerge = false;
  // Resident weights: the (block, chunk) groups whose rows are loaded. In
  // both loop orders groups are first used block by block, each block's
  // chunks in order, and their rows follow each other in WBUF and DDR in
  // that order. With merge-weight-loads one LOAD takes a group's rows and
  // the following groups' (while their rows follow on) until it moves at
  // least T * B bytes (its latency then at most half of it): a layer of
  // many small blocks (a fully-connected layer) paid the DDR latency once
  // per block.
  std::vector<bool> groupLoaded(size_t(nQb * nChunks), false);
  const double mergeWeightBytes =
      lw.mergeWeightLoads ? double(t.ddrLatencyCycles) * t.ddrBytesPerCycle
                          : 0;
  auto flushStore = [&] {
    if (pending)
      lw.storeFmap(pending->loc, pending->sram, pending->ddr, pending->n, 1,
                   0, out);
    pending.reset();
  };
  auto storeOut = [&](Location l, int64_t sram, uint64_t ddr, int64_t n) {
    if (!lw.mergeStores || fwdBase < 0 || sram < fwdBase ||
        sram + n > fwdBase + nQb * blockVecs || ddr < out.offset ||
        ddr - out.offset != uint64_t(sram - fwdBase) * L) {
      lw.storeFmap(l, sram, ddr, n, 1, 0, out);
      return;
    }
    // In the kept map, FBUF-adjacent pieces are DDR-adjacent too.
    if (pending && pending->sram + pending->n != sram)
      flushStore();
    if (!pending)
      pending = Pending{l, sram, 0, ddr};
    pending->n += n;
    if (pending->n >= mergeVecs) {
      reachedMerge = true;
      if (!choice.storeAtEnd)
        flushStore();
    }
  };
  auto emitTile = [&](const Band &bd, int64_t qb, int64_t inAddr,
                      int64_t cstride, bool firstBand, bool loadInput) {
    int64_t rb = bd.rb, oy0 = bd.oy0;
    // The tile's place in the output kept on chip, if it is.
    int64_t fwdAddr =
        fwdBase < 0     ? -1
        : epi.pooled() ? fwdBase + qb * blockVecs + bd.p0 * resW
                        : fwdBase + qb * blockVecs + oy0 * resW;
    int64_t epiAddr = epiBase + (outIdx % slots) * epiSlot;
    // A residual GEMM writes the sums (where the output stays on chip, or
    // the epilogue slot's first half), the other operand after them.
    // A pooling GEMM writes the band's pooled rows (where the result stays
    // on chip, or the epilogue slot).
    int64_t n = rb * g.outW, pn = bd.prb * epi.w;
    int64_t outAddr =
        residual && tl.onChipOther
            ? tl.otherBase + (qb * g.outH + oy0) * g.outW - n
        : fwdAddr >= 0 && (!g.epi || residual || epi.inGemm) ? fwdAddr
        : residual || epi.inGemm                             ? epiAddr
                   : outBase + (outIdx % slots) * outSlot;
    ++outIdx;
    int64_t accAddr = (accIdx++ % accSlots) * tileRows * g.outW;
    uint64_t tileOff = uint64_t((qb * g.outH + oy0) * g.outW) * L;
    for (int64_t c = 0; c < nChunks; ++c) {
      int64_t u0 = c * tl.perChunk, u1 = std::min(g.units, u0 + tl.perChunk);
      int64_t nRows = W.rows(qb, c), loadN = nRows;
      int64_t wAddr;
      bool loadW = true;
      if (resident) {
        wAddr = wBase + W.row(qb, c);
        loadW = firstBand && !groupLoaded[qb * nChunks + c];
        if (loadW) {
          groupLoaded[qb * nChunks + c] = true;
          int64_t end = W.row(qb, c) + nRows;
          for (int64_t k = qb * nChunks + c + 1;
               k < nQb * nChunks && !groupLoaded[k] &&
               double(end - W.row(qb, c)) * rowBytes < mergeWeightBytes &&
               W.row(k / nChunks, k % nChunks) == end;
               ++k) {
            groupLoaded[k] = true;
            end += W.rows(k / nChunks, k % nChunks);
          }
          loadN = end - W.row(qb, c);
        }
      } else if (ws) {
        wAddr = blockBase(qb) + W.row(qb, c) - W.row(qb, 0);
        loadW = firstBand;
      } else {
        wAddr = (wIdx++ % 2) * bankRows;
      }
      if (loadW)
        lw.loadConst(loc, risa::Buf::WBuf, W.loadFmt, wAddr,
                     wOff + uint64_t(W.row(qb, c)) * rowBytes, loadN);
      bool last = c + 1 == nChunks;
      int64_t a0 = inAddr + u0 * cstride;
      if (tl.chunkedInput) {
        // This chunk's input units only.
        a0 = slotBase + (inLoads++ % slots) * inSlot;
        if (g.fc)
          lw.loadFmap(loc, a0, in.offset + uint64_t(u0) * L, u1 - u0, 1, 0, in);
        else
          lw.loadFmap(loc, a0,
                      in.offset +
                          uint64_t(u0 * in.H * in.W + bd.iy0 * g.inW) * L,
                      bd.rowsIn * g.inW, u1 - u0, in.H * in.W * L, in);
      } else if (loadInput && nBands == 1) {
        loadWhole(u0, u1);
      } else if (loadInput && bd.iy0 + bd.rowsIn > rowsLoaded) {
        for (int64_t u = u0; u < u1; ++u)
          loadRows(u, rowsLoaded, bd.iy0 + bd.rowsIn);
      }
      // The last chunk's GEMM adds the other operand's tile, loaded after
      // the output's place unless it is on chip.
      bool res = residual && last;
      if (res && !tl.onChipOther)
        lw.loadFmap(epi.add.getLoc(), outAddr + n, other.offset + tileOff, n,
                    1, 0, other);
      // The input rows it reads: one range when the units' rows are
      // adjacent, else one per unit (the whole input on chip: loads of
      // later bands' rows in between need not wait for this GEMM).
      std::vector<Access> acc;
      int64_t unitVecs = bd.rowsIn * g.inW;
      if (cstride == unitVecs || g.fc)
        acc.push_back({Space::FBuf, a0, a0 + (u1 - u0) * cstride, false});
      else
        for (int64_t u = u0; u < u1; ++u)
          acc.push_back({Space::FBuf, a0 + (u - u0) * cstride,
                         a0 + (u - u0) * cstride + unitVecs, false});
      acc.push_back({Space::WBuf, wAddr, wAddr + nRows, false});
      acc.push_back({Space::PBuf, convEntry(qb), convEntry(qb) + 1 + res,
                     false});
      acc.push_back({Space::ABuf, accAddr, accAddr + n, true});
      if (res)
        acc.push_back({Space::FBuf, outAddr + n, outAddr + 2 * n, false});
      bool pooling = last && epi.inGemm;
      if (last)
        acc.push_back(
            {Space::FBuf, outAddr, outAddr + (pooling ? pn : n), true});
      Fields fields = {{"wfmt", int64_t(g.fmt)},
                  {"accumulate", c > 0},
                  {"epilogue", last},
                  {"residual", res},
                  {"in_addr", a0},
                  {"in_cstride", cstride},
                  {"in_h", bd.rowsIn},
                  {"in_w", g.inW},
                  {"in_cb", u1 - u0},
                  {"out_h", rb},
                  {"out_w", g.outW},
                  {"k_h", g.kh},
                  {"k_w", g.kw},
                  {"stride_h", g.sh},
                  {"stride_w", g.sw},
                  {"dil_h", g.dh},
                  {"dil_w", g.dw},
                  {"pad_t", bd.padT},
                  {"pad_l", g.pl},
                  {"w_addr", wAddr},
                  {"acc_addr", accAddr},
                  {"param_addr", convEntry(qb)},
                  {"out_addr", outAddr},
                  {"pool_k", pooling ? epi.k : 0},
                  {"pool_s", pooling ? epi.s : 0},
                  {"pool_pad_t", pooling ? bd.poolT : 0},
                  {"pool_pad_l", pooling ? epi.pl : 0},
                  {"pool_pad_b", pooling ? bd.poolB : 0},
                  {"pool_pad_r", pooling ? epi.pr : 0}};
      if (W.win)
        fields.push_back({"slots", int64_t(W.winSlots[qb * nChunks + c])});
      lw.em.emit(W.win   ? risa::Opcode::GemmWin
                 : W.csr ? risa::Opcode::GemmCsr
                         : risa::Opcode::Gemm,
                 loc, fields, std::move(acc));
      ++lw.numGemms;
    }
    if (loadInput)
      rowsLoaded = std::max(rowsLoaded, bd.iy0 + bd.rowsIn);
    if (epi.pooled()) {
      // Pool the tile on chip (the GEMM did, or a POOL over its rows).
      Operation *p = g.epi;
      if (epi.inGemm) {
        epiAddr = outAddr;
      } else {
        if (fwdAddr >= 0)
          epiAddr = fwdAddr;
        lw.em.emit(risa::Opcode::Pool, p->getLoc(),
                   {{"mode", int64_t(epi.mode)},
                    {"in_addr", outAddr},
                    {"in_cstride", n},
                    {"in_h", rb},
                    {"in_w", g.outW},
                    {"cb", 1},
                    {"out_h", bd.prb},
                    {"out_w", epi.w},
                    {"k_h", epi.k},
                    {"k_w", epi.kw},
                    {"stride_h", epi.s},
                    {"stride_w", epi.sw},
                    {"pad_t", bd.poolT},
                    {"pad_l", epi.pl},
                    {"pad_b", bd.poolB},
                    {"pad_r", epi.pr},
                    {"dil_h", 1},
                    {"dil_w", 1},
                    {"out_addr", epiAddr},
                    {"out_cstride", pn}},
                   {{Space::FBuf, outAddr, outAddr + n, false},
                    {Space::FBuf, epiAddr, epiAddr + pn, true}});
      }
      storeOut(p->getLoc(), epiAddr,
               out.offset + uint64_t((qb * epi.h + bd.p0) * epi.w) * L, pn);
      return;
    }
    if (residual) {
      storeOut(epi.add.getLoc(), outAddr, out.offset + tileOff, n);
      return;
    }
    if (epi.add) {
      // Residual add by an ADD after the GEMMs: load the other operand's
      // tile (unless the layer before left it on chip), add, store.
      int64_t bAddr = epiAddr,
              sumAddr = fwdAddr >= 0 ? fwdAddr : epiAddr + n;
      Location al = epi.add.getLoc();
      if (tl.onChipOther)
        bAddr = tl.otherBase + (qb * g.outH + oy0) * g.outW;
      else
        lw.loadFmap(al, bAddr, other.offset + tileOff, n, 1, 0, other);
      lw.em.emit(risa::Opcode::Add, al,
                 {{"unary", 0},
                  {"a_addr", outAddr},
                  {"b_addr", bAddr},
                  {"out_addr", sumAddr},
                  {"n", n},
                  {"cb", 1},
                  {"a_cstride", n},
                  {"b_cstride", n},
                  {"out_cstride", n},
                  {"param_addr", addEntry(qb)}},
                 {{Space::FBuf, outAddr, outAddr + n, false},
                  {Space::FBuf, bAddr, bAddr + n, false},
                  {Space::PBuf, addEntry(qb), addEntry(qb) + 1, false},
                  {Space::FBuf, sumAddr, sumAddr + n, true}});
      storeOut(al, sumAddr, out.offset + tileOff, n);
      return;
    }
    storeOut(loc, outAddr, out.offset + tileOff, n);
  };

  // A tile of band b reading the whole input where it sits on chip (the
  // first block's tiles load it unless a layer before left it there).
  auto wholeInputTile = [&](const Band &bd, int64_t b, int64_t qb) {
    emitTile(bd, qb, inBase + (g.fc ? 0 : bd.iy0 * g.inW),
             g.fc ? 1 : g.inH * g.inW, b == 0, qb == 0 && !tl.onChipInput);
  };
  if (!ws) {
    // Output-stationary: per band, its input once, then every block.
    for (int64_t b = 0; b < nBands; ++b) {
      FailureOr<Band> bd = bandAt(b);
      if (failed(bd))
        return failure();
      if (tl.onChipInput) {
        for (int64_t qb = 0; qb < nQb; ++qb)
          wholeInputTile(*bd, b, qb);
        continue;
      }
      int64_t inAddr = tl.chunkedInput ? 0 : loadBand(*bd);
      for (int64_t qb = 0; qb < nQb; ++qb)
        emitTile(*bd, qb, inAddr, g.fc ? 1 : bd->rowsIn * g.inW, b == 0, false);
    }
  } else {
    // Weight-stationary: per block, every band (its input re-loaded unless
    // the whole input is on chip).
    for (int64_t qb = 0; qb < nQb; ++qb)
      for (int64_t b = 0; b < nBands; ++b) {
        FailureOr<Band> bd = bandAt(b);
        if (failed(bd))
          return failure();
        if (tl.residentInput)
          wholeInputTile(*bd, b, qb);
        else
          emitTile(*bd, qb, tl.chunkedInput ? 0 : loadBand(*bd),
                   g.fc ? 1 : bd->rowsIn * g.inW, b == 0, false);
      }
  }

  flushStore();
  if (fwdBase >= 0)
    lw.onChip = {out.offset,
                 out.bytes(L),
                 resH,
                 resW,
                 fwdBase,
                 nQb * blockVecs,
                 lw.em.numInstructions(),
                 (g.epi ? g.epi : g.op)->getResult(0)};

  GemmLayerInfo &info = lw.gemmLayers[g.index];
  info.used = choice;
  info.used.order = tl.order;
  if (g.poolFused)
    info.used.poolFused = *g.poolFused;
  info.used.storeAtEnd = choice.storeAtEnd && reachedMerge;
  info.wsApplies = wsApplies && !lw.orderForced(g.index);
  info.residualApplies = residualApplies;
  info.addNotInPlace = epi.add && tl.onChipOther && !inPlace;
  info.storeAtEndApplies = reachedMerge;
  std::string &s = info.summary;
  llvm::raw_string_ostream os(s);
  os << (ws ? "weight-stationary" : "output-stationary") << ": " << nBands
     << " band" << (nBands > 1 ? "s" : "") << " of " << R << " rows";
  if (choice.bandDivisor > 1)
    os << " (capped at 1/" << choice.bandDivisor << ")";
  os << ", " << nQb << " output block" << (nQb > 1 ? "s" : "") << ", "
     << nChunks << " K chunk" << (nChunks > 1 ? "s" : "") << "; input "
     << (tl.onChipInput     ? "on chip"
         : tl.chunkedInput  ? "per K chunk"
         : tl.residentInput ? "whole, once"
         : ws               ? "per block and band"
                            : "once per band")
     << "; weights "
     << (W.csr ? "(CSR) "
         : W.win
             ? "(window-sparse, at most " +
                   std::to_string(*llvm::max_element(W.winSlots)) +
                   " slots) "
             : "")
     << (resident ? "resident"
         : ws     ? "once per block"
                  : "per band")
     << "; FBUF tiles x" << slots
     << (tl.onChipOther ? "; add operand on chip" : "")
     << (residual ? "; add in the GEMM epilogue" : "")
     << (epi.inGemm     ? "; max pool in the GEMM epilogue"
         : epi.pooled() ? "; a POOL per tile"
                        : "")
     << (fwdBase >= 0 ? "; output kept on chip" : "")
     << (info.used.storeAtEnd ? ", stored after its last tile" : "")
     << (g.droppedHeld ? "; gave up " + std::to_string(g.droppedHeld) +
                             " held map" + (g.droppedHeld > 1 ? "s" : "")
                       : std::string());
  return success();
}
} // namespace

LogicalResult Lowering::lowerConv(qnn::ConvOp op) {
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  auto yt = cast<RankedTensorType>(op.getOutput().getType());
  if (xt.getRank() != 4 && xt.getRank() != 3)
    return error(op, "only 1-D and 2-D convolutions");
  bool oneD = xt.getRank() == 3;
  GemmLayer g;
  g.op = op;
  g.fc = false;
  g.inT = tensorOf(op.getInput());
  g.epi = fusedEpilogue.lookup(op);
  g.outT = g.epi ? -1 : tensorOf(op.getOutput());
  const TensorRec &in = tensors[g.inT];
  int64_t C = in.C;
  g.units = in.cb(L);
  g.inH = in.H;
  g.inW = in.W;
  g.outH = oneD ? 1 : yt.getDimSize(2);
  g.outW = yt.getDimSize(yt.getRank() - 1);
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  g.kh = oneD ? 1 : wt.getDimSize(2);
  g.kw = wt.getDimSize(wt.getRank() - 1);
  auto at = [](ArrayRef<int64_t> a, size_t i) { return a.empty() ? 1 : a[i]; };
  g.sh = oneD ? 1 : op.getStrides()[0];
  g.sw = op.getStrides().back();
  g.dh = oneD ? 1 : at(op.getDilations(), 0);
  g.dw = oneD ? at(op.getDilations(), 0) : at(op.getDilations(), 1);
  g.pt = oneD ? 0 : op.getPads()[0];
  g.pl = oneD ? op.getPads()[0] : op.getPads()[1];
  if (g.kh > 15 || g.kw > 15 || g.sh > 15 || g.sw > 15 || g.dh > 15 ||
      g.dw > 15)
    return error(op, "kernel, stride or dilation above 15");
  int32_t fmax;
  if (failed(prepareGemm(
          *this, op, op.getWeight(), op.getBias(), op.getInput(),
          op.getOutput(), C, [&](int64_t o) { return op.actMin(o); },
          [&](int64_t o) { return op.actMax(o); }, g, fmax)))
    return failure();
  auto fin = qnn::encodingOf<qnn::FmapAttr>(op.getInput().getType());
  int64_t taps = g.kh * g.kw, Lc = L;
  g.oStride = C * taps;
  g.column = [C, taps, Lc](int64_t u, int64_t tap, int64_t l) -> int64_t {
    int64_t c = u * Lc + l;
    return c < C ? c * taps + tap : -1;
  };
  g.align = [fin, C, fmax, Lc](int64_t u, int64_t l) -> int32_t {
    int64_t c = u * Lc + l;
    return c < C ? fmax - fin.at(c) : 0;
  };
  // A model input with few channels (an image's 3) would fill C of the L
  // lanes of every array step: the host, which quantizes the input anyway,
  // packs the kernel's columns into channels (PackTaps), and the DLP runs a
  // k_h x 1 conv over k_w * C channels: k_w times fewer steps, the same
  // products.
  int64_t kw = g.kw, sw = g.sw, dw = g.dw, pl = g.pl;
  bool modelInput = llvm::is_contained(inputs, uint32_t(g.inT));
  if (packTaps && modelInput && !oneD && kw > 1 && op.getInput().hasOneUse() &&
      (C * kw + L - 1) / L < kw * ((C + L - 1) / L)) {
    TensorRec packed = tensors[g.inT];
    packed.name = layerName(op) + "/packed_taps";
    packed.C = C * kw;
    packed.W = g.outW;
    packed.shape = {1, packed.C, packed.H, packed.W};
    packed.frac.clear();
    for (int64_t c = 0; c < packed.C; ++c)
      packed.frac.push_back(tensors[g.inT].fracAt(c % C));
    packed.fracBlock = 1;
    uint32_t pt = newTensor(std::move(packed));
    hostSegment(op.getLoc(), dlprt::HostOpKind::PackTaps, {uint32_t(g.inT)}, pt,
                {kw, sw, dw, pl});
    g.inT = int(pt);
    g.units = tensors[pt].cb(L);
    g.inW = g.outW;
    g.kw = g.sw = g.dw = 1;
    g.pl = 0;
    int64_t kh = g.kh;
    g.column = [C, kh, kw, Lc](int64_t u, int64_t ky, int64_t l) -> int64_t {
      int64_t c = u * Lc + l; // packed channel kx * C + ci
      return c < C * kw ? (c % C) * kh * kw + ky * kw + c / C : -1;
    };
    g.align = [fin, C, kw, fmax, Lc](int64_t u, int64_t l) -> int32_t {
      int64_t c = u * Lc + l;
      return c < C * kw ? fmax - fin.at(c % C) : 0;
    };
  }
  g.index = registerGemmLayer(op, g.epi);
  return emitGemmLayer(*this, g);
}

LogicalResult Lowering::lowerFullyConnected(qnn::FullyConnectedOp op) {
  GemmLayer g;
  g.op = op;
  g.fc = true;
  g.inT = tensorOf(op.getInput());
  g.outT = tensorOf(op.getOutput());
  const TensorRec &in = tensors[g.inT];
  int64_t C = in.C, H = in.H, W = in.W;
  g.units = in.cb(L) * H * W;
  g.inH = g.inW = g.outH = g.outW = 1;
  g.kh = g.kw = g.sh = g.sw = g.dh = g.dw = 1;
  g.pt = g.pl = 0;
  int64_t K = cast<RankedTensorType>(op.getInput().getType()).getDimSize(1);
  if (K != C * H * W)
    return error(op, "input features do not match its storage");
  int32_t fmax;
  if (failed(prepareGemm(
          *this, op, op.getWeight(), op.getBias(), op.getInput(),
          op.getOutput(), K, [&](int64_t o) { return op.actMin(o); },
          [&](int64_t o) { return op.actMax(o); }, g, fmax)))
    return failure();
  auto fin = qnn::encodingOf<qnn::FmapAttr>(op.getInput().getType());
  int64_t Lc = L;
  // Storage vector u = (cb * H + y) * W + x, lane l: channel cb * L + l,
  // logical feature (c * H + y) * W + x.
  auto feature = [C, H, W, Lc](int64_t u, int64_t l) -> int64_t {
    int64_t x = u % W, y = (u / W) % H, cb = u / (W * H);
    int64_t c = cb * Lc + l;
    return c < C ? (c * H + y) * W + x : -1;
  };
  g.oStride = K;
  g.column = [feature](int64_t u, int64_t, int64_t l) { return feature(u, l); };
  g.align = [fin, fmax, feature](int64_t u, int64_t l) -> int32_t {
    int64_t k = feature(u, l);
    return k < 0 ? 0 : fmax - fin.at(k);
  };
  g.index = registerGemmLayer(op, g.epi);
  return emitGemmLayer(*this, g);
}

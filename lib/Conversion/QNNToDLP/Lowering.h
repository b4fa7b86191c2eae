//===- Lowering.h - qnn -> dlp lowering state -------------------*- C++ -*-===//
//
// Shared by the pass driver (QNNToDLP.cpp: tensors, data movement, host
// segments) and the layer lowerings (LowerGemm.cpp, LowerPoolAdd.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef DLP_CONVERSION_QNNTODLP_LOWERING_H
#define DLP_CONVERSION_QNNTODLP_LOWERING_H

#include "Emitter.h"
#include "QNN/QNNOps.h"
#include "dlprt/Program.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace dlp::conv {

/// A feature map's DDR storage (region data), channel-blocked.
struct TensorRec {
  std::string name;
  std::vector<int64_t> shape; ///< logical, batch 1
  uint64_t offset = 0;
  int64_t C = 0, H = 0, W = 0;
  std::vector<int32_t> frac;
  int64_t fracBlock = 1;
  /// A float32 tensor of a host float segment: row-major, C = elements.
  bool isFloat = false;
  int64_t cb(int64_t L) const { return (C + L - 1) / L; }
  /// Fractional bits of storage channel c.
  int32_t fracAt(int64_t c) const { return frac[c / fracBlock]; }
  uint64_t bytes(int64_t L) const {
    return isFloat ? uint64_t(C) * 4 : uint64_t(cb(L)) * H * W * L;
  }
  /// Its DDR bytes [begin, end).
  std::pair<uint64_t, uint64_t> ddrRange(int64_t L) const {
    return {offset, offset + bytes(L)};
  }
  Access ddr(int64_t L, bool write) const {
    auto [b, e] = ddrRange(L);
    return {Space::Ddr, int64_t(b), int64_t(e), write};
  }
};

/// The loop order of a GEMM layer's tiles (docs/lowering.md).
enum class LoopOrder : uint8_t {
  /// Row bands outermost: a band's input is loaded once and every output
  /// block's weights pass it (re-loaded per band unless the layer's weights
  /// fit WBUF). The plain lowering's order.
  OutputStationary,
  /// Output blocks outermost: a block's weights are loaded once and every
  /// band passes them (the input re-loaded per block unless it fits the
  /// feature buffer whole).
  WeightStationary,
};

/// How one GEMM layer is tiled: what the tile search chooses per layer.
struct TileChoice {
  /// Row bands at most 1/bandDivisor of the largest that fits.
  int64_t bandDivisor = 1;
  LoopOrder order = LoopOrder::OutputStationary;
  /// A fused residual add runs in the GEMM epilogue (where it can; pass
  /// option residual-gemm), else as ADDs after the GEMMs.
  bool residual = true;
  /// The STOREs of an output kept on chip wait for the layer's last tile
  /// (pass option merge-stores; else they go out every T * B / L vectors).
  bool storeAtEnd = false;
  /// A max pool with overlapping windows fused after the layer stays
  /// fused; else it is lowered on its own after the layer (reading the
  /// layer's output on chip where it is kept there). Asked by the tile
  /// search only: the plain lowering fuses where the GEMMs pool, and pass
  /// option fuse-overlapping-pools may force either way (emitGemmLayer).
  bool poolFused = true;
  bool operator==(const TileChoice &o) const {
    return bandDivisor == o.bandDivisor && order == o.order &&
           residual == o.residual && storeAtEnd == o.storeAtEnd &&
           poolFused == o.poolFused;
  }
};

/// A GEMM layer as lowered: the debug-map names of its instructions (the
/// layer's, and its fused epilogue's) and the tiling it got.
struct GemmLayerInfo {
  std::vector<std::string> names;
  mlir::Operation *op = nullptr;
  /// The choice asked for, with the order actually taken (a weight-
  /// stationary order whose blocks' weights do not fit WBUF falls back).
  TileChoice used;
  /// Whether the weight-stationary order could be taken (and is not
  /// forced either way): whether the tile search's trials of it can change
  /// anything.
  bool wsApplies = false;
  /// Whether its fused add could run in the GEMM epilogue: whether
  /// TileChoice::residual changes anything.
  bool residualApplies = false;
  /// Whether its fused add read its other operand on chip but could not
  /// write the sums in place (no free block below it): what the other
  /// placement of kept maps (maps-on-top) may change.
  bool addNotInPlace = false;
  /// Whether a run of its merged STOREs (an output kept on chip,
  /// merge-stores) reached T * B / L vectors: whether TileChoice::storeAtEnd
  /// changes anything (`used.storeAtEnd` is set only then).
  bool storeAtEndApplies = false;
  /// Whether a max pool with overlapping windows was fused after it and
  /// the pass option leaves the way to choose: whether
  /// TileChoice::poolFused changes anything.
  bool poolFusedApplies = false;
  /// One line on the tiling (pass option report-tiles).
  std::string summary;
};

class GemmCache;

class Lowering {
public:
  Lowering(const dlprt::TargetConfig &t, mlir::OpBuilder &b)
      : t(t), L(t.L), Q(t.Q), b(b), em(t, b) {}

  /// Lowers the body of `f` into instructions at the builder's position.
  mlir::LogicalResult run(mlir::func::FuncOp f);

  const dlprt::TargetConfig &t;
  const int64_t L, Q;
  mlir::OpBuilder &b;
  Emitter em;
  std::vector<uint8_t> constData;
  uint64_t dataBytes = 0;
  std::vector<TensorRec> tensors;
  std::vector<uint32_t> inputs, outputs;
  /// Every model input has a static batch of 1: the program is the whole
  /// model, no tensor's axis 0 is a batch axis to keep images apart on (a
  /// ViT's [197, 12, 64] heads are just a tensor), and dlp-run's images
  /// are independent runs of it.
  bool singleImage = false;
  /// Whether axis 0 of a tensor of `type` is a batch axis (extent 1 in the
  /// per-image program): not in a single-image model.
  bool batchAxis(mlir::Type type) const;
  std::vector<dlprt::HostSegment> host;
  unsigned numGemms = 0, layerIndex = 0;
  /// GEMM layers with bank-resident weights so far (they alternate banks).
  unsigned weightBank = 0;
  /// Layers whose weight density is below this get CSR weights (GEMM_CSR).
  double csrDensity = 0;
  /// Pack a model-input conv's kernel columns into channels (PackTaps).
  bool packTaps = true;
  /// Tile search: GEMM layer i's tiling (the default TileChoice when unset).
  std::function<TileChoice(unsigned)> tileChoiceOf;
  /// Loop orders forced by name (pass option loop-order), and for every
  /// layer not named.
  llvm::StringMap<LoopOrder> forcedOrder;
  std::optional<LoopOrder> forcedOrderAll;
  TileChoice tileChoice(unsigned layer) const;
  bool orderForced(unsigned layer) const;
  /// Prepared layers and packed weight rows shared by the tile search's
  /// lowerings of one function (null: none kept).
  std::shared_ptr<GemmCache> gemmCache;
  /// The GEMM layers in lowering order.
  std::vector<GemmLayerInfo> gemmLayers;
  unsigned registerGemmLayer(mlir::Operation *op, mlir::Operation *epi);

  /// The tensor of a feature-map value (allocated on first use).
  int tensorOf(mlir::Value v);
  TensorRec &rec(mlir::Value v) { return tensors[tensorOf(v)]; }
  /// The tensor of `v` (allocated on first use) stored like `like`: same
  /// C x H x W storage, for an element-wise result of a flattened view.
  int tensorLike(mlir::Value v, const TensorRec &like);
  /// Appends tensor `r` with its bytes placed at the end of region data
  /// (64-byte aligned); returns its index.
  uint32_t newTensor(TensorRec r);
  /// Appends bytes to region const (8-byte aligned); returns the offset.
  uint64_t addConst(llvm::ArrayRef<uint8_t> bytes);
  /// addConst, shared with an earlier block of the same bytes added for
  /// the same `weight` (a layer unrolled per image packs its weights once
  /// per image: unrollBatch).
  uint64_t addWeightConst(llvm::ArrayRef<uint8_t> bytes, mlir::Value weight);

  // Layer lowerings (LowerGemm.cpp, LowerPoolAdd.cpp).
  mlir::LogicalResult lowerConv(qnn::ConvOp op);
  mlir::LogicalResult lowerFullyConnected(qnn::FullyConnectedOp op);
  mlir::LogicalResult lowerPool(mlir::Operation *op);
  mlir::LogicalResult lowerEltwise(mlir::Operation *op);
  /// A copy of int8 tensor `src` stored as C channels of 1 x 1 (a vector
  /// of its C = elements, logical order), each with its element's
  /// fractional bits: a Dequantize and a Quantize host segment, exact.
  uint32_t relayout(mlir::Location loc, uint32_t src, int64_t C);
  mlir::LogicalResult lowerHostConv(qnn::ConvOp op);
  /// Whether a conv runs on the PE array: ungrouped, and its kernel,
  /// stride, dilation and top / left pads fit the GEMM's fields (else the
  /// host's int8 conv runs it, lowerHostConv).
  bool onArray(qnn::ConvOp op);
  mlir::LogicalResult lowerHostConcat(qnn::ConcatOp op);
  /// qnn.table as a Table host segment (the tables in CONST).
  mlir::LogicalResult lowerHostTable(qnn::TableOp op);
  /// qnn.channel_mul as a ChannelMul host segment (the shifts in params).
  mlir::LogicalResult lowerHostChannelMul(qnn::ChannelMulOp op);
  /// Float ops between dequantize / quantize as host float segments.
  mlir::LogicalResult lowerHostFloat(mlir::Operation *op);
  /// The float tensor of constant `v` (an arith.constant that
  /// readFloatConstant reads), filled by a FloatConst host segment from
  /// CONST: made once, at its first use; with `firstSlice`, of its first
  /// slice along axis 0 only (shape[0] = 1).
  uint32_t floatConstTensor(mlir::Location loc, mlir::Value v,
                            bool firstSlice = false);
  /// A host segment of `kind` and its HOST instruction.
  void hostSegment(mlir::Location loc, dlprt::HostOpKind kind,
                   std::vector<uint32_t> inputs, uint32_t output,
                   std::vector<int64_t> params = {});

  /// DMA between DDR region data (`ddrAddr`, `planes` planes `planeStride`
  /// bytes apart, `n0` contiguous vectors each) and FBUF at `sram`: a LOAD
  /// into FBUF or (`store`) a STORE from it.
  void moveFmap(bool store, mlir::Location loc, int64_t sram,
                uint64_t ddrAddr, int64_t n0, int64_t planes,
                int64_t planeStride, const TensorRec &t);
  void loadFmap(mlir::Location loc, int64_t sram, uint64_t ddrAddr,
                int64_t n0, int64_t planes, int64_t planeStride,
                const TensorRec &src) {
    moveFmap(false, loc, sram, ddrAddr, n0, planes, planeStride, src);
  }
  void storeFmap(mlir::Location loc, int64_t sram, uint64_t ddrAddr,
                 int64_t n0, int64_t planes, int64_t planeStride,
                 const TensorRec &dst) {
    moveFmap(true, loc, sram, ddrAddr, n0, planes, planeStride, dst);
  }
  /// Loads `n` units of region const at `constOffset` into WBUF / PBUF.
  void loadConst(mlir::Location loc, dlprt::isa::Buf buf,
                 dlprt::isa::WFmt fmt, int64_t sram, uint64_t constOffset,
                 int64_t n);
  /// Parameter entries (docs/isa.md section 1) for `count` channels: packs
  /// them per block of Q into region const; returns the offset.
  struct ChannelParams {
    int32_t bias = 0;
    int32_t shift = 0, actMin = -128, actMax = 127, aux = 0;
  };
  uint64_t packParams(llvm::ArrayRef<ChannelParams> params);
  /// PBUF base for the current layer (alternating halves).
  int64_t paramBase(int64_t entries) const;

  /// Ops run in the epilogue of the conv / fully-connected layer that
  /// feeds them, without a DDR round trip (planFusion): conv -> the pool
  /// or residual add that is its only user.
  llvm::DenseMap<mlir::Operation *, mlir::Operation *> fusedEpilogue;
  llvm::DenseSet<mlir::Operation *> fused;

  /// A feature map a layer left whole in FBUF (docs/lowering.md, "Feature
  /// maps on chip"): channel block b's H x W vectors from `base + b * H * W`,
  /// the same bytes it stored to DDR at `offset`. A layer that reads those
  /// bytes lowered next (no instruction in between) takes them from there
  /// instead of loading them; so does any later one while the map is held.
  struct OnChip {
    uint64_t offset = 0, bytes = 0;
    int64_t H = 0, W = 0, base = 0, vecs = 0;
    /// Emitter::numInstructions() after the producer's last instruction.
    unsigned emitted = ~0u;
    /// The value it holds (null: none).
    mlir::Value value;
    bool overlaps(int64_t lo, int64_t hi) const {
      return lo < base + vecs && base < hi;
    }
  };
  OnChip onChip;
  /// Maps kept on chip while a layer lowered later still reads them (the
  /// input of a residual block, read by its first conv and by its add):
  /// every layer's tiles avoid them, and they are released after their
  /// last reader (run()). Any of them may be given up (dropHeld) by a layer
  /// that does not fit beside them: every map is in DDR too.
  std::vector<OnChip> held;
  /// The map of `in` on chip: the one the previous layer left, or a held
  /// one.
  std::optional<OnChip> onChipInput(const TensorRec &in) const {
    auto same = [&](const OnChip &m) {
      return !in.isFloat && m.offset == in.offset && m.bytes == in.bytes(L) &&
             m.H == in.H && m.W == in.W;
    };
    if (onChip.emitted == em.numInstructions() && same(onChip))
      return onChip;
    for (const OnChip &m : held)
      if (same(m))
        return m;
    return std::nullopt;
  }
  /// The largest FBUF range [lo, hi) that overlaps no held map and none of
  /// `also` (the maps a layer reads on chip): where its own tiles go.
  std::pair<int64_t, int64_t>
  freeRange(llvm::ArrayRef<OnChip> also = {}) const;
  /// Whether FBUF [lo, hi) overlaps no held map and none of `also`.
  bool isFree(int64_t lo, int64_t hi, llvm::ArrayRef<OnChip> also = {}) const;
  /// The held map of `v`, if any.
  OnChip *heldOf(mlir::Value v) {
    auto it = llvm::find_if(held, [&](const OnChip &m) { return m.value == v; });
    return it == held.end() ? nullptr : &*it;
  }
  /// Gives up every held map (their readers load them from DDR).
  void dropHeld() { held.clear(); }
  /// A channel concat assembled on chip: the GEMM layers making its inputs
  /// (stored in place in its DDR map, planConcats) put their outputs where
  /// they lie in its map, in an FBUF range held (as a map of no bytes, that
  /// no reader matches) from its first input's layer on and readable once
  /// every input is in.
  struct ConcatOnChip {
    int64_t base = -1;
    unsigned placed = 0, total = 0;
    bool failed = false;
  };
  llvm::DenseMap<mlir::Value, ConcatOnChip> concatsOnChip;
  /// Per input of such a concat: the concat and the input's first vector
  /// in its map.
  llvm::DenseMap<mlir::Value, std::pair<mlir::Value, int64_t>> concatSlot;
  /// Where the GEMM layer making `v`, an input of a concat read on chip
  /// later, keeps its output (reserving the concat's range with its first
  /// input); -1: not on chip.
  int64_t concatPlace(mlir::Value v);
  /// After that layer: whether it kept its output there.
  void concatPlaced(mlir::Value v, bool placed);

  /// Whether `v` has a reader lowered after the op being lowered.
  bool readLater(mlir::Value v) const {
    return lastReader.lookup(v) > position;
  }
  /// Per value, the position (in run()'s order) of the op that lowers its
  /// last reader (a fused epilogue's: its conv); the op being lowered.
  llvm::DenseMap<mlir::Value, unsigned> lastReader;
  unsigned position = 0;
  /// Keep feature maps on chip between layers (pass option; on by default).
  bool keepOnChip = true;
  /// A GEMM layer's output kept on chip goes at the top of its free range,
  /// not right after its tiles (pass option maps-on-top).
  bool mapsOnTop = false;
  /// Fused residual adds in the GEMM epilogue (pass option; on by default).
  bool residualGemm = true;
  /// The tiles' STOREs of a layer's output kept on chip are merged, every
  /// T * B / L vectors (pass option merge-stores; on by default).
  bool mergeStores = true;
  /// Resident weights' LOADs of consecutive groups merged until they move
  /// at least T * B bytes (pass option merge-weight-loads; on by default).
  bool mergeWeightLoads = true;
  /// Dead-store elision (pass option elide-dead-stores), in DDR byte
  /// ranges [begin, end) of whole maps. `ddrLoaded`: the maps this
  /// lowering's LOADs read; `ddrStored`: the maps its STOREs write. With
  /// `liveDdr` (what a first lowering read: ddrReads()), a STORE into a
  /// map that no live range overlaps is not emitted and the map's range
  /// goes into `unstored`.
  using DdrRanges = std::vector<std::pair<uint64_t, uint64_t>>;
  DdrRanges ddrLoaded, ddrStored, unstored;
  std::optional<DdrRanges> liveDdr;
  /// Every DDR range read: ddrLoaded, the host segments' inputs and the
  /// model's outputs (read by the runtime); normalized.
  DdrRanges ddrReads() const;
  /// Sorted, overlapping and touching ranges merged.
  static DdrRanges normalized(DdrRanges r);
  /// Whether a range in `a` (normalized) overlaps one in `b`.
  static bool overlap(const DdrRanges &a, const DdrRanges &b);
  /// Max pools whose windows overlap fused into the conv before them
  /// (true) or lowered on their own (false), as pass option
  /// fuse-overlapping-pools forces; none: per layer, TileChoice::poolFused.
  std::optional<bool> overlappingPools;

  mlir::InFlightDiagnostic error(mlir::Operation *op, const llvm::Twine &msg);
  /// Whether batchError was reported (an op mixing the batch).
  bool batchMixing = false;
  /// error() for an op that mixes or moves the batch axis, with how to
  /// compile such a model (one image).
  mlir::InFlightDiagnostic batchError(mlir::Operation *op,
                                      const llvm::Twine &what);

private:
  /// addWeightConst's blocks per weight: offset and size.
  llvm::DenseMap<mlir::Value,
                 llvm::SmallVector<std::pair<uint64_t, uint64_t>, 1>>
      weightConsts;
  llvm::DenseMap<mlir::Value, int> tensorIndex;
  /// Preset DDR offsets: inputs of channel concats stored in place.
  llvm::DenseMap<mlir::Value, uint64_t> presetOffset;
  /// Storage C, H, W and frac block set by tensorLike.
  llvm::DenseMap<mlir::Value, std::array<int64_t, 4>> storageOf;
  void planConcats(mlir::func::FuncOp f);
  void planFusion(mlir::func::FuncOp f);
  mlir::LogicalResult lowerOp(mlir::Operation *op);
};

/// Layer name of an op (as the evaluators name their dumps).
std::string layerName(mlir::Operation *op);

/// Rewrites `f` (inputs of one static batch above 1) so that every int8
/// map has batch 1: the quantized ops run once per image between slices and
/// concats of the float tensors (UnrollBatch.cpp), and marks it
/// kWholeBatchAttr. For a model with an op that mixes the batch, which the
/// image-by-image program cannot run.
mlir::LogicalResult unrollBatch(mlir::func::FuncOp f);

/// A layer's name in the model: without the " (image i)" of a layer
/// unrolled per image.
llvm::StringRef modelLayerName(llvm::StringRef name);

} // namespace dlp::conv

#endif // DLP_CONVERSION_QNNTODLP_LOWERING_H

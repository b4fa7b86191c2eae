//===- QNNToDLP.cpp - Lower a qnn function to a dlp program ---------------===//
//
// The pass driver: DDR placement of every feature map, data movement
// helpers, host segments, and the walk that hands each op to its lowering.
// Layer tiling lives in LowerGemm.cpp and LowerPoolAdd.cpp.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "DLP/DLPProgram.h"
#include "GemmLayer.h"
#include "TileSearch.h"
#include "dlp/Conversion/Passes.h"
#include "dlp/Support/Constants.h"
#include "dlp/Support/ModelBatch.h"
#include "dlprt/kernels/ChannelMul.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace dlp {
#define GEN_PASS_DEF_CONVERTQNNTODLP
#include "dlp/Conversion/Passes.h.inc"
} // namespace dlp

using namespace mlir;
using namespace dlp;
using namespace dlp::conv;
namespace risa = dlprt::isa;

std::string dlp::conv::layerName(Operation *op) {
  std::string name = device::locationName(op->getLoc());
  if (!name.empty())
    return name;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << op->getName().getStringRef() << "@";
  op->getLoc().print(os);
  return s;
}

InFlightDiagnostic Lowering::error(Operation *op, const Twine &msg) {
  return op->emitError() << "cannot compile '" << op->getName() << "' ('"
                         << layerName(op) << "') for target '" << t.name
                         << "': " << msg;
}

InFlightDiagnostic Lowering::batchError(Operation *op, const Twine &what) {
  batchMixing = true;
  return error(op, what) << " (the program runs one image at a time; a model "
                            "whose inputs share one static batch is one "
                            "program for that batch and runs such ops: "
                            "export it at a static batch, or pin a dynamic "
                            "batch with --input-shape NAME=Nx...)";
}

uint32_t Lowering::newTensor(TensorRec r) {
  dataBytes = (dataBytes + 63) & ~uint64_t(63);
  r.offset = dataBytes;
  dataBytes += r.bytes(L);
  tensors.push_back(std::move(r));
  return uint32_t(tensors.size() - 1);
}

uint64_t Lowering::addConst(ArrayRef<uint8_t> bytes) {
  constData.resize((constData.size() + 7) & ~size_t(7));
  uint64_t off = constData.size();
  constData.insert(constData.end(), bytes.begin(), bytes.end());
  return off;
}

uint64_t Lowering::addWeightConst(ArrayRef<uint8_t> bytes, Value weight) {
  auto &blocks = weightConsts[weight];
  for (auto [off, size] : blocks)
    if (size == bytes.size() &&
        std::equal(bytes.begin(), bytes.end(), constData.begin() + off))
      return off;
  uint64_t off = addConst(bytes);
  blocks.push_back({off, bytes.size()});
  return off;
}

unsigned Lowering::registerGemmLayer(Operation *op, Operation *epi) {
  GemmLayerInfo info;
  info.names = {device::locationName(op->getLoc())};
  if (epi)
    info.names.push_back(device::locationName(epi->getLoc()));
  info.op = op;
  gemmLayers.push_back(std::move(info));
  return unsigned(gemmLayers.size() - 1);
}

StringRef dlp::conv::modelLayerName(StringRef name) {
  // "NAME (image i)": a layer unrolled per image (unrollBatch).
  if (name.ends_with(")"))
    if (size_t at = name.rfind(" (image "); at != StringRef::npos)
      return name.take_front(at);
  return name;
}

bool Lowering::orderForced(unsigned layer) const {
  return forcedOrderAll ||
         forcedOrder.count(modelLayerName(gemmLayers[layer].names.front()));
}

TileChoice Lowering::tileChoice(unsigned layer) const {
  TileChoice c = tileChoiceOf ? tileChoiceOf(layer) : TileChoice();
  auto it = forcedOrder.find(modelLayerName(gemmLayers[layer].names.front()));
  if (it != forcedOrder.end())
    c.order = it->second;
  else if (forcedOrderAll)
    c.order = *forcedOrderAll;
  return c;
}

int Lowering::tensorOf(Value v) {
  auto it = tensorIndex.find(v);
  if (it != tensorIndex.end())
    return it->second;
  auto type = cast<RankedTensorType>(v.getType());
  auto fmap = qnn::encodingOf<qnn::FmapAttr>(type);
  TensorRec r;
  r.name = v.getDefiningOp() ? layerName(v.getDefiningOp()) : "input";
  r.shape.assign(type.getShape().begin(), type.getShape().end());
  if (batchAxis(type))
    r.shape[0] = 1;
  if (r.shape.empty()) // a scalar (a full reduction): one element
    r.shape = {1};
  if (!fmap) {
    // A float tensor of a host float segment: row-major, C = elements.
    r.isFloat = true;
    r.C = 1;
    for (int64_t d : r.shape)
      r.C *= d;
    r.H = r.W = 1;
  } else {
    // Channels (axis 1), rows (the axes between: one for a 2-D map, their
    // product for more) and columns (the last axis).
    int64_t rank = type.getRank();
    r.C = type.getDimSize(1);
    r.H = 1;
    for (int64_t d = 2; d + 1 < rank; ++d)
      r.H *= type.getDimSize(d);
    r.W = rank >= 3 ? type.getDimSize(rank - 1) : 1;
    r.frac.assign(fmap.getValues().begin(), fmap.getValues().end());
    r.fracBlock = fmap.getBlock();
  }
  if (auto st = storageOf.find(v); st != storageOf.end()) {
    r.C = st->second[0];
    r.H = st->second[1];
    r.W = st->second[2];
    r.fracBlock = st->second[3];
  }
  int idx;
  auto preset = presetOffset.find(v);
  if (preset != presetOffset.end()) {
    r.offset = preset->second;
    tensors.push_back(std::move(r));
    idx = int(tensors.size() - 1);
  } else {
    idx = int(newTensor(std::move(r)));
  }
  tensorIndex[v] = idx;
  return idx;
}

int Lowering::tensorLike(Value v, const TensorRec &like) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t hw = like.H * like.W;
  auto fmap = qnn::encodingOf<qnn::FmapAttr>(type);
  // A feature-wise scale with block B covers B / (H * W) storage channels.
  if (!tensorIndex.count(v) && type.getRank() == 2 && hw > 1 &&
      fmap.getBlock() % hw == 0 && type.getDimSize(1) == like.C * hw)
    storageOf[v] = {like.C, like.H, like.W, fmap.getBlock() / hw};
  return tensorOf(v);
}

std::pair<int64_t, int64_t>
Lowering::freeRange(ArrayRef<OnChip> also) const {
  // The taken ranges in address order; the largest gap between them.
  SmallVector<std::pair<int64_t, int64_t>> taken;
  for (ArrayRef<OnChip> maps : {ArrayRef<OnChip>(held), also})
    for (const OnChip &m : maps)
      taken.push_back({m.base, m.base + m.vecs});
  llvm::sort(taken);
  std::pair<int64_t, int64_t> best{0, 0};
  int64_t at = 0, end = int64_t(t.fbufVectors());
  taken.push_back({end, end});
  for (auto [lo, hi] : taken) {
    if (lo - at > best.second - best.first)
      best = {at, lo};
    at = std::max(at, hi);
  }
  return best;
}

int64_t Lowering::concatPlace(Value v) {
  auto slot = concatSlot.find(v);
  if (!keepOnChip || slot == concatSlot.end())
    return -1;
  auto [cat, first] = slot->second;
  ConcatOnChip &c = concatsOnChip[cat];
  if (c.failed || !readLater(cat) || presetOffset.count(cat))
    return -1;
  if (c.base < 0) {
    // At the top of the free range, when that leaves the layers in between
    // as much room again.
    const TensorRec &r = rec(cat);
    int64_t vecs = r.cb(L) * r.H * r.W;
    c.total = cast<qnn::ConcatOp>(*v.getUsers().begin()).getInputs().size();
    // (Beside the map the previous layer left, too: the layer making this
    // input may read it through a view, not held.)
    bool chain = onChip.emitted == em.numInstructions();
    auto [lo, hi] = chain ? freeRange({onChip}) : freeRange();
    if (hi - lo < 2 * vecs) {
      c.failed = true;
      return -1;
    }
    c.base = hi - vecs;
    // No bytes until the last input is in: no reader matches it before.
    held.push_back({r.offset, 0, r.H, r.W, c.base, vecs, ~0u, cat});
  } else if (!heldOf(cat)) {
    c.failed = true; // given up (dropHeld)
    return -1;
  }
  return c.base + first;
}

void Lowering::concatPlaced(Value v, bool placed) {
  Value cat = concatSlot.lookup(v).first;
  ConcatOnChip &c = concatsOnChip[cat];
  OnChip *m = heldOf(cat);
  if (!placed || !m) {
    c.failed = true;
    llvm::erase_if(held, [&](const OnChip &h) { return h.value == cat; });
    return;
  }
  if (++c.placed == c.total)
    m->bytes = rec(cat).bytes(L); // whole: its readers find it
}

bool Lowering::isFree(int64_t lo, int64_t hi, ArrayRef<OnChip> also) const {
  if (lo < 0 || hi > int64_t(t.fbufVectors()))
    return false;
  for (ArrayRef<OnChip> maps : {ArrayRef<OnChip>(held), also})
    for (const OnChip &m : maps)
      if (m.overlaps(lo, hi))
        return false;
  return true;
}

void Lowering::moveFmap(bool store, Location loc, int64_t sram,
                        uint64_t ddrAddr, int64_t n0, int64_t planes,
                        int64_t planeStride, const TensorRec &t) {
  DdrRanges range = {t.ddrRange(L)};
  // (A map's DMAs come in runs: one entry per run.)
  auto note = [&](DdrRanges &v) {
    if (v.empty() || v.back() != range[0])
      v.push_back(range[0]);
  };
  if (!store) {
    note(ddrLoaded);
  } else if (liveDdr && !overlap(*liveDdr, range)) {
    note(unstored); // nothing reads it from DDR
    return;
  } else {
    note(ddrStored);
  }
  em.emit(store ? risa::Opcode::Store : risa::Opcode::Load, loc,
          {{"buf", int64_t(risa::Buf::FBuf)},
           {"wfmt", 0},
           {"region", int64_t(risa::Region::Data)},
           {"sram_addr", sram},
           {"ddr_addr", int64_t(ddrAddr)},
           {"n0", n0},
           {"n1", 1},
           {"s1", 0},
           {"n2", planes},
           {"s2", planeStride}},
          {{Space::FBuf, sram, sram + n0 * planes, !store}, t.ddr(L, store)});
}

Lowering::DdrRanges Lowering::normalized(DdrRanges r) {
  llvm::sort(r);
  DdrRanges out;
  for (const auto &x : r)
    if (!out.empty() && x.first <= out.back().second)
      out.back().second = std::max(out.back().second, x.second);
    else
      out.push_back(x);
  return out;
}

bool Lowering::overlap(const DdrRanges &a, const DdrRanges &b) {
  return llvm::any_of(b, [&](const auto &y) {
    // The first range of `a` ending after y begins.
    auto it = llvm::partition_point(
        a, [&](const auto &x) { return x.second <= y.first; });
    return it != a.end() && it->first < y.second;
  });
}

Lowering::DdrRanges Lowering::ddrReads() const {
  DdrRanges r = ddrLoaded;
  auto add = [&](uint32_t i) {
    r.push_back(tensors[i].ddrRange(L));
  };
  for (const dlprt::HostSegment &s : host)
    for (uint32_t i : s.inputs)
      add(i);
  for (uint32_t i : outputs)
    add(i);
  return normalized(std::move(r));
}

void Lowering::loadConst(Location loc, risa::Buf buf, risa::WFmt fmt,
                         int64_t sram, uint64_t constOffset, int64_t n) {
  Space space = buf == risa::Buf::WBuf ? Space::WBuf : Space::PBuf;
  em.emit(risa::Opcode::Load, loc,
          {{"buf", int64_t(buf)},
           {"wfmt", buf == risa::Buf::WBuf ? int64_t(fmt) : 0},
           {"region", int64_t(risa::Region::Const)},
           {"sram_addr", sram},
           {"ddr_addr", int64_t(constOffset)},
           {"n0", n},
           {"n1", 1},
           {"s1", 0},
           {"n2", 1},
           {"s2", 0}},
          {{space, sram, sram + n, true}});
}

uint64_t Lowering::packParams(ArrayRef<ChannelParams> params) {
  int64_t blocks = (int64_t(params.size()) + Q - 1) / Q;
  std::vector<uint8_t> bytes(blocks * 8 * Q, 0);
  for (int64_t bl = 0; bl < blocks; ++bl) {
    uint8_t *e = bytes.data() + bl * 8 * Q;
    for (int64_t q = 0; q < Q; ++q) {
      int64_t c = bl * Q + q;
      ChannelParams p = c < int64_t(params.size()) ? params[c]
                                                   : ChannelParams();
      uint32_t bias = uint32_t(p.bias);
      for (int k = 0; k < 4; ++k)
        e[4 * q + k] = uint8_t(bias >> (8 * k));
      e[4 * Q + q] = uint8_t(int8_t(p.shift));
      e[5 * Q + q] = uint8_t(int8_t(p.actMin));
      e[6 * Q + q] = uint8_t(int8_t(p.actMax));
      e[7 * Q + q] = uint8_t(int8_t(p.aux));
    }
  }
  return addConst(bytes);
}

int64_t Lowering::paramBase(int64_t entries) const {
  int64_t half = t.paramEntries / 2;
  return entries <= half ? (layerIndex % 2) * half : 0;
}

/// Channel concats whose inputs (all but the last) fill whole channel
/// blocks are free: each input is produced straight into its slice of the
/// result. Only inputs produced by a lowered layer, used by this concat
/// alone, qualify.
void Lowering::planConcats(func::FuncOp f) {
  f.walk([&](qnn::ConcatOp cat) {
    if (cat.getAxis() != 1)
      return;
    auto inputs = cat.getInputs();
    for (auto [i, v] : llvm::enumerate(inputs)) {
      auto type = cast<RankedTensorType>(v.getType());
      Operation *def = v.getDefiningOp();
      if ((i + 1 < inputs.size() && type.getDimSize(1) % L) || !def ||
          !v.hasOneUse() ||
          !isa<qnn::ConvOp, qnn::FullyConnectedOp, qnn::MaxPoolOp,
               qnn::AvgPoolOp, qnn::AddOp, qnn::RequantizeOp,
               qnn::ClampOp>(def) ||
          (isa<qnn::ConvOp>(def) && cast<qnn::ConvOp>(def).getGroup() != 1))
        return;
    }
    // Allocate the result now and place the inputs inside it.
    TensorRec &out = rec(cat.getOutput());
    uint64_t off = out.offset;
    // Made by GEMM layers (a conv on the array, maybe with a fused
    // epilogue), the inputs may be assembled on chip (concatPlace).
    bool gemms = llvm::all_of(inputs, [&](Value v) {
      Operation *def = v.getDefiningOp();
      auto conv = dyn_cast<qnn::ConvOp>(def);
      return (conv && onArray(conv)) || isa<qnn::FullyConnectedOp>(def) ||
             fused.count(def);
    });
    for (Value v : inputs) {
      if (gemms)
        concatSlot[v] = {cat.getOutput(), int64_t((off - out.offset) / L)};
      presetOffset[v] = off;
      auto type = cast<RankedTensorType>(v.getType());
      int64_t hw = type.getRank() == 4 ? type.getDimSize(2) * type.getDimSize(3)
                                       : 1;
      off += uint64_t(type.getDimSize(1) / L) * hw * L;
    }
  });
}

bool Lowering::onArray(qnn::ConvOp op) {
  if (op.getGroup() != 1)
    return false;
  // The GEMM's 4-bit kernel, stride, dilation and top / left pad fields.
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  auto small = [](ArrayRef<int64_t> a) {
    return llvm::all_of(a, [](int64_t v) { return v <= 15; });
  };
  ArrayRef<int64_t> pads = op.getPads();
  if (!small(wt.getShape().drop_front(2)) || !small(op.getStrides()) ||
      !small(op.getDilations()) || !small(pads.take_front(pads.size() / 2)))
    return false;
  // Its 12-bit map sizes (a 1-D map's width is its length), and one output
  // row of one input block beside the input rows it reads on chip: FBUF
  // vectors, and ABUF vectors of Q sums (wider maps, e.g. raw audio, run
  // on the host's int8 conv).
  auto in = cast<RankedTensorType>(op.getInput().getType());
  auto out = cast<RankedTensorType>(op.getOutput().getType());
  int64_t rank = in.getRank();
  int64_t inH = rank == 4 ? in.getDimSize(2) : 1, inW = in.getDimSize(rank - 1);
  int64_t outH = rank == 4 ? out.getDimSize(2) : 1,
          outW = out.getDimSize(rank - 1);
  constexpr int64_t kField = (int64_t(1) << 12) - 1;
  if (inH > kField || inW > kField || outH > kField || outW > kField)
    return false;
  int64_t kh = rank == 4 ? wt.getDimSize(2) : 1;
  int64_t dh = rank == 4 ? op.getDilations()[0] : 1;
  int64_t rowsIn = std::min(inH, (kh - 1) * dh + 1);
  return outW <= int64_t(t.abufVectors()) &&
         rowsIn * inW + outW <= int64_t(t.fbufVectors());
}

/// A non-overlapping max / average pool (kernel = stride, no padding or
/// dilation, floor mode unless the rows divide) or a residual add whose
/// other operand is computed earlier, fed only by a conv: the conv's output
/// tile is pooled / added on chip and only the result goes to DDR.
void Lowering::planFusion(func::FuncOp f) {
  llvm::DenseMap<Operation *, unsigned> order;
  unsigned n = 0;
  for (Operation &op : f.getBody().front())
    order[&op] = n++;
  f.walk([&](qnn::ConvOp conv) {
    if (!onArray(conv) || !conv.getOutput().hasOneUse() ||
        cast<RankedTensorType>(conv.getOutput().getType()).getRank() != 4)
      return;
    Operation *user = *conv.getOutput().getUsers().begin();
    auto simplePool = [](ArrayRef<int64_t> k, ArrayRef<int64_t> s,
                         ArrayRef<int64_t> pads, int64_t h, int64_t w,
                         bool ceil) {
      return k.size() == 2 && k[0] == s[0] && k[1] == s[1] &&
             llvm::all_of(pads, [](int64_t p) { return p == 0; }) &&
             (!ceil || (h % s[0] == 0 && w % s[1] == 0));
    };
    auto yt = cast<RankedTensorType>(conv.getOutput().getType());
    int64_t h = yt.getDimSize(2), w = yt.getDimSize(3);
    bool ok = false;
    // (A pool or an add the target has no unit for runs on the host.)
    if (isa<qnn::MaxPoolOp, qnn::AvgPoolOp>(user) && !t.poolUnit)
      return;
    if (isa<qnn::AddOp>(user) && !t.eltwiseUnit)
      return;
    // A max pool whose windows overlap (a ResNet / GoogLeNet / AlexNet
    // stem's 3x3 / 2): each band's tile also holds the rows its windows
    // share with the next band's, which that band computes again.
    auto overlapping = [&](qnn::MaxPoolOp mp) {
      ArrayRef<int64_t> k = mp.getKernelShape(), s = mp.getStrides();
      return overlappingPools != false && k.size() == 2 && s[0] <= k[0] &&
             s[1] <= k[1];
    };
    if (auto mp = dyn_cast<qnn::MaxPoolOp>(user))
      ok = (simplePool(mp.getKernelShape(), mp.getStrides(), mp.getPads(), h,
                       w, mp.getCeilMode()) ||
            overlapping(mp)) &&
           llvm::all_of(mp.getDilations(), [](int64_t d) { return d == 1; });
    else if (auto ap = dyn_cast<qnn::AvgPoolOp>(user))
      ok = simplePool(ap.getKernelShape(), ap.getStrides(), ap.getPads(), h,
                      w, ap.getCeilMode());
    else if (auto add = dyn_cast<qnn::AddOp>(user)) {
      Value other = add.getLhs() == conv.getOutput() ? add.getRhs()
                                                     : add.getLhs();
      Operation *def = other.getDefiningOp();
      ok = other != conv.getOutput() &&
           (!def || order.lookup(def) < order.lookup(conv));
    }
    if (ok && !fused.count(user)) {
      fusedEpilogue[conv] = user;
      fused.insert(user);
    }
  });
}

LogicalResult Lowering::lowerHostConcat(qnn::ConcatOp op) {
  if (op.getAxis() != 1)
    return error(op, "concat along axis ")
           << op.getAxis() << " (only channel concats are supported)";
  dlprt::HostSegment s;
  s.kind = dlprt::HostOpKind::Concat;
  for (Value v : op.getInputs())
    s.inputs.push_back(tensorOf(v));
  s.outputs.push_back(tensorOf(op.getOutput()));
  host.push_back(std::move(s));
  em.barrier(risa::Opcode::Host, op.getLoc(),
             {{"segment", int64_t(host.size() - 1)}});
  return success();
}

LogicalResult Lowering::lowerHostTable(qnn::TableOp op) {
  ArrayRef<int8_t> t = op.getTable();
  dlprt::HostSegment s;
  s.kind = dlprt::HostOpKind::Table;
  uint32_t in = tensorOf(op.getInput());
  s.inputs.push_back(in);
  // The result keeps the input's storage (a flattened view's too).
  TensorRec like = tensors[in];
  s.outputs.push_back(tensorLike(op.getOutput(), like));
  s.constOffset = addConst(
      ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(t.data()), t.size()));
  s.constBytes = t.size();
  host.push_back(std::move(s));
  em.barrier(risa::Opcode::Host, op.getLoc(),
             {{"segment", int64_t(host.size() - 1)}});
  return success();
}

LogicalResult Lowering::lowerHostChannelMul(qnn::ChannelMulOp op) {
  auto fmap = [](Value v) {
    return qnn::encodingOf<qnn::FmapAttr>(cast<RankedTensorType>(v.getType()));
  };
  qnn::FmapAttr fx = fmap(op.getInput()), fg = fmap(op.getGate()),
                fy = fmap(op.getOutput());
  dlprt::HostSegment s;
  s.kind = dlprt::HostOpKind::ChannelMul;
  uint32_t in = tensorOf(op.getInput());
  s.inputs = {in, uint32_t(tensorOf(op.getGate()))};
  // The result keeps the input's storage.
  TensorRec like = tensors[in];
  s.outputs.push_back(tensorLike(op.getOutput(), like));
  int64_t channels = op.getInput().getType().getDimSize(1);
  for (int64_t c = 0; c < channels; ++c)
    s.params.push_back(
        dlprt::kernels::channelMulShift(fx.at(c), fg.at(c), fy.at(c)));
  host.push_back(std::move(s));
  em.barrier(risa::Opcode::Host, op.getLoc(),
             {{"segment", int64_t(host.size() - 1)}});
  return success();
}

LogicalResult Lowering::lowerOp(Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](qnn::QuantizeOp q) -> LogicalResult {
        if (tensorIndex.count(q.getOutput()))
          return success(); // a model input (run())
        return lowerHostFloat(op);
      })
      .Case([&](qnn::DequantizeOp d) -> LogicalResult {
        // Returned: the runtime dequantizes the int8 tensor. Used by float
        // ops: a host segment dequantizes it into a float tensor.
        if (llvm::all_of(d->getUsers(),
                         [](Operation *u) { return isa<func::ReturnOp>(u); }))
          return success();
        return lowerHostFloat(op);
      })
      .Case([&](func::ReturnOp r) -> LogicalResult {
        auto f = r->getParentOfType<func::FuncOp>();
        for (auto [i, v] : llvm::enumerate(r.getOperands())) {
          // A float constant (written by a FloatConst segment), a
          // dequantized int8 tensor (the runtime dequantizes it) or a float
          // tensor of a host segment.
          Operation *def = v.getDefiningOp();
          if (def && def->getName().getStringRef() == "arith.constant") {
            if (!readFloatConstant(v))
              return error(def, "cannot read the constant output");
            outputs.push_back(floatConstTensor(def->getLoc(), v));
            // Named as the graph output (a constant has no layer name).
            if (auto name = f.getResultAttrOfType<StringAttr>(unsigned(i),
                                                               "onnx.name"))
              tensors[outputs.back()].name = name.str();
            continue;
          }
          auto d = v.getDefiningOp<qnn::DequantizeOp>();
          outputs.push_back(d ? tensorOf(d.getInput()) : tensorOf(v));
        }
        return success();
      })
      .Case([&](qnn::ConvOp c) {
        return onArray(c) ? lowerConv(c) : lowerHostConv(c);
      })
      .Case([&](qnn::FullyConnectedOp fc) { return lowerFullyConnected(fc); })
      .Case([&](qnn::TableOp t) { return lowerHostTable(t); })
      .Case([&](qnn::ChannelMulOp m) { return lowerHostChannelMul(m); })
      .Case<qnn::MaxPoolOp, qnn::AvgPoolOp, qnn::GlobalAvgPoolOp>(
          [&](Operation *p) { return lowerPool(p); })
      .Case<qnn::AddOp, qnn::RequantizeOp, qnn::ClampOp>(
          [&](Operation *e) { return lowerEltwise(e); })
      .Case([&](qnn::FlattenOp fl) -> LogicalResult {
        // A view: the same channel-blocked bytes (the logical order of any
        // flatten is the row-major order of its input).
        TensorRec in = rec(fl.getInput());
        auto type = cast<RankedTensorType>(fl.getOutput().getType());
        auto inType = cast<RankedTensorType>(fl.getInput().getType());
        in.name = layerName(op);
        if (type.getDimSize(0) == inType.getDimSize(0))
          in.shape = {1, type.getDimSize(1)}; // the batch stays apart
        else if (inType.getDimSize(0) == 1 && !type.isDynamicDim(0))
          in.shape = {type.getDimSize(0), type.getDimSize(1)};
        else
          return batchError(
              op, "a flatten that merges the batch axis into other dimensions");
        tensors.push_back(std::move(in));
        tensorIndex[fl.getOutput()] = tensors.size() - 1;
        return success();
      })
      .Case([&](qnn::ConcatOp cat) -> LogicalResult {
        if (presetOffset.count(cat.getInputs().front())) {
          // Stored in place: only the descriptor (already allocated).
          tensors[tensorOf(cat.getOutput())].name = layerName(op);
          return success();
        }
        return lowerHostConcat(cat);
      })
      .Case<qnn::ConstantOp>([](Operation *) { return success(); })
      .Default([&](Operation *) -> LogicalResult {
        if (op->getName().getStringRef() == "arith.constant")
          return success();
        if (op->getDialect() &&
            op->getDialect()->getNamespace() == "nn")
          return lowerHostFloat(op);
        return error(op, "the op has no DLP lowering and no host kernel yet");
      });
}

bool Lowering::batchAxis(Type type) const {
  auto t = dyn_cast<RankedTensorType>(type);
  return !singleImage && t && t.getRank() > 0;
}

LogicalResult Lowering::run(func::FuncOp f) {
  singleImage = runsAsOneImage(f);
  for (BlockArgument a : f.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(a.getType());
    // Quantized inputs are feature maps (rank 2 and more); float inputs of
    // host segments may have any rank; both at most 8.
    bool quantized = a.hasOneUse() && isa<qnn::QuantizeOp>(*a.user_begin());
    if (!type || type.getRank() < (quantized ? 2 : 1) || type.getRank() > 8)
      return f.emitError() << "cannot compile for the DLP: argument #"
                           << a.getArgNumber() << " is not a rank "
                           << (quantized ? "2-8" : "1-8") << " tensor";
    for (int64_t d = 1; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        return f.emitError() << "cannot compile for the DLP: argument #"
                             << a.getArgNumber() << " has a dynamic dimension "
                             << d << " (only the batch may be dynamic)";
  }
  // Model inputs, in argument order: each argument is quantized once on
  // entry (the runtime quantizes the float input into that tensor).
  for (BlockArgument a : f.getArguments()) {
    SmallVector<Operation *> users(a.getUsers());
    auto q = users.size() == 1 ? dyn_cast<qnn::QuantizeOp>(users[0])
                               : qnn::QuantizeOp();
    // Quantized once on entry: an int8 input the runtime quantizes into.
    // Otherwise a float input that host segments read.
    int idx = q ? tensorOf(q.getOutput()) : tensorOf(a);
    auto name = f.getArgAttrOfType<StringAttr>(a.getArgNumber(), "onnx.name");
    tensors[idx].name =
        name ? name.str() : "arg" + std::to_string(a.getArgNumber());
    inputs.push_back(idx);
  }
  planFusion(f);
  planConcats(f);
  // Where each op is lowered (a fused epilogue with its conv), and so where
  // each value's last reader is (the runtime reads the outputs from DDR).
  llvm::DenseMap<Operation *, unsigned> at;
  for (Operation &op : f.getBody().front())
    at[&op] = at.size();
  for (auto [conv, epi] : fusedEpilogue)
    at[epi] = at.lookup(conv);
  for (Operation &op : f.getBody().front())
    for (Value v : op.getResults())
      for (Operation *user : v.getUsers())
        if (!isa<func::ReturnOp>(user))
          lastReader[v] = std::max(lastReader.lookup(v), at.lookup(user));
  for (Operation &op : f.getBody().front()) {
    if (fused.count(&op))
      continue; // lowered with the layer that feeds it
    position = at.lookup(&op);
    if (failed(lowerOp(&op)))
      return failure();
    // A map read by a layer after the next stays on chip until then
    // (Lowering::held); maps no later layer reads are let go.
    llvm::erase_if(held, [&](const OnChip &m) { return !readLater(m.value); });
    if (keepOnChip && onChip.emitted == em.numInstructions() &&
        onChip.value && readLater(onChip.value) && !heldOf(onChip.value))
      held.push_back(onChip);
    if (!isa<qnn::ConstantOp, func::ReturnOp>(op) &&
        op.getName().getStringRef() != "arith.constant")
      ++layerIndex;
  }
  em.barrier(risa::Opcode::End, f.getLoc());
  return success();
}

namespace {
struct ConvertQNNToDLPPass
    : public dlp::impl::ConvertQNNToDLPBase<ConvertQNNToDLPPass> {
  using Base::Base;
  std::shared_ptr<const dlprt::TargetConfig> target;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!target) {
      if (targetFile.empty()) {
        module.emitError("convert-qnn-to-dlp needs a target "
                         "(target=hw/configs/small.json)");
        return signalPassFailure();
      }
      auto cfg = dlprt::loadTargetConfig(targetFile);
      if (!cfg) {
        module.emitError() << llvm::toString(cfg.takeError());
        return signalPassFailure();
      }
      target = std::make_shared<dlprt::TargetConfig>(std::move(*cfg));
    }
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    if (funcs.size() != 1) {
      module.emitError() << "convert-qnn-to-dlp expects one function, found "
                         << funcs.size();
      return signalPassFailure();
    }
    func::FuncOp f = funcs.front();
    if (csrDensity < 0 || csrDensity > 1) {
      std::string text;
      llvm::raw_string_ostream(text) << llvm::format("%g", double(csrDensity));
      module.emitError() << "csr-density " << text << " outside [0, 1]";
      return signalPassFailure();
    }
    if (csrDensity > 0 && !target->csr()) {
      module.emitError() << "csr-density given but target '" << target->name
                         << "' has no CSR decoder";
      return signalPassFailure();
    }
    // loop-order: `output` / `weight` for every layer, NAME=... for one.
    llvm::StringMap<LoopOrder> forced;
    std::optional<LoopOrder> forcedAll;
    for (const std::string &entry : loopOrder) {
      StringRef e(entry), name, value = e;
      if (size_t eq = e.rfind('='); eq != StringRef::npos)
        name = e.take_front(eq), value = e.drop_front(eq + 1);
      std::optional<LoopOrder> order;
      if (value == "output")
        order = LoopOrder::OutputStationary;
      else if (value == "weight")
        order = LoopOrder::WeightStationary;
      if (!order || (e.contains('=') && name.empty())) {
        module.emitError() << "loop-order entry '" << entry
                           << "': expected 'output', 'weight' or "
                              "NAME=output|weight";
        return signalPassFailure();
      }
      if (e.contains('='))
        forced[name] = *order;
      else
        forcedAll = order;
    }
    std::optional<bool> overlappingPools;
    if (fuseOverlappingPools == "true" || fuseOverlappingPools == "false") {
      overlappingPools = fuseOverlappingPools == "true";
    } else if (fuseOverlappingPools != "auto") {
      module.emitError() << "fuse-overlapping-pools '" << fuseOverlappingPools
                         << "': expected 'auto', 'true' or 'false'";
      return signalPassFailure();
    }
    // The tile search's lowerings share each layer's weights and parameters.
    std::shared_ptr<GemmCache> cache =
        tileSearch ? std::make_shared<GemmCache>() : nullptr;
    OpBuilder b(module.getContext());
    bool keepOnChip = fmapsOnChip, onTop = mapsOnTop;
    // One lowering of f into a new dlp.program after it (instructions only;
    // the descriptors are added to the one that is kept); `live`: the DDR
    // ranges a first lowering read (dead-store elision).
    using Ranges = Lowering::DdrRanges;
    auto lowerWith = [&](std::function<TileChoice(unsigned)> choice,
                         std::unique_ptr<Lowering> &low,
                         std::optional<Ranges> live) -> device::ProgramOp {
      b.setInsertionPointAfter(f);
      auto prog = device::ProgramOp::create(
          b, f.getLoc(), b.getStringAttr(target->toJSON()),
          b.getI64IntegerAttr(0), b.getDenseI32ArrayAttr({}),
          b.getDenseI32ArrayAttr({}));
      prog.getBody().push_back(new Block());
      b.setInsertionPointToEnd(&prog.getBody().front());
      low = std::make_unique<Lowering>(*target, b);
      low->csrDensity = csrDensity;
      low->packTaps = packTaps;
      low->keepOnChip = keepOnChip;
      low->mapsOnTop = onTop;
      low->residualGemm = residualGemm;
      low->mergeStores = mergeStores;
      low->mergeWeightLoads = mergeWeightLoads;
      low->overlappingPools = overlappingPools;
      low->tileChoiceOf = std::move(choice);
      low->forcedOrder = forced;
      low->forcedOrderAll = forcedAll;
      low->gemmCache = cache;
      low->liveDdr = std::move(live);
      if (failed(low->run(f))) {
        prog.erase();
        return nullptr;
      }
      return prog;
    };
    // With elide-dead-stores, the lowering again without the STOREs of the
    // maps it never read from DDR. Kept when that one reads none of them
    // either (the same tiling and placement decide the same reads; checked,
    // not assumed), else the first.
    auto lowerOnce = [&](std::function<TileChoice(unsigned)> choice,
                         std::unique_ptr<Lowering> &low) -> device::ProgramOp {
      device::ProgramOp prog = lowerWith(choice, low, std::nullopt);
      if (!prog || !elideDeadStores)
        return prog;
      // Only where a STORE writes a map nothing reads.
      Ranges reads = low->ddrReads();
      if (llvm::all_of(low->ddrStored, [&](const auto &s) {
            return Lowering::overlap(reads, {s});
          }))
        return prog;
      std::unique_ptr<Lowering> second;
      device::ProgramOp again;
      {
        // The first lowering said what there is to say.
        ScopedDiagnosticHandler quiet(module.getContext(),
                                      [](Diagnostic &) { return success(); });
        again = lowerWith(choice, second, std::move(reads));
      }
      if (!again)
        return prog;
      if (second->unstored.empty() ||
          Lowering::overlap(second->ddrReads(), second->unstored)) {
        again.erase();
        return prog;
      }
      prog.erase();
      low = std::move(second);
      return again;
    };
    // A quantized model of one static batch above 1 runs image by image
    // unless an op mixes the batch: then its quantized ops are unrolled per
    // image and the program is the whole batch (unrollBatch). A probe
    // lowering, its diagnostics held back, finds such an op; without the
    // tile search, a probe that succeeded with nothing to say is the
    // program.
    std::unique_ptr<Lowering> lowPtr;
    device::ProgramOp prog;
    if (!runsAsOneImage(f) && modelBatch(f) > 1) {
      bool mixing = false, said = false;
      {
        ScopedDiagnosticHandler quiet(module.getContext(), [&](Diagnostic &) {
          said = true;
          return success();
        });
        prog = lowerOnce(nullptr, lowPtr);
        mixing = !prog && lowPtr && lowPtr->batchMixing;
      }
      if (prog && (tileSearch || said)) {
        prog.erase();
        prog = nullptr;
      }
      if (mixing) {
        if (failed(unrollBatch(f)))
          return signalPassFailure();
        // (The probe's cached layers belong to ops now erased.)
        cache = tileSearch ? std::make_shared<GemmCache>() : nullptr;
      }
    }
    if (!prog && tileSearch) {
      uint64_t gain = 0;
      std::optional<uint64_t> bestCycles;
      prog = searchTiles(lowerOnce, module.getContext(), lowPtr, gain,
                         bestCycles);
      numTileSearchGain = gain;
      // Whether a layer's output stays on chip, and where in FBUF, changes
      // what later layers cost, which the per-layer choice does not see:
      // the search without it, and with the other placement, too; the
      // fastest program kept (the first at a tie).
      auto tryAlso = [&](bool keep, bool top) {
        keepOnChip = keep;
        onTop = top;
        std::unique_ptr<Lowering> altLow;
        uint64_t altGain = 0;
        std::optional<uint64_t> altCycles;
        device::ProgramOp alt;
        {
          // Its failure is not the compile's: the program above stands.
          ScopedDiagnosticHandler silence(
              module.getContext(), [](Diagnostic &) { return success(); });
          alt = searchTiles(lowerOnce, module.getContext(), altLow, altGain,
                            altCycles);
        }
        if (alt && altCycles && (!bestCycles || *altCycles < *bestCycles)) {
          prog.erase();
          prog = alt;
          lowPtr = std::move(altLow);
          numTileSearchGain = altGain;
          bestCycles = altCycles;
        } else if (alt) {
          alt.erase();
        }
      };
      // (The other placement only where it may change something: an add
      // that read its operand on chip but not in place.)
      if (prog && fmapsOnChip) {
        if (llvm::any_of(lowPtr->gemmLayers, [](const GemmLayerInfo &l) {
              return l.addNotInPlace;
            }))
          tryAlso(true, !mapsOnTop);
        tryAlso(false, mapsOnTop);
      }
    } else if (!prog) {
      prog = lowerOnce(nullptr, lowPtr);
    }
    if (!prog)
      return signalPassFailure();
    Lowering &low = *lowPtr;
    for (const auto &e : forced)
      if (llvm::none_of(low.gemmLayers, [&](const GemmLayerInfo &l) {
            return modelLayerName(l.names.front()) == e.getKey();
          })) {
        prog.erase();
        module.emitError() << "loop-order names '" << e.getKey()
                           << "', which is not a conv / fully-connected "
                              "layer lowered to GEMMs";
        return signalPassFailure();
      }
    if (reportTiles)
      for (const GemmLayerInfo &l : low.gemmLayers)
        emitRemark(l.op->getLoc())
            << "'" << l.names.front() << "' tiled " << l.summary;
    Block *body = &prog.getBody().front();
    // Descriptors and constants go before the instructions.
    b.setInsertionPointToStart(body);
    std::vector<uint8_t> &cd = low.constData;
    device::ConstDataOp::create(
        b, f.getLoc(),
        dlp::createI8ResourceAttr(module.getContext(), {int64_t(cd.size())},
                                  "dlp_const",
                                  [&](llvm::MutableArrayRef<int8_t> out) {
                                    std::memcpy(out.data(), cd.data(),
                                                cd.size());
                                  }));
    // The tensor table: every map still in DDR. With elide-dead-stores, the
    // maps whose STOREs were left out are not, nor any other view of their
    // bytes (a flattened map): nothing reads them. A host segment's or the
    // model's tensor stays (a host output nothing reads holds the host's
    // data). Indices renumbered.
    Lowering::DdrRanges gone = Lowering::normalized(low.unstored);
    llvm::DenseSet<uint32_t> referenced(low.inputs.begin(), low.inputs.end());
    referenced.insert(low.outputs.begin(), low.outputs.end());
    for (const dlprt::HostSegment &s : low.host) {
      referenced.insert(s.inputs.begin(), s.inputs.end());
      referenced.insert(s.outputs.begin(), s.outputs.end());
    }
    std::vector<int32_t> index(low.tensors.size(), -1);
    int32_t kept = 0;
    for (size_t i = 0; i < low.tensors.size(); ++i) {
      const TensorRec &r = low.tensors[i];
      if (!referenced.contains(uint32_t(i)) &&
          Lowering::overlap(gone, {r.ddrRange(low.L)}))
        continue;
      index[i] = kept++;
      device::TensorOp::create(b, f.getLoc(), r.name, r.shape,
                               int64_t(r.offset), {r.C, r.H, r.W}, r.frac,
                               r.fracBlock, r.isFloat ? 1u : 0u);
    }
    auto renumber = [&](ArrayRef<uint32_t> ids) {
      std::vector<int32_t> out;
      for (uint32_t i : ids) {
        assert(index[i] >= 0 && "a tensor read or written by the host, or "
                                "a model input / output, has its stores");
        out.push_back(index[i]);
      }
      return out;
    };
    for (const dlprt::HostSegment &s : low.host) {
      std::vector<int32_t> in = renumber(s.inputs), out = renumber(s.outputs);
      device::HostSegmentOp::create(b, f.getLoc(), uint32_t(s.kind), in, out,
                                 s.params, int64_t(s.constOffset),
                                 int64_t(s.constBytes));
    }
    std::vector<int32_t> ins = renumber(low.inputs),
                         outs = renumber(low.outputs);
    prog.setDataBytes(std::max<uint64_t>(low.dataBytes, 64));
    prog.setInputs(ins);
    prog.setOutputs(outs);
    numInstructions = low.em.numInstructions();
    numGemms = low.numGemms;
    numHost = low.host.size();
    numSyncs = low.em.numSyncs();
    constBytes = cd.size();
    f.erase();
  }
};
} // namespace

std::unique_ptr<Pass>
dlp::createConvertQNNToDLP(std::shared_ptr<const dlprt::TargetConfig> target,
                           const ConvertQNNToDLPOptions &options) {
  auto pass = std::make_unique<ConvertQNNToDLPPass>(options);
  pass->target = std::move(target);
  return pass;
}

//===- GemmWeights.cpp - weight codes, parameters and WBUF rows -----------===//
//
// A GEMM layer's weights as the DDR rows its LOADs bring into WBUF: per
// block of Q output channels and K chunk, dense weight rows (docs/isa.md
// section 1), one CSR stream (section 3.7) or window-sparse rows (3.8).
// None of it depends on the
// tiling, so the tile search's lowerings share it (GemmCache).
//
//===----------------------------------------------------------------------===//

#include "GemmLayer.h"
#include "dlp/Support/Constants.h"
#include "dlprt/Csr.h"
#include "dlprt/CycleModel.h"
#include "dlprt/Window.h"

#include <map>

using namespace mlir;
using namespace dlp;
using namespace dlp::conv;
namespace risa = dlprt::isa;

namespace {
/// DDR row of Q weights and the alignment (docs/isa.md section 1).
void appendRow(std::vector<uint8_t> &out, risa::WFmt fmt, const int8_t *w,
               int64_t Q, int32_t align) {
  if (fmt == risa::WFmt::Pow2) {
    for (int64_t q = 0; q < Q; q += 2)
      out.push_back(
          uint8_t((w[q] & 0xf) | ((q + 1 < Q ? w[q + 1] & 0xf : 0) << 4)));
  } else {
    for (int64_t q = 0; q < Q; ++q)
      out.push_back(uint8_t(w[q]));
  }
  out.push_back(uint8_t(align));
}

/// Whether a layer's weights `w` go as CSR streams (GemmLayer::csr).
bool wantsCsr(const Lowering &lw, Operation *op,
              const std::vector<int8_t> &w) {
  if (!lw.t.csr() || w.empty())
    return false;
  // The precision config's per-layer choice (`"csr": {layer: bool}`,
  // carried by the quantizer as `dlp.csr`) overrides the threshold.
  if (auto a = op->getAttrOfType<BoolAttr>("dlp.csr"))
    return a.getValue();
  if (lw.csrDensity <= 0)
    return false;
  int64_t nonZero =
      std::count_if(w.begin(), w.end(), [](int8_t v) { return v != 0; });
  return double(nonZero) < lw.csrDensity * double(w.size());
}

std::shared_ptr<const WeightRows> packUncached(Lowering &lw, const GemmLayer &g,
                                               int64_t perChunk) {
  const dlprt::TargetConfig &t = lw.t;
  const int64_t L = lw.L, Q = lw.Q;
  auto wr = std::make_shared<WeightRows>();
  WeightRows &W = *wr;
  int64_t taps = g.kh * g.kw;
  W.nQb = (g.O + Q - 1) / Q;
  W.perChunk = perChunk;
  W.nChunks = (g.units + perChunk - 1) / perChunk;
  int64_t bankRows = t.wbufBankRows();
  // Weight rows: [qb][chunk][tap][unit in chunk][lane], Q codes each. The
  // source column and alignment of each row are the same for every block;
  // a block's codes are gathered one output channel (one contiguous weight
  // row) at a time.
  std::vector<int64_t> cols;
  std::vector<int32_t> aligns;
  for (int64_t c = 0; c < W.nChunks; ++c) {
    W.chunkStart.push_back(cols.size());
    int64_t u0 = c * perChunk, u1 = std::min(g.units, u0 + perChunk);
    W.chunkRowCount.push_back(taps * (u1 - u0) * L);
    for (int64_t tap = 0; tap < taps; ++tap)
      for (int64_t u = u0; u < u1; ++u)
        for (int64_t l = 0; l < L; ++l) {
          cols.push_back(g.column(u, tap, l));
          int32_t a = g.align(u, l);
          if (a < 0 || a > 31) {
            lw.error(g.op, "input alignment shift ") << a << " outside [0, 31]";
            return nullptr;
          }
          aligns.push_back(a);
        }
  }
  W.perQb = cols.size();
  W.rowCount = W.nQb * W.perQb;
  std::vector<uint8_t> &rows = W.bytes;
  rows.reserve(W.rowCount * t.rowBytes(g.fmt));
  std::vector<int8_t> codes(W.perQb * Q);
  // Window-sparse rows (docs/isa.md 3.8) on a target with the array, for
  // pow2 codes (windows of `window` steps, each `slots` steps per output
  // pixel), kept when the layer's roofline with them (array steps or DDR
  // bytes of weights, whichever takes longer) is below the dense rows'.
  bool win = windowCandidate(t, g) && perChunk <= int64_t(risa::kWinMaxCb);
  std::vector<uint8_t> winBytes;
  // Array steps of the layer's pixels by the cycle model's rule, as if one
  // tile held them all (the GEMMs' row bands group them a little
  // differently; a fully-connected layer's one pixel a whole group): a
  // window of `slots` steps (a dense step: 1) costs each pixel group the
  // longer of them and its FBUF bank conflicts, summed over the groups
  // once per slot count.
  const dlprt::CycleParams timing = dlprt::CycleParams::fromTarget(t);
  dlprt::ArrayWork work;
  work.outH = uint64_t(g.outH);
  work.outW = uint64_t(g.outW);
  work.inW = uint64_t(g.inW);
  work.strideH = uint64_t(g.sh);
  work.strideW = uint64_t(g.sw);
  work.steps = 1;
  std::map<uint64_t, uint64_t> perWindow;
  auto groupsOf = [&](uint64_t slots) {
    auto [it, added] = perWindow.try_emplace(slots, 0);
    if (added) {
      work.slots = slots;
      it->second = dlprt::arraySteps(work, timing);
    }
    return it->second;
  };
  uint64_t denseSteps = 0, winSteps = 0;
  const int64_t width = t.rowBytes(risa::WFmt::Csr);
  for (int64_t qb = 0; qb < W.nQb; ++qb) {
    std::fill(codes.begin(), codes.end(), 0);
    for (int64_t q = 0, nq = std::min(Q, g.O - qb * Q); q < nq; ++q) {
      const int8_t *src = g.w->data() + (qb * Q + q) * g.oStride;
      for (int64_t r = 0; r < W.perQb; ++r)
        if (cols[r] >= 0)
          codes[r * Q + q] = src[cols[r]];
    }
    for (int64_t r = 0; r < W.perQb; ++r)
      appendRow(rows, g.fmt, codes.data() + r * Q, Q, aligns[r]);
    for (int64_t c = 0; c < W.nChunks && win; ++c) {
      int64_t steps = W.chunkRowCount[c] / L;
      int64_t nU = steps / taps;
      const int8_t *chunk = codes.data() + W.chunkStart[c] * Q;
      uint32_t slots = dlprt::windowSlots(chunk, uint64_t(steps), uint32_t(L),
                                          uint32_t(Q), t.window);
      // The alignments of the chunk's units: its first tap's rows.
      std::vector<uint8_t> st = dlprt::encodeWindowRows(
          chunk, aligns.data() + W.chunkStart[c], uint64_t(steps),
          uint64_t(nU), uint32_t(L), uint32_t(Q), t.window, slots);
      denseSteps += uint64_t(steps) * groupsOf(1);
      winSteps +=
          dlprt::windowCount(uint64_t(steps), t.window) * groupsOf(slots);
      // A group of rows must fit a weight bank, as a dense chunk does
      // (streamed per chunk into alternate banks); else the layer stays
      // dense.
      if (int64_t(st.size()) / width > bankRows)
        win = false;
      W.csrStart.push_back(int64_t(winBytes.size()) / width);
      W.csrRows.push_back(int64_t(st.size()) / width);
      W.winSlots.push_back(slots);
      winBytes.insert(winBytes.end(), st.begin(), st.end());
    }
  }
  auto roofline = [&](uint64_t steps, size_t bytes) {
    return std::max(double(steps), double(bytes) / t.ddrBytesPerCycle);
  };
  if (win && roofline(winSteps, winBytes.size()) <
                 roofline(denseSteps, rows.size())) {
    rows = std::move(winBytes);
    W.rowCount = int64_t(rows.size()) / width;
    W.win = true;
    W.loadFmt = risa::WFmt::Csr;
    return wr;
  }
  W.csrStart.clear();
  W.csrRows.clear();
  W.winSlots.clear();
  // CSR (a layer below the --csr-density, or as the precision config
  // says): each (block, chunk) is one GEMM_CSR stream (docs/isa.md 3.7) of
  // whole WBUF rows, laid out one after the other.
  if (auto a = g.op->getAttrOfType<BoolAttr>("dlp.csr");
      a && a.getValue() && !t.csr()) {
    lw.error(g.op, "the precision config asks for CSR weights but the "
                   "target has no CSR decoder");
    return nullptr;
  }
  bool csr = g.csr;
  if (csr) {
    std::vector<uint8_t> streams;
    int64_t width = t.rowBytes(risa::WFmt::Csr);
    for (int64_t qb = 0; qb < W.nQb && csr; ++qb)
      for (int64_t c = 0; c < W.nChunks && csr; ++c) {
        int64_t n = W.chunkRowCount[c];
        std::vector<int8_t> blk(n * Q);
        std::vector<int32_t> al(n);
        for (int64_t r = 0; r < n; ++r) {
          al[r] = aligns[W.chunkStart[c] + r];
          // Codes of row r (the dense rows hold them packed; re-gather).
          for (int64_t q = 0, nq = std::min(Q, g.O - qb * Q); q < nq; ++q) {
            int64_t col = cols[W.chunkStart[c] + r];
            blk[r * Q + q] =
                col >= 0 ? (*g.w)[(qb * Q + q) * g.oStride + col] : 0;
          }
        }
        std::vector<uint8_t> st =
            dlprt::encodeCsr(blk.data(), al.data(), n, uint32_t(Q), g.fmt);
        int64_t nr = (int64_t(st.size()) + width - 1) / width;
        // A stream must fit a bank and its rows the decoder's dense
        // buffer; a denser chunk than the dense rows stays dense (the
        // whole layer).
        if (nr > bankRows || n > int64_t(t.csrDenseRows) || nr > n) {
          csr = false;
          break;
        }
        st.resize(nr * width, 0);
        W.csrStart.push_back(int64_t(streams.size()) / width);
        W.csrRows.push_back(nr);
        streams.insert(streams.end(), st.begin(), st.end());
      }
    if (csr) {
      rows = std::move(streams);
      W.rowCount = int64_t(rows.size()) / width;
    }
  }
  W.csr = csr;
  W.loadFmt = csr ? risa::WFmt::Csr : g.fmt;
  return wr;
}
} // namespace

std::shared_ptr<const WeightRows>
dlp::conv::packWeights(Lowering &lw, const GemmLayer &g, int64_t perChunk) {
  if (!lw.gemmCache)
    return packUncached(lw, g, perChunk);
  auto key = std::make_pair(g.op, perChunk);
  auto it = lw.gemmCache->rows.find(key);
  if (it != lw.gemmCache->rows.end())
    return it->second;
  std::shared_ptr<const WeightRows> w = packUncached(lw, g, perChunk);
  if (w)
    lw.gemmCache->rows[key] = w;
  return w;
}

LogicalResult dlp::conv::prepareGemm(Lowering &lw, Operation *op, Value weight,
                                     Value bias, Value input, Value output,
                                     int64_t K,
                                     std::function<int32_t(int64_t)> actMin,
                                     std::function<int32_t(int64_t)> actMax,
                                     GemmLayer &g, int32_t &fmax) {
  if (lw.gemmCache) {
    auto it = lw.gemmCache->prepared.find(op);
    if (it != lw.gemmCache->prepared.end()) {
      const GemmCache::Prepared &p = it->second;
      g.w = p.w;
      g.fmt = p.fmt;
      g.O = p.O;
      g.params = p.params;
      g.csr = p.csr;
      fmax = p.fmax;
      return success();
    }
  }
  auto wType = cast<RankedTensorType>(weight.getType());
  auto wConst = weight.getDefiningOp<qnn::ConstantOp>();
  if (!wConst)
    return lw.error(op, "the weight is not a qnn.constant");
  auto codes = readI8Constant(wConst.getValue());
  if (!codes)
    return lw.error(op, "cannot read the weight constant");
  g.w = std::make_shared<std::vector<int8_t>>(codes->data.begin(),
                                              codes->data.end());
  Attribute enc = wType.getEncoding();
  g.fmt = isa<qnn::Pow2Attr>(enc) ? risa::WFmt::Pow2 : risa::WFmt::Int8;
  if ((g.fmt == risa::WFmt::Pow2 && !lw.t.pow2Weights) ||
      (g.fmt == risa::WFmt::Int8 && !lw.t.int8Weights))
    return lw.error(op, "the target has no ")
           << (g.fmt == risa::WFmt::Pow2 ? "pow2" : "int8")
           << " weight support";
  auto fin = qnn::encodingOf<qnn::FmapAttr>(input.getType());
  auto fout = qnn::encodingOf<qnn::FmapAttr>(output.getType());
  g.O = wType.getDimSize(0);
  SmallVector<int32_t> accFrac = qnn::accumulatorFracs(fin, enc, g.O, K, 1);
  // The alignment of input i is (F_o + lsb_o) - f_i: the same for every o
  // (F_o = max_i f_i - lsb_o, docs/isa.md section 3.3).
  fmax = accFrac[0] + qnn::weightLsb(enc, 0);
  for (int64_t o = 1; o < g.O; ++o)
    if (accFrac[o] + qnn::weightLsb(enc, o) != fmax)
      return lw.error(op, "accumulator scales are not the derived ones");
  std::optional<ConstantData<int32_t>> b;
  if (bias) {
    auto bConst = bias.getDefiningOp<qnn::ConstantOp>();
    if (bConst)
      b = readI32Constant(bConst.getValue());
    if (!b)
      return lw.error(op, "cannot read the bias constant");
  }
  std::string why = qnn::proveNoOverflow(
      op, *g.w, b ? ArrayRef<int32_t>(b->data) : ArrayRef<int32_t>());
  if (!why.empty())
    return lw.error(op, "its int32 accumulator could overflow (") << why << ")";
  g.params.resize(g.O);
  for (int64_t o = 0; o < g.O; ++o) {
    Lowering::ChannelParams &p = g.params[o];
    p.bias = b ? b->data[o] : 0;
    p.shift = accFrac[o] - fout.at(o);
    p.actMin = std::clamp(actMin(o), -128, 127);
    p.actMax = std::clamp(actMax(o), -128, 127);
  }
  g.csr = wantsCsr(lw, op, *g.w);
  if (lw.gemmCache)
    lw.gemmCache->prepared[op] = {g.w, g.fmt, g.O, g.params, fmax, g.csr};
  return success();
}

//===- LowerGemm.cpp - conv / fully-connected layers to GEMM tiles --------===//
//
// A layer is K x P = (taps x input channels) x output channels. Weight rows
// (docs/isa.md section 1) are packed per block of Q output channels and per
// K chunk that fits a weight bank; output rows are tiled in bands whose
// input rows, output tile and accumulators fit the buffers (ping-pong when
// two fit). Each (band, output block, K chunk) is one GEMM instruction.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "dlp/Support/Constants.h"
#include "dlprt/Csr.h"
#include "dlprt/Numerics.h"

using namespace mlir;
using namespace dlp;
using namespace dlp::conv;
namespace risa = dlprt::isa;
namespace num = dlprt::num;

namespace {
/// Everything the tiler needs to know about one GEMM layer.
struct GemmLayer {
  Operation *op;
  /// Position among the function's GEMM layers (Lowering::gemmLayers).
  unsigned index = 0;
  int inT, outT; ///< tensor indices (outT: -1 when an epilogue op is fused)
  /// A pool or residual add fused after the epilogue (planFusion), or null.
  Operation *epi = nullptr;
  /// Input units: channel blocks (conv) or storage vectors (FC); each unit
  /// has `rowsPerUnit / L` taps.
  int64_t units, inH, inW, outH, outW, kh, kw, sh, sw, dh, dw, pt, pl;
  int64_t O;
  bool fc;
  risa::WFmt fmt;
  /// The weight integers (output channel o's at o * oStride), the column
  /// of (unit, tap, lane) in a row of them (-1: a padding channel), and
  /// the alignment of (unit, lane). Called once per weight row.
  std::shared_ptr<std::vector<int8_t>> w;
  int64_t oStride = 0;
  std::function<int64_t(int64_t, int64_t, int64_t)> column;
  std::function<int32_t(int64_t, int64_t)> align;
  std::vector<Lowering::ChannelParams> params;
};

/// DDR row of Q weights and the alignment (docs/isa.md section 1).
void appendRow(std::vector<uint8_t> &out, risa::WFmt fmt, const int8_t *w,
               int64_t Q, int32_t align) {
  if (fmt == risa::WFmt::Pow2) {
    for (int64_t q = 0; q < Q; q += 2)
      out.push_back(uint8_t((w[q] & 0xf) | ((q + 1 < Q ? w[q + 1] & 0xf : 0)
                                            << 4)));
  } else {
    for (int64_t q = 0; q < Q; ++q)
      out.push_back(uint8_t(w[q]));
  }
  out.push_back(uint8_t(align));
}

LogicalResult emitGemmLayer(Lowering &lw, GemmLayer &g) {
  const dlprt::TargetConfig &t = lw.t;
  const int64_t L = lw.L, Q = lw.Q;
  Location loc = g.op->getLoc();
  int64_t taps = g.kh * g.kw;
  int64_t nQb = (g.O + Q - 1) / Q;
  int64_t bankRows = t.wbufBankRows();
  int64_t perChunk = std::min<int64_t>(g.units, bankRows / (taps * L));
  if (perChunk < 1)
    return lw.error(g.op, "a ") << g.kh << "x" << g.kw
                                << " kernel does not fit a weight bank";
  // Band height R: input rows, output tile and accumulators must fit.
  auto inRows = [&](int64_t r) {
    return g.fc ? 1 : std::min(g.inH, (r - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  };
  // Input units on chip at a time: all of them (loaded once per band), or
  // with `chunkedInput` only those of one K chunk (loaded per chunk).
  bool chunkedInput = false;
  auto inVecs = [&](int64_t r) {
    return (chunkedInput ? perChunk : g.units) * inRows(r) * g.inW;
  };
  // A fused pool (kernel = stride) needs whole windows per band and a tile
  // for its result; a fused add a tile for the other operand and the sum.
  int64_t poolS = 1, poolSw = 1, poolH = 0, poolW = 0;
  risa::PoolMode poolMode = risa::PoolMode::Max;
  auto poolOp = dyn_cast_or_null<qnn::MaxPoolOp>(g.epi);
  auto avgOp = dyn_cast_or_null<qnn::AvgPoolOp>(g.epi);
  auto addOp = dyn_cast_or_null<qnn::AddOp>(g.epi);
  if (poolOp || avgOp) {
    ArrayRef<int64_t> st = poolOp ? poolOp.getStrides() : avgOp.getStrides();
    poolS = st[0];
    poolSw = st[1];
    auto pt = cast<RankedTensorType>(g.epi->getResult(0).getType());
    poolH = pt.getDimSize(2);
    poolW = pt.getDimSize(3);
    poolMode = poolOp ? risa::PoolMode::Max : risa::PoolMode::AvgExcludePad;
    if (poolS > 255 || poolSw > 255 || poolS > g.outH)
      g.epi = nullptr, poolOp = nullptr, avgOp = nullptr;
  }
  auto epiVecs = [&](int64_t r) -> int64_t {
    if (poolOp || avgOp)
      return (r / poolS) * poolW;
    return addOp ? 2 * r * g.outW : 0;
  };
  int64_t fbuf = t.fbufVectors(), abuf = t.abufVectors();
  // The largest band R whose tiles fit twice (ping-pong), else once.
  int64_t R = 0, slots = 0;
  int64_t rMax = g.outH;
  auto findBand = [&] {
    for (int64_t sl = 2; sl >= 1 && !R; --sl)
      for (int64_t r = std::min(g.outH, rMax); r >= 1 && !R; --r)
        if (sl * (inVecs(r) + r * g.outW + epiVecs(r)) <= fbuf &&
            r * g.outW <= abuf && inRows(r) <= 4095 && r % poolS == 0)
          R = r, slots = sl;
  };
  findBand();
  // Tile search (--tile-search): this layer's bands at most 1/d of the
  // largest that fits, d chosen per layer by the cycle model.
  if (int64_t d = lw.bandDivisor(g.index); R && d > 1) {
    rMax = std::max(poolS, (R + d - 1) / d);
    R = 0;
    findBand();
  }
  if (!R && g.epi) {
    // The fused epilogue does not fit: lower it on its own after all.
    lw.fused.erase(g.epi);
    g.epi = nullptr;
    g.outT = lw.tensorOf(g.op->getResult(0));
    return emitGemmLayer(lw, g);
  }
  if (!R) {
    // Not even one output row of every input channel block fits: keep only
    // one K chunk of the input on chip (loaded per chunk, re-read per
    // output block), with chunks as large as fit.
    int64_t allIn = inVecs(1);
    chunkedInput = true;
    for (int64_t pc = perChunk; pc >= 1 && !R; pc /= 2) {
      perChunk = pc;
      findBand();
    }
    if (!R)
      return lw.error(g.op, "one output row (")
             << allIn << " input + " << g.outW
             << " output vectors) does not fit the feature buffer (" << fbuf
             << " vectors), not even one input channel block at a time";
  }
  int64_t nChunks = (g.units + perChunk - 1) / perChunk;
  int64_t inSlot = inVecs(R), outSlot = R * g.outW, epiSlot = epiVecs(R);
  int64_t accSlots = 2 * R * g.outW <= abuf ? 2 : 1;


  // Weight rows: [qb][chunk][tap][unit in chunk][lane], Q codes each. The
  // source column and alignment of each row are the same for every block;
  // a block's codes are gathered one output channel (one contiguous weight
  // row) at a time.
  std::vector<int64_t> cols, chunkStart;
  std::vector<int32_t> aligns;
  for (int64_t c = 0; c < nChunks; ++c) {
    chunkStart.push_back(cols.size());
    int64_t u0 = c * perChunk, u1 = std::min(g.units, u0 + perChunk);
    for (int64_t tap = 0; tap < taps; ++tap)
      for (int64_t u = u0; u < u1; ++u)
        for (int64_t l = 0; l < L; ++l) {
          cols.push_back(g.column(u, tap, l));
          int32_t a = g.align(u, l);
          if (a < 0 || a > 31)
            return lw.error(g.op, "input alignment shift ")
                   << a << " outside [0, 31]";
          aligns.push_back(a);
        }
  }
  int64_t perQb = cols.size(), rowCount = nQb * perQb;
  std::vector<uint8_t> rows;
  rows.reserve(rowCount * t.rowBytes(g.fmt));
  std::vector<int8_t> codes(perQb * Q);
  for (int64_t qb = 0; qb < nQb; ++qb) {
    std::fill(codes.begin(), codes.end(), 0);
    for (int64_t q = 0, nq = std::min(Q, g.O - qb * Q); q < nq; ++q) {
      const int8_t *src = g.w->data() + (qb * Q + q) * g.oStride;
      for (int64_t r = 0; r < perQb; ++r)
        if (cols[r] >= 0)
          codes[r * Q + q] = src[cols[r]];
    }
    for (int64_t r = 0; r < perQb; ++r)
      appendRow(rows, g.fmt, codes.data() + r * Q, Q, aligns[r]);
  }
  // Dense: rows [chunkRow, + nRows) of block qb, chunk c. CSR (a layer
  // below the --csr-density): each (block, chunk) is one GEMM_CSR stream
  // (docs/isa.md 3.7) of whole WBUF rows, laid out one after the other.
  auto nRowsOf = [&](int64_t c) {
    int64_t u0 = c * perChunk, u1 = std::min(g.units, u0 + perChunk);
    return taps * (u1 - u0) * L;
  };
  bool csr = false;
  std::vector<int64_t> csrStart, csrRows;
  if (lw.csrDensity > 0 && !g.w->empty()) {
    int64_t nonZero = std::count_if(g.w->begin(), g.w->end(),
                                    [](int8_t v) { return v != 0; });
    csr = double(nonZero) < lw.csrDensity * double(g.w->size());
  }
  // The precision config's per-layer choice (`"csr": {layer: bool}`,
  // carried by the quantizer as `dlp.csr`) overrides the threshold.
  if (auto a = g.op->getAttrOfType<BoolAttr>("dlp.csr")) {
    if (a.getValue() && !t.csr)
      return lw.error(g.op, "the precision config asks for CSR weights but "
                            "the target has no CSR decoder");
    csr = a.getValue() && !g.w->empty();
  }
  if (csr) {
    std::vector<uint8_t> streams;
    int64_t width = t.rowBytes(risa::WFmt::Csr);
    for (int64_t qb = 0; qb < nQb && csr; ++qb)
      for (int64_t c = 0; c < nChunks && csr; ++c) {
        int64_t n = nRowsOf(c);
        std::vector<int8_t> blk(n * Q);
        std::vector<int32_t> al(n);
        for (int64_t r = 0; r < n; ++r) {
          al[r] = aligns[chunkStart[c] + r];
          // Codes of row r (the dense rows hold them packed; re-gather).
          for (int64_t q = 0, nq = std::min(Q, g.O - qb * Q); q < nq; ++q) {
            int64_t col = cols[chunkStart[c] + r];
            blk[r * Q + q] =
                col >= 0 ? (*g.w)[(qb * Q + q) * g.oStride + col] : 0;
          }
        }
        std::vector<uint8_t> st = dlprt::encodeCsr(blk.data(), al.data(), n,
                                                   uint32_t(Q), g.fmt);
        int64_t nr = (int64_t(st.size()) + width - 1) / width;
        // A stream must fit a bank and index its rows in 16 bits; a denser
        // chunk than the dense rows stays dense (the whole layer).
        if (nr > bankRows || n > 65536 || nr > n) {
          csr = false;
          break;
        }
        st.resize(nr * width, 0);
        csrStart.push_back(int64_t(streams.size()) / width);
        csrRows.push_back(nr);
        streams.insert(streams.end(), st.begin(), st.end());
      }
    if (csr) {
      rows = std::move(streams);
      rowCount = int64_t(rows.size()) / width;
    }
  }
  risa::WFmt loadFmt = csr ? risa::WFmt::Csr : g.fmt;
  auto chunkRow = [&](int64_t qb, int64_t c) {
    return csr ? csrStart[qb * nChunks + c] : qb * perQb + chunkStart[c];
  };
  auto chunkRows = [&](int64_t qb, int64_t c) {
    return csr ? csrRows[qb * nChunks + c] : nRowsOf(c);
  };
  uint64_t wOff = lw.addConst(rows);
  int64_t rowBytes = t.rowBytes(loadFmt);
  for (const Lowering::ChannelParams &p : g.params)
    if (p.shift < -32 || p.shift > 63)
      return lw.error(g.op, "requantization shift ")
             << p.shift << " outside the ISA's [-32, 63]";
  uint64_t pOff = lw.packParams(g.params);
  if (nQb > int64_t(t.paramEntries))
    return lw.error(g.op, "") << nQb << " output blocks exceed the "
                              << t.paramEntries << " parameter entries";
  int64_t pBase = lw.paramBase(nQb);
  lw.loadConst(loc, risa::Buf::PBuf, risa::WFmt::Pow2, pBase, pOff, nQb);

  bool resident = rowCount <= int64_t(t.wbufRows());
  int64_t wBase = 0;
  // Resident weights stay on chip for every band; each (block, chunk) is
  // loaded just before its first GEMM, so the first GEMMs need not wait for
  // the whole layer's weights and later loads run under earlier GEMMs.
  // A layer whose weights fit one bank takes the bank the previous such
  // layer did not, so its loads need not wait for that layer's GEMMs.
  if (resident && rowCount <= bankRows)
    wBase = (lw.weightBank++ % 2) * bankRows;

  TensorRec in = lw.tensors[g.inT];
  TensorRec out = lw.tensors[g.epi ? lw.tensorOf(g.epi->getResult(0)) : g.outT];
  // The fused add's other operand and parameter entries (one per block).
  TensorRec other;
  int64_t addBase = 0;
  if (addOp) {
    Value conv = g.op->getResult(0);
    Value b = addOp.getLhs() == conv ? addOp.getRhs() : addOp.getLhs();
    other = lw.tensors[lw.tensorOf(b)];
    auto fc = qnn::encodingOf<qnn::FmapAttr>(conv.getType());
    std::vector<Lowering::ChannelParams> ap(g.O);
    for (int64_t c = 0; c < g.O; ++c) {
      int32_t fa = fc.at(c), fb = other.fracAt(c), fo = out.fracAt(c);
      ap[c].aux = fa - fb;
      ap[c].shift = std::max(fa, fb) - fo;
      ap[c].actMin = std::clamp(addOp.actMin(c), -128, 127);
      ap[c].actMax = std::clamp(addOp.actMax(c), -128, 127);
      if (ap[c].shift < -32 || ap[c].shift > 63 || ap[c].aux < -22 ||
          ap[c].aux > 22)
        return lw.error(addOp, "scale difference outside the ADD "
                               "instruction's range");
    }
    addBase = pBase + nQb;
    if (addBase + nQb > int64_t(t.paramEntries))
      return lw.error(g.op, "parameter entries exhausted");
    lw.loadConst(loc, risa::Buf::PBuf, risa::WFmt::Pow2, addBase,
                 lw.packParams(ap), nQb);
  }
  int64_t bandIdx = 0, outIdx = 0, accIdx = 0, wIdx = 0, inLoads = 0;
  for (int64_t oy0 = 0; oy0 < g.outH; oy0 += R, ++bandIdx) {
    int64_t rb = std::min(R, g.outH - oy0);
    int64_t inAddr = (bandIdx % slots) * inSlot;
    int64_t iy0 = 0, rowsIn = 1, padT = 0, cstride = 1;
    if (g.fc) {
      if (!chunkedInput)
        lw.loadFmap(loc, inAddr, in.offset, g.units, 1, 0, in);
    } else {
      int64_t start = oy0 * g.sh - g.pt;
      iy0 = std::max<int64_t>(0, start);
      int64_t iy1 = std::min(g.inH, (oy0 + rb - 1) * g.sh - g.pt +
                                        (g.kh - 1) * g.dh + 1);
      if (iy1 <= iy0)
        return lw.error(g.op, "an output band reads no input row (padding "
                              "larger than the kernel)");
      rowsIn = iy1 - iy0;
      padT = iy0 - start;
      cstride = rowsIn * g.inW;
      if (!chunkedInput)
        lw.loadFmap(loc, inAddr, in.offset + uint64_t(iy0) * g.inW * L,
                    rowsIn * g.inW, g.units, in.H * in.W * L, in);
    }
    if (padT > 15 || g.pl > 15)
      return lw.error(g.op, "padding above 15");
    for (int64_t qb = 0; qb < nQb; ++qb, ++outIdx) {
      int64_t outAddr = slots * inSlot + (outIdx % slots) * outSlot;
      int64_t epiAddr = slots * (inSlot + outSlot) + (outIdx % slots) * epiSlot;
      int64_t accAddr = (accIdx++ % accSlots) * outSlot;
      for (int64_t c = 0; c < nChunks; ++c) {
        int64_t u0 = c * perChunk, u1 = std::min(g.units, u0 + perChunk);
        int64_t nRows = chunkRows(qb, c);
        int64_t wAddr;
        if (resident) {
          wAddr = wBase + chunkRow(qb, c);
          if (bandIdx == 0)
            lw.loadConst(loc, risa::Buf::WBuf, loadFmt, wAddr,
                         wOff + uint64_t(chunkRow(qb, c)) * rowBytes, nRows);
        } else {
          wAddr = (wIdx++ % 2) * bankRows;
          lw.loadConst(loc, risa::Buf::WBuf, loadFmt, wAddr,
                       wOff + uint64_t(chunkRow(qb, c)) * rowBytes, nRows);
        }
        bool last = c + 1 == nChunks;
        int64_t a0 = inAddr + u0 * cstride;
        if (chunkedInput) {
          // This chunk's input units only.
          a0 = (inLoads++ % slots) * inSlot;
          if (g.fc)
            lw.loadFmap(loc, a0, in.offset + uint64_t(u0) * L, u1 - u0, 1, 0,
                        in);
          else
            lw.loadFmap(loc, a0,
                        in.offset + uint64_t(u0 * in.H * in.W + iy0 * g.inW) *
                                        L,
                        rowsIn * g.inW, u1 - u0, in.H * in.W * L, in);
        }
        std::vector<Access> acc = {
            {Space::FBuf, a0, a0 + (u1 - u0) * cstride, false},
            {Space::WBuf, wAddr, wAddr + nRows, false},
            {Space::PBuf, pBase + qb, pBase + qb + 1, false},
            {Space::ABuf, accAddr, accAddr + rb * g.outW, true}};
        if (last)
          acc.push_back({Space::FBuf, outAddr, outAddr + rb * g.outW, true});
        lw.em.emit(csr ? risa::Opcode::GemmCsr : risa::Opcode::Gemm, loc,
                   {{"wfmt", int64_t(g.fmt)},
                    {"accumulate", c > 0},
                    {"epilogue", last},
                    {"in_addr", a0},
                    {"in_cstride", cstride},
                    {"in_h", rowsIn},
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
                    {"pad_t", padT},
                    {"pad_l", g.pl},
                    {"w_addr", wAddr},
                    {"acc_addr", accAddr},
                    {"param_addr", pBase + qb},
                    {"out_addr", outAddr}},
                   std::move(acc));
        ++lw.numGemms;
      }
      if (poolOp || avgOp) {
        // Pool the tile on chip; floor mode drops a band's partial window.
        int64_t prb = rb / poolS;
        if (prb == 0)
          continue;
        Operation *p = g.epi;
        ArrayRef<int64_t> k = poolOp ? poolOp.getKernelShape()
                                     : avgOp.getKernelShape();
        lw.em.emit(risa::Opcode::Pool, p->getLoc(),
                   {{"mode", int64_t(poolMode)},
                    {"in_addr", outAddr},
                    {"in_cstride", rb * g.outW},
                    {"in_h", rb},
                    {"in_w", g.outW},
                    {"cb", 1},
                    {"out_h", prb},
                    {"out_w", poolW},
                    {"k_h", k[0]},
                    {"k_w", k[1]},
                    {"stride_h", poolS},
                    {"stride_w", poolSw},
                    {"pad_t", 0},
                    {"pad_l", 0},
                    {"pad_b", 0},
                    {"pad_r", 0},
                    {"dil_h", 1},
                    {"dil_w", 1},
                    {"out_addr", epiAddr},
                    {"out_cstride", prb * poolW}},
                   {{Space::FBuf, outAddr, outAddr + rb * g.outW, false},
                    {Space::FBuf, epiAddr, epiAddr + prb * poolW, true}});
        lw.storeFmap(p->getLoc(), epiAddr,
                     out.offset +
                         uint64_t((qb * poolH + oy0 / poolS) * poolW) * L,
                     prb * poolW, 1, 0, out);
        continue;
      }
      uint64_t tileOff = uint64_t((qb * g.outH + oy0) * g.outW) * L;
      if (addOp) {
        // Residual add on chip: load the other operand's tile, add, store.
        int64_t n = rb * g.outW, bAddr = epiAddr, sumAddr = epiAddr + n;
        Location al = addOp.getLoc();
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
                    {"param_addr", addBase + qb}},
                   {{Space::FBuf, outAddr, outAddr + n, false},
                    {Space::FBuf, bAddr, bAddr + n, false},
                    {Space::PBuf, addBase + qb, addBase + qb + 1, false},
                    {Space::FBuf, sumAddr, sumAddr + n, true}});
        lw.storeFmap(al, sumAddr, out.offset + tileOff, n, 1, 0, out);
        continue;
      }
      lw.storeFmap(loc, outAddr, out.offset + tileOff, rb * g.outW, 1, 0,
                   out);
    }
  }
  return success();
}

/// Weight codes, bias and epilogue parameters shared by conv and FC.
LogicalResult prepare(Lowering &lw, Operation *op, Value weight, Value bias,
                      Value input, Value output, int64_t K,
                      std::function<int32_t(int64_t, int64_t)> actMin,
                      std::function<int32_t(int64_t, int64_t)> actMax,
                      GemmLayer &g, std::shared_ptr<std::vector<int8_t>> &w,
                      SmallVectorImpl<int32_t> &accFrac, int32_t &fmax) {
  auto wType = cast<RankedTensorType>(weight.getType());
  auto wConst = weight.getDefiningOp<qnn::ConstantOp>();
  if (!wConst)
    return lw.error(op, "the weight is not a qnn.constant");
  auto codes = readI8Constant(wConst.getValue());
  if (!codes)
    return lw.error(op, "cannot read the weight constant");
  w = std::make_shared<std::vector<int8_t>>(codes->data.begin(),
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
  accFrac = qnn::accumulatorFracs(fin, enc, g.O, K, 1);
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
      op, *w, b ? ArrayRef<int32_t>(b->data) : ArrayRef<int32_t>());
  if (!why.empty())
    return lw.error(op, "its int32 accumulator could overflow (") << why
                                                                  << ")";
  g.params.resize(g.O);
  for (int64_t o = 0; o < g.O; ++o) {
    Lowering::ChannelParams &p = g.params[o];
    p.bias = b ? b->data[o] : 0;
    p.shift = accFrac[o] - fout.at(o);
    p.actMin = std::clamp(actMin(o, 0), -128, 127);
    p.actMax = std::clamp(actMax(o, 0), -128, 127);
  }
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
  std::shared_ptr<std::vector<int8_t>> w;
  SmallVector<int32_t> accFrac;
  int32_t fmax;
  if (failed(prepare(
          *this, op, op.getWeight(), op.getBias(), op.getInput(),
          op.getOutput(), C,
          [&](int64_t o, int64_t) { return op.actMin(o); },
          [&](int64_t o, int64_t) { return op.actMax(o); }, g, w, accFrac,
          fmax)))
    return failure();
  auto fin = qnn::encodingOf<qnn::FmapAttr>(op.getInput().getType());
  int64_t taps = g.kh * g.kw, Lc = L;
  g.w = w;
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
    dataBytes = (dataBytes + 63) & ~uint64_t(63);
    packed.offset = dataBytes;
    dataBytes += packed.bytes(L);
    tensors.push_back(std::move(packed));
    uint32_t pt = uint32_t(tensors.size() - 1);
    hostSegment(op.getLoc(), dlprt::HostOpKind::PackTaps, {uint32_t(g.inT)},
                pt, {kw, sw, dw, pl});
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
  std::shared_ptr<std::vector<int8_t>> w;
  SmallVector<int32_t> accFrac;
  int32_t fmax;
  if (failed(prepare(
          *this, op, op.getWeight(), op.getBias(), op.getInput(),
          op.getOutput(), K,
          [&](int64_t o, int64_t) { return op.actMin(o); },
          [&](int64_t o, int64_t) { return op.actMax(o); }, g, w, accFrac,
          fmax)))
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
  g.w = w;
  g.oStride = K;
  g.column = [feature](int64_t u, int64_t, int64_t l) { return feature(u, l); };
  g.align = [fin, fmax, feature](int64_t u, int64_t l) -> int32_t {
    int64_t k = feature(u, l);
    return k < 0 ? 0 : fmax - fin.at(k);
  };
  g.index = registerGemmLayer(op, g.epi);
  return emitGemmLayer(*this, g);
}

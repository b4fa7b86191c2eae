//===- LowerPoolAdd.cpp - pools, element-wise ops, host convolutions ------===//

#include "Lowering.h"
#include "dlp/Support/Constants.h"
#include "dlprt/Numerics.h"

using namespace mlir;
using namespace dlp;
using namespace dlp::conv;
namespace risa = dlprt::isa;
namespace num = dlprt::num;

LogicalResult Lowering::lowerPool(Operation *op) {
  Value x = op->getOperand(0), y = op->getResult(0);
  auto xt = cast<RankedTensorType>(x.getType());
  auto yt = cast<RankedTensorType>(y.getType());
  if (xt.getRank() != 4 && xt.getRank() != 3)
    return error(op, "only 1-D and 2-D pooling");
  int inT = tensorOf(x), outT = tensorOf(y);
  TensorRec in = tensors[inT], out = tensors[outT];
  int64_t kh = 1, kw, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0, pb = 0,
          pr = 0;
  risa::PoolMode mode = risa::PoolMode::Max;
  // A 1-D window (N x C x W) is the 2-D one with H = 1.
  bool oneD = xt.getRank() == 3;
  auto window = [&](ArrayRef<int64_t> k, ArrayRef<int64_t> s,
                    ArrayRef<int64_t> pads, ArrayRef<int64_t> dil) {
    if (oneD) {
      kw = k[0], sw = s[0], pl = pads[0], pr = pads[1];
      dw = dil.empty() ? 1 : dil[0];
      return;
    }
    kh = k[0], kw = k[1], sh = s[0], sw = s[1];
    pt = pads[0], pl = pads[1], pb = pads[2], pr = pads[3];
    if (!dil.empty())
      dh = dil[0], dw = dil[1];
  };
  if (auto mp = dyn_cast<qnn::MaxPoolOp>(op)) {
    window(mp.getKernelShape(), mp.getStrides(), mp.getPads(),
           mp.getDilations());
  } else if (auto ap = dyn_cast<qnn::AvgPoolOp>(op)) {
    window(ap.getKernelShape(), ap.getStrides(), ap.getPads(), {});
    mode = ap.getCountIncludePad() ? risa::PoolMode::AvgIncludePad
                                   : risa::PoolMode::AvgExcludePad;
  } else {
    kh = in.H;
    kw = in.W;
    mode = risa::PoolMode::AvgExcludePad;
  }
  // On the host (the same integers): a target without a pool unit, or a
  // map or window the POOL fields cannot hold.
  auto onHost = [&]() {
    hostSegment(op->getLoc(), dlprt::HostOpKind::Pool, {uint32_t(inT)},
                uint32_t(outT),
                {int64_t(mode), kh, kw, sh, sw, pt, pl, pb, pr, dh, dw});
    return success();
  };
  auto holds = [](risa::Field f, int64_t v) {
    return v <= int64_t((uint64_t(1) << risa::fieldInfo(f).width) - 1);
  };
  using F = risa::Field;
  int64_t oh = oneD ? 1 : yt.getDimSize(2), ow = yt.getDimSize(yt.getRank() - 1),
          cb = in.cb(L);
  if (!t.poolUnit || !holds(F::Pool_in_h, in.H) || !holds(F::Pool_in_w, in.W) ||
      !holds(F::Pool_out_h, oh) || !holds(F::Pool_out_w, ow) ||
      !holds(F::Pool_k_h, kh) || !holds(F::Pool_k_w, kw) ||
      !holds(F::Pool_stride_h, sh) || !holds(F::Pool_stride_w, sw) ||
      !holds(F::Pool_dil_h, dh) || !holds(F::Pool_dil_w, dw) ||
      !holds(F::Pool_pad_t, pt) || !holds(F::Pool_pad_l, pl) ||
      !holds(F::Pool_pad_b, pb) || !holds(F::Pool_pad_r, pr))
    return onHost();
  auto inRows = [&](int64_t r) {
    return std::min(in.H, (r - 1) * sh + (kh - 1) * dh + 1);
  };
  // The input whole on chip (left by the previous layer, or held) is read
  // there (no LOAD, no SYNC for its STOREs); the tiles take the largest
  // free range beside it and the held maps.
  std::optional<OnChip> oc = onChipInput(in);
  int64_t lo, hi;
  std::tie(lo, hi) = oc ? freeRange({*oc}) : freeRange();
  // Band height R and channel blocks per group G: the input rows (unless on
  // chip) and the output tile of G blocks must fit the feature buffer
  // (twice if they can).
  int64_t R = 0, G = 0, slots = 0;
  auto fits = [&](int64_t g, int64_t r, int64_t sl) {
    return sl * g * ((oc ? 0 : inRows(r) * in.W) + r * ow) <= hi - lo &&
           inRows(r) <= 4095;
  };
  for (int64_t g = cb; g >= 1 && !R; g = g == 1 ? 0 : (g + 1) / 2)
    for (int64_t sl = 2; sl >= 1 && !R; --sl)
      for (int64_t r = oh; r >= 1; --r)
        if (fits(g, r, sl)) {
          R = r, G = g, slots = sl;
          break;
        }
  if (!R && !held.empty()) { // not beside the held maps: give them up
    dropHeld();
    return lowerPool(op);
  }
  if (!R) // one output row of one channel block does not fit FBUF
    return onHost();
  int64_t inSlot = oc ? 0 : G * inRows(R) * in.W, outSlot = G * R * ow;
  Location loc = op->getLoc();
  int64_t tile = 0, outAddr = 0;
  for (int64_t g0 = 0; g0 < cb; g0 += G) {
    int64_t gn = std::min(G, cb - g0);
    for (int64_t oy0 = 0; oy0 < oh; oy0 += R, ++tile) {
      int64_t rb = std::min(R, oh - oy0);
      int64_t start = oy0 * sh - pt;
      int64_t iy0 = std::max<int64_t>(0, start);
      int64_t iy1 =
          std::min(in.H, (oy0 + rb - 1) * sh - pt + (kh - 1) * dh + 1);
      if (iy1 <= iy0)
        return error(op, "an output band reads no input row");
      int64_t rowsIn = iy1 - iy0, padT = iy0 - start;
      if (padT > 63)
        return error(op, "padding beyond the POOL instruction's fields");
      int64_t inAddr = lo + (tile % slots) * inSlot,
              inCs = rowsIn * in.W;
      outAddr = lo + slots * inSlot + (tile % slots) * outSlot;
      if (oc) {
        inAddr = oc->base + g0 * in.H * in.W + iy0 * in.W;
        inCs = in.H * in.W;
      } else {
        loadFmap(loc, inAddr,
                 in.offset + uint64_t(g0 * in.H * in.W + iy0 * in.W) * L,
                 rowsIn * in.W, gn, in.H * in.W * L, in);
      }
      em.emit(risa::Opcode::Pool, loc,
              {{"mode", int64_t(mode)},
               {"in_addr", inAddr},
               {"in_cstride", inCs},
               {"in_h", rowsIn},
               {"in_w", in.W},
               {"cb", gn},
               {"out_h", rb},
               {"out_w", ow},
               {"k_h", kh},
               {"k_w", kw},
               {"stride_h", sh},
               {"stride_w", sw},
               {"pad_t", padT},
               {"pad_l", pl},
               {"pad_b", iy1 == in.H ? pb : 0},
               {"pad_r", pr},
               {"dil_h", dh},
               {"dil_w", dw},
               {"out_addr", outAddr},
               {"out_cstride", rb * ow}},
              {{Space::FBuf, inAddr, inAddr + (gn - 1) * inCs + rowsIn * in.W,
                false},
               {Space::FBuf, outAddr, outAddr + gn * rb * ow, true}});
      storeFmap(loc, outAddr, out.offset + uint64_t(g0 * oh * ow + oy0 * ow) * L,
                rb * ow, gn, oh * ow * L, out);
    }
  }
  // One tile made the whole output (blocks oh * ow apart): the next layer
  // may read it there.
  if (keepOnChip && tile == 1 && G == cb && !out.isFloat)
    onChip = {out.offset,   out.bytes(L),           oh,
              ow,           outAddr,                cb * oh * ow,
              em.numInstructions(), op->getResult(0)};
  return success();
}

uint32_t Lowering::relayout(Location loc, uint32_t src, int64_t C) {
  using K = dlprt::HostOpKind;
  const TensorRec s = tensors[src];
  TensorRec f;
  f.name = s.name + "/relayout.float";
  f.shape = s.shape;
  f.isFloat = true;
  f.C = s.C * s.H * s.W;
  f.H = f.W = 1;
  TensorRec r;
  r.name = s.name + "/relayout";
  r.shape = s.shape;
  r.C = C;
  r.H = r.W = 1;
  for (int64_t c = 0; c < C; ++c)
    r.frac.push_back(s.fracAt(c / (s.H * s.W)));
  uint32_t fT = newTensor(std::move(f)), rT = newTensor(std::move(r));
  hostSegment(loc, K::Dequantize, {src}, fT);
  hostSegment(loc, K::Quantize, {fT}, rT);
  return rT;
}

LogicalResult Lowering::lowerEltwise(Operation *op) {
  bool unary = !isa<qnn::AddOp>(op);
  int aT = tensorOf(op->getOperand(0));
  int bT = unary ? aT : tensorOf(op->getOperand(1));
  auto same = [&](int x, int y) {
    const TensorRec &p = tensors[x], &q = tensors[y];
    return p.C == q.C && p.H == q.H && p.W == q.W;
  };
  // The result stored as the operands are (a flattened map's view) where
  // its scales allow, else as its own shape; an operand stored otherwise
  // (a flattened map beside a vector, or beside a result whose scales vary
  // within a map's channel) is copied into that layout first.
  int oT = same(aT, bT) ? tensorLike(op->getResult(0), tensors[aT])
                        : tensorOf(op->getResult(0));
  for (int *t : {&aT, &bT})
    if (!same(*t, oT)) {
      const TensorRec &o = tensors[oT];
      if (o.H * o.W != 1 || tensors[*t].C * tensors[*t].H * tensors[*t].W != o.C)
        return error(op, "operands stored in different layouts");
      *t = int(relayout(op->getLoc(), uint32_t(*t), o.C));
    }
  TensorRec a = tensors[aT], bb = tensors[bT], out = tensors[oT];
  int64_t cb = out.cb(L), plane = out.H * out.W;
  std::vector<ChannelParams> params(out.C);
  for (int64_t c = 0; c < out.C; ++c) {
    ChannelParams &p = params[c];
    int32_t fa = a.fracAt(c), fb = unary ? fa : bb.fracAt(c);
    int32_t fo = out.fracAt(c);
    p.aux = unary ? 0 : fa - fb;
    p.shift = std::max(fa, fb) - fo;
    int32_t lo = -128, hi = 127;
    if (auto add = dyn_cast<qnn::AddOp>(op))
      lo = add.actMin(c), hi = add.actMax(c);
    else if (auto cl = dyn_cast<qnn::ClampOp>(op))
      lo = cl.actMin(c), hi = cl.actMax(c);
    p.actMin = std::clamp(lo, -128, 127);
    p.actMax = std::clamp(hi, -128, 127);
    if (p.shift < -32 || p.shift > 63 || p.aux < -22 || p.aux > 22)
      return error(op, "scale difference outside the ADD instruction's range");
  }
  // Without an element-wise unit, or more channel blocks than parameter
  // entries: on the host (the same integers).
  if (!t.eltwiseUnit || cb > int64_t(t.paramEntries)) {
    std::vector<uint32_t> ins = {uint32_t(aT)};
    if (!unary)
      ins.push_back(uint32_t(bT));
    std::vector<int64_t> prm;
    for (const ChannelParams &p : params)
      prm.insert(prm.end(), {p.aux, p.shift, p.actMin, p.actMax});
    hostSegment(op->getLoc(), dlprt::HostOpKind::Add, std::move(ins),
                uint32_t(oT), std::move(prm));
    return success();
  }
  Location loc = op->getLoc();
  int64_t pBase = paramBase(cb);
  loadConst(loc, risa::Buf::PBuf, risa::WFmt::Pow2, pBase, packParams(params),
            cb);
  // In the largest range the held maps leave (all of FBUF if one vector
  // per block does not fit there).
  auto [lo, hi] = freeRange();
  int64_t operands = unary ? 2 : 3;
  if (hi - lo < operands * cb) {
    dropHeld();
    std::tie(lo, hi) = freeRange();
  }
  int64_t fbuf = hi - lo;
  int64_t slots = 2 * operands * cb <= fbuf ? 2 : 1;
  int64_t n = std::min(plane, fbuf / (slots * operands * cb));
  if (n < 1)
    return error(op, "one vector per channel block does not fit the feature "
                     "buffer");
  int64_t slot = operands * cb * n, chunk = 0;
  for (int64_t i0 = 0; i0 < plane; i0 += n, ++chunk) {
    int64_t m = std::min(n, plane - i0);
    int64_t base = lo + (chunk % slots) * slot;
    int64_t aAddr = base, bAddr = base + cb * n,
            oAddr = base + (operands - 1) * cb * n;
    loadFmap(loc, aAddr, a.offset + uint64_t(i0) * L, m, cb, plane * L, a);
    if (!unary)
      loadFmap(loc, bAddr, bb.offset + uint64_t(i0) * L, m, cb, plane * L, bb);
    std::vector<Access> acc = {
        {Space::FBuf, aAddr, aAddr + cb * m, false},
        {Space::PBuf, pBase, pBase + cb, false},
        {Space::FBuf, oAddr, oAddr + cb * m, true}};
    if (!unary)
      acc.push_back({Space::FBuf, bAddr, bAddr + cb * m, false});
    em.emit(risa::Opcode::Add, loc,
            {{"unary", unary},
             {"a_addr", aAddr},
             {"b_addr", unary ? 0 : bAddr},
             {"out_addr", oAddr},
             {"n", m},
             {"cb", cb},
             {"a_cstride", m},
             {"b_cstride", unary ? 0 : m},
             {"out_cstride", m},
             {"param_addr", pBase}},
            std::move(acc));
    storeFmap(loc, oAddr, out.offset + uint64_t(i0) * L, m, cb, plane * L,
              out);
  }
  return success();
}

LogicalResult Lowering::lowerHostConv(qnn::ConvOp op) {
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  if (xt.getRank() != 4 && xt.getRank() != 3)
    return error(op, "only 1-D and 2-D convolutions");
  bool oneD = xt.getRank() == 3; // as 2-D over one row
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  auto wConst = op.getWeight().getDefiningOp<qnn::ConstantOp>();
  auto codes = wConst ? readI8Constant(wConst.getValue()) : std::nullopt;
  if (!codes)
    return error(op, "cannot read the weight constant");
  int64_t O = wt.getDimSize(0), Cg = wt.getDimSize(1),
          kh = oneD ? 1 : wt.getDimSize(2), kw = wt.getShape().back(),
          group = op.getGroup();
  Attribute enc = wt.getEncoding();
  auto fin = qnn::encodingOf<qnn::FmapAttr>(op.getInput().getType());
  auto fout = qnn::encodingOf<qnn::FmapAttr>(op.getOutput().getType());
  SmallVector<int32_t> accFrac =
      qnn::accumulatorFracs(fin, enc, O, Cg, group);
  std::optional<ConstantData<int32_t>> bias;
  if (op.getBias()) {
    auto bc = op.getBias().getDefiningOp<qnn::ConstantOp>();
    bias = bc ? readI32Constant(bc.getValue()) : std::nullopt;
    if (!bias)
      return error(op, "cannot read the bias constant");
  }
  std::string why = qnn::proveNoOverflow(
      op, codes->data, bias ? ArrayRef<int32_t>(bias->data) : ArrayRef<int32_t>());
  if (!why.empty())
    return error(op, "its int32 accumulator could overflow (") << why << ")";
  // Multipliers (docs/numerics.md section 3), then the epilogue.
  std::vector<uint8_t> bytes;
  auto put32 = [&](int64_t v) {
    for (int k = 0; k < 4; ++k)
      bytes.push_back(uint8_t(uint32_t(int32_t(v)) >> (8 * k)));
  };
  auto pow2 = dyn_cast<qnn::Pow2Attr>(enc);
  auto int8w = dyn_cast<qnn::Int8WAttr>(enc);
  int64_t outPerGroup = O / group;
  for (int64_t o = 0; o < O; ++o)
    for (int64_t ci = 0; ci < Cg; ++ci) {
      int32_t fi = fin.at((o / outPerGroup) * Cg + ci);
      for (int64_t k = 0; k < kh * kw; ++k) {
        int8_t c = codes->data[(o * Cg + ci) * kh * kw + k];
        put32(pow2 ? num::pow2Term(uint8_t(c), pow2.at(o), fi, accFrac[o])
                   : num::int8Term(c, int8w.at(o), fi, accFrac[o]));
      }
    }
  for (int64_t o = 0; o < O; ++o)
    put32(bias ? bias->data[o] : 0);
  for (int64_t o = 0; o < O; ++o) {
    int32_t s = accFrac[o] - fout.at(o);
    if (s < -32 || s > 63)
      return error(op, "requantization shift ") << s << " outside [-32, 63]";
    bytes.push_back(uint8_t(int8_t(s)));
  }
  for (int64_t o = 0; o < O; ++o)
    bytes.push_back(uint8_t(int8_t(std::clamp(op.actMin(o), -128, 127))));
  for (int64_t o = 0; o < O; ++o)
    bytes.push_back(uint8_t(int8_t(std::clamp(op.actMax(o), -128, 127))));
  auto at = [](ArrayRef<int64_t> a, size_t i) { return a.empty() ? 1 : a[i]; };
  dlprt::HostSegment s;
  s.kind = dlprt::HostOpKind::Conv;
  s.inputs.push_back(tensorOf(op.getInput()));
  s.outputs.push_back(tensorOf(op.getOutput()));
  ArrayRef<int64_t> st = op.getStrides(), pads = op.getPads();
  if (oneD)
    s.params = {group, 1,     kw, 1, st[0], 0, pads[0],
                1,     at(op.getDilations(), 0)};
  else
    s.params = {group,
                kh,
                kw,
                st[0],
                st[1],
                pads[0],
                pads[1],
                at(op.getDilations(), 0),
                at(op.getDilations(), 1)};
  s.constBytes = bytes.size();
  s.constOffset = addConst(bytes);
  host.push_back(std::move(s));
  em.barrier(risa::Opcode::Host, op.getLoc(),
             {{"segment", int64_t(host.size() - 1)}});
  return success();
}

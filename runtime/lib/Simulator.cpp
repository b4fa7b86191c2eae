//===- Simulator.cpp - Functional simulator: DMA, POOL, ADD, HOST ---------===//
//
// GEMM lives in SimGemm.cpp (the fast kernel). Every address here was
// bounds-checked by the validator (ValidateInstr.cpp) from the same fields.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Simulator.h"

#include "dlprt/HostOps.h"
#include "dlprt/Numerics.h"
#include "dlprt/Schedule.h"

#include "SimUtil.h"

#include <algorithm>
#include <cstring>

using namespace llvm;
using namespace dlprt::isa;

namespace dlprt {

using detail::clampAct;
using detail::requant;

MachineState::MachineState(const TargetConfig &t)
    : fbuf(t.fbufVectors() * t.L), wcode(t.wbufRows() * t.Q),
      walign(t.wbufRows()), bias(uint64_t(t.paramEntries) * t.Q),
      outShift(bias.size()), actMin(bias.size()), actMax(bias.size()),
      aux(bias.size()), abuf(t.abufVectors() * t.Q) {}

void MachineState::reset() {
  auto zero = [](auto &v) { std::fill(v.begin(), v.end(), 0); };
  zero(fbuf);
  zero(wcode);
  zero(walign);
  zero(bias);
  zero(outShift);
  zero(actMin);
  zero(actMax);
  zero(aux);
  zero(abuf);
}

uint64_t touchedDataBytes(const Program &p) {
  uint64_t end = 0;
  for (const TensorDesc &t : p.tensors)
    end = std::max(end, t.ddrOffset + t.bytes(p.target.L));
  for (const Instr &in : p.code) {
    bool store = in.opcode() == Opcode::Store;
    if (!store && in.opcode() != Opcode::Load)
      continue;
    auto f = [&](Field load, Field st) {
      return uint64_t(in.get(store ? st : load));
    };
    if (Region(f(Field::Load_region, Field::Store_region)) != Region::Data)
      continue;
    // Only FBUF units come from / go to data (validated).
    uint64_t n1 = f(Field::Load_n1, Field::Store_n1);
    uint64_t n2 = f(Field::Load_n2, Field::Store_n2);
    end = std::max(end, f(Field::Load_ddr_addr, Field::Store_ddr_addr) +
                            (n2 - 1) * f(Field::Load_s2, Field::Store_s2) +
                            (n1 - 1) * f(Field::Load_s1, Field::Store_s1) +
                            f(Field::Load_n0, Field::Store_n0) * p.target.L);
  }
  return std::min(end, p.dataBytes);
}

Expected<std::unique_ptr<Simulator>> Simulator::create(const Program &p) {
  if (Error e = validateProgram(p))
    return std::move(e);
  Expected<std::vector<uint32_t>> order = tokenSchedule(p.code);
  if (!order)
    return order.takeError();
  auto shared =
      std::make_shared<const std::vector<uint32_t>>(std::move(*order));
  return std::unique_ptr<Simulator>(new Simulator(p, std::move(shared)));
}

std::unique_ptr<Simulator> Simulator::clone() const {
  return std::unique_ptr<Simulator>(new Simulator(p, order));
}

void Simulator::run(uint8_t *data) {
  s.reset();
  for (uint32_t i : *order)
    execute(p.code[i], data);
}

void Simulator::execute(const Instr &in, uint8_t *data) {
  switch (in.opcode()) {
  case Opcode::Load:
  case Opcode::Store:
    dma(in, data);
    break;
  case Opcode::Gemm:
    executeGemm(p.target, in, s);
    break;
  case Opcode::Pool:
    pool(in);
    break;
  case Opcode::Add:
    add(in);
    break;
  case Opcode::Host:
    runHostSegment(p, p.host[in.get(Field::Host_segment)], data);
    break;
  case Opcode::Sync: // a barrier: the schedule already ordered around it
  case Opcode::End:
    break;
  }
}

void Simulator::dma(const Instr &in, uint8_t *data) {
  const TargetConfig &t = p.target;
  bool store = in.opcode() == Opcode::Store;
  auto f = [&](Field load, Field st) {
    return uint64_t(in.get(store ? st : load));
  };
  Buf buf = Buf(f(Field::Load_buf, Field::Store_buf));
  WFmt fmt = WFmt(f(Field::Load_wfmt, Field::Store_wfmt));
  const uint8_t *region =
      Region(f(Field::Load_region, Field::Store_region)) == Region::Const
          ? p.constData.data()
          : data;
  uint64_t sram = f(Field::Load_sram_addr, Field::Store_sram_addr);
  uint64_t ddr = f(Field::Load_ddr_addr, Field::Store_ddr_addr);
  uint64_t n0 = f(Field::Load_n0, Field::Store_n0);
  uint64_t n1 = f(Field::Load_n1, Field::Store_n1);
  uint64_t n2 = f(Field::Load_n2, Field::Store_n2);
  uint64_t s1 = f(Field::Load_s1, Field::Store_s1);
  uint64_t s2 = f(Field::Load_s2, Field::Store_s2);
  uint32_t L = t.L, Q = t.Q;
  uint64_t unit = buf == Buf::FBuf   ? L
                  : buf == Buf::WBuf ? t.rowBytes(fmt)
                                     : t.paramEntryBytes();
  for (uint64_t i2 = 0; i2 < n2; ++i2)
    for (uint64_t i1 = 0; i1 < n1; ++i1) {
      uint64_t runAt = ddr + i2 * s2 + i1 * s1;
      uint64_t a0 = sram + (i2 * n1 + i1) * n0;
      if (buf == Buf::FBuf) {
        int8_t *v = s.fbuf.data() + a0 * L;
        if (store)
          std::memcpy(data + runAt, v, n0 * L);
        else
          std::memcpy(v, region + runAt, n0 * L);
        continue;
      }
      for (uint64_t i0 = 0; i0 < n0; ++i0) {
        const uint8_t *src = region + runAt + i0 * unit;
        uint64_t a = a0 + i0;
        if (buf == Buf::WBuf) {
          uint8_t *row = s.wcode.data() + a * Q;
          for (uint32_t q = 0; q < Q; ++q)
            row[q] =
                fmt == WFmt::Pow2 ? (src[q / 2] >> (4 * (q % 2))) & 15 : src[q];
          s.walign[a] = src[unit - 1];
          continue;
        }
        for (uint32_t q = 0; q < Q; ++q) {
          s.bias[a * Q + q] = int32_t(
              uint32_t(src[4 * q]) | uint32_t(src[4 * q + 1]) << 8 |
              uint32_t(src[4 * q + 2]) << 16 | uint32_t(src[4 * q + 3]) << 24);
          s.outShift[a * Q + q] = int8_t(src[4 * Q + q]);
          s.actMin[a * Q + q] = int8_t(src[5 * Q + q]);
          s.actMax[a * Q + q] = int8_t(src[6 * Q + q]);
          s.aux[a * Q + q] = int8_t(src[7 * Q + q]);
        }
      }
    }
}

void Simulator::pool(const Instr &in) {
  uint32_t L = p.target.L;
  auto g = [&](Field f) { return int64_t(in.get(f)); };
  PoolMode mode = PoolMode(g(Field::Pool_mode));
  int64_t inH = g(Field::Pool_in_h), inW = g(Field::Pool_in_w);
  int64_t kH = g(Field::Pool_k_h), kW = g(Field::Pool_k_w);
  int64_t sH = g(Field::Pool_stride_h), sW = g(Field::Pool_stride_w);
  int64_t pT = g(Field::Pool_pad_t), pL = g(Field::Pool_pad_l);
  int64_t pB = g(Field::Pool_pad_b), pR = g(Field::Pool_pad_r);
  int64_t dH = g(Field::Pool_dil_h), dW = g(Field::Pool_dil_w);
  int64_t outH = g(Field::Pool_out_h), outW = g(Field::Pool_out_w);
  std::vector<int32_t> acc(L);
  // Gather the outputs first: in-place pooling must read the old input.
  std::vector<int8_t> out(uint64_t(g(Field::Pool_cb)) * outH * outW * L);
  int8_t *o = out.data();
  for (int64_t b = 0; b < g(Field::Pool_cb); ++b) {
    const int8_t *src =
        s.fbuf.data() +
        (g(Field::Pool_in_addr) + b * g(Field::Pool_in_cstride)) * L;
    for (int64_t y = 0; y < outH; ++y)
      for (int64_t x = 0; x < outW; ++x, o += L) {
        int64_t y0 = y * sH - pT, x0 = x * sW - pL;
        std::fill(acc.begin(), acc.end(), mode == PoolMode::Max ? -128 : 0);
        int64_t valid = 0;
        for (int64_t ky = 0; ky < kH; ++ky) {
          int64_t iy = y0 + ky * dH;
          if (iy < 0 || iy >= inH)
            continue;
          for (int64_t kx = 0; kx < kW; ++kx) {
            int64_t ix = x0 + kx * dW;
            if (ix < 0 || ix >= inW)
              continue;
            const int8_t *v = src + (iy * inW + ix) * L;
            ++valid;
            for (uint32_t l = 0; l < L; ++l)
              acc[l] = mode == PoolMode::Max ? std::max<int32_t>(acc[l], v[l])
                                             : acc[l] + v[l];
          }
        }
        int64_t count = valid;
        if (mode == PoolMode::AvgIncludePad)
          count = std::max<int64_t>(std::min(y0 + kH, inH + pB) - y0, 0) *
                  std::max<int64_t>(std::min(x0 + kW, inW + pR) - x0, 0);
        for (uint32_t l = 0; l < L; ++l)
          o[l] = mode == PoolMode::Max
                     ? int8_t(acc[l])
                     : num::avgDivide(acc[l], std::max<int64_t>(count, 1));
      }
  }
  o = out.data();
  for (int64_t b = 0; b < g(Field::Pool_cb); ++b, o += outH * outW * L)
    std::memcpy(s.fbuf.data() +
                    (g(Field::Pool_out_addr) + b * g(Field::Pool_out_cstride)) *
                        L,
                o, outH * outW * L);
}

void Simulator::add(const Instr &in) {
  uint32_t L = p.target.L, Q = p.target.Q;
  auto g = [&](Field f) { return uint64_t(in.get(f)); };
  bool unary = g(Field::Add_unary);
  uint64_t n = g(Field::Add_n);
  for (uint64_t b = 0; b < g(Field::Add_cb); ++b) {
    const int8_t *a = s.fbuf.data() +
                      (g(Field::Add_a_addr) + b * g(Field::Add_a_cstride)) * L;
    const int8_t *bb = s.fbuf.data() +
                       (g(Field::Add_b_addr) + b * g(Field::Add_b_cstride)) * L;
    int8_t *out = s.fbuf.data() +
                  (g(Field::Add_out_addr) + b * g(Field::Add_out_cstride)) * L;
    uint64_t e = (g(Field::Add_param_addr) + b) * Q;
    for (uint64_t i = 0; i < n; ++i)
      for (uint32_t c = 0; c < L; ++c) {
        int64_t av = a[i * L + c], bv = unary ? 0 : bb[i * L + c];
        int d = std::clamp<int>(s.aux[e + c], -22, 22);
        int64_t t =
            d >= 0 ? av + bv * (int64_t(1) << d) : av * (int64_t(1) << -d) + bv;
        out[i * L + c] = clampAct(requant(t, s.outShift[e + c]),
                                  s.actMin[e + c], s.actMax[e + c]);
      }
  }
}

} // namespace dlprt

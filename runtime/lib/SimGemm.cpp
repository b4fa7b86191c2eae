//===- SimGemm.cpp - The simulator's GEMM (docs/isa.md 3.3) ---------------===//
//
// Per instruction: the weight rows are decoded once to int32 multipliers
// (pow2 code s*8+k -> 0 or +-(1 << (k-1)); int8 -> w; times 2^align of the
// row), then for chunks of output pixels the im2col tile is gathered once
// and multiplied against them. Everything is uint32 arithmetic, i.e.
// the int32 accumulator's two's-complement wraparound without undefined
// behaviour; for compiled programs the overflow proof makes it exact. The
// kernel is compiled for AVX2 and baseline and picked at run time.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Simulator.h"

#include "SimUtil.h"

#include <algorithm>
#include <cstring>

using namespace dlprt::isa;

namespace dlprt {

namespace {

#define DLPRT_KERNEL __attribute__((target_clones("avx2", "default")))

/// Output pixels gathered per chunk (bounds the im2col tile's memory).
constexpr size_t kChunk = 64;

/// acc[m][q] += sum_k x[m][k] * w[k][q] for m < M, with Q known at compile
/// time so the q loop becomes whole vectors; MR rows share each weight load.
template <unsigned Q, unsigned MR>
[[gnu::always_inline]] inline void tileQ(const int8_t *x, const uint32_t *w,
                                         uint32_t *acc, size_t M, size_t K) {
  size_t m = 0;
  for (; m + MR <= M; m += MR) {
    uint32_t a[MR][Q];
    for (unsigned r = 0; r < MR; ++r)
      for (unsigned q = 0; q < Q; ++q)
        a[r][q] = acc[(m + r) * Q + q];
    for (size_t k = 0; k < K; ++k) {
      const uint32_t *wr = w + k * Q;
      for (unsigned r = 0; r < MR; ++r) {
        uint32_t xv = uint32_t(int32_t(x[(m + r) * K + k]));
        for (unsigned q = 0; q < Q; ++q)
          a[r][q] += xv * wr[q];
      }
    }
    for (unsigned r = 0; r < MR; ++r)
      for (unsigned q = 0; q < Q; ++q)
        acc[(m + r) * Q + q] = a[r][q];
  }
  for (; m < M; ++m)
    for (size_t k = 0; k < K; ++k) {
      uint32_t xv = uint32_t(int32_t(x[m * K + k]));
      for (unsigned q = 0; q < Q; ++q)
        acc[m * Q + q] += xv * w[k * Q + q];
    }
}

DLPRT_KERNEL void gemmTile(const int8_t *x, const uint32_t *w, uint32_t *acc,
                           size_t M, size_t K, size_t Q) {
  switch (Q) {
  case 8:
    return tileQ<8, 4>(x, w, acc, M, K);
  case 16:
    return tileQ<16, 2>(x, w, acc, M, K);
  case 32:
    return tileQ<32, 1>(x, w, acc, M, K);
  case 64:
    return tileQ<64, 1>(x, w, acc, M, K);
  default:
    for (size_t m = 0; m < M; ++m)
      for (size_t k = 0; k < K; ++k) {
        uint32_t xv = uint32_t(int32_t(x[m * K + k]));
        for (size_t q = 0; q < Q; ++q)
          acc[m * Q + q] += xv * w[k * Q + q];
      }
  }
}

/// The int32 multiplier of a WBUF entry (docs/isa.md 3.3, term()).
uint32_t multiplier(uint8_t entry, WFmt fmt) {
  if (fmt == WFmt::Int8)
    return uint32_t(int32_t(int8_t(entry)));
  unsigned k = entry & 7;
  if (k == 0)
    return 0;
  uint32_t m = uint32_t(1) << (k - 1);
  return (entry & 8) ? 0u - m : m;
}

} // namespace

void executeGemm(const TargetConfig &t, const Instr &in, MachineState &s) {
  auto g = [&](Field f) { return int64_t(in.get(f)); };
  const size_t L = t.L, Q = t.Q;
  WFmt fmt = WFmt(g(Field::Gemm_wfmt));
  int64_t inH = g(Field::Gemm_in_h), inW = g(Field::Gemm_in_w);
  int64_t inCb = g(Field::Gemm_in_cb), cstride = g(Field::Gemm_in_cstride);
  int64_t outW = g(Field::Gemm_out_w);
  int64_t kH = g(Field::Gemm_k_h), kW = g(Field::Gemm_k_w);
  int64_t sH = g(Field::Gemm_stride_h), sW = g(Field::Gemm_stride_w);
  int64_t dH = g(Field::Gemm_dil_h), dW = g(Field::Gemm_dil_w);
  int64_t pT = g(Field::Gemm_pad_t), pL = g(Field::Gemm_pad_l);
  size_t M = size_t(g(Field::Gemm_out_h)) * outW;
  size_t K = size_t(kH * kW * inCb) * L;
  size_t wAddr = g(Field::Gemm_w_addr);

  // term = (v << a) * w = v * (w << a) modulo 2^32: the row's alignment is
  // folded into its multipliers, so the gather only widens.
  // Rows whose multipliers are all zero (padding channels of a layer with
  // fewer than L inputs, pruned inputs) add nothing: they are dropped, and
  // the tile is compacted to the `keep` rows when that saves enough.
  std::vector<uint32_t> w(K * Q);
  std::vector<uint32_t> keep;
  for (size_t k = 0; k < K; ++k) {
    const uint8_t *row = s.wcode.data() + (wAddr + k) * Q;
    unsigned align = s.walign[wAddr + k] & 31;
    uint32_t *wr = w.data() + keep.size() * Q;
    uint32_t any = 0;
    for (size_t q = 0; q < Q; ++q)
      any |= wr[q] = multiplier(row[q], fmt) << align;
    if (any)
      keep.push_back(uint32_t(k));
  }
  const size_t Kc = keep.size();
  const bool compact = Kc < K - K / 8;
  if (!compact) { // keep every row: decode again in place, uncompacted
    for (size_t k = 0; k < K; ++k) {
      const uint8_t *row = s.wcode.data() + (wAddr + k) * Q;
      unsigned align = s.walign[wAddr + k] & 31;
      for (size_t q = 0; q < Q; ++q)
        w[k * Q + q] = multiplier(row[q], fmt) << align;
    }
  }

  size_t param = g(Field::Gemm_param_addr) * Q;
  uint32_t *abuf =
      reinterpret_cast<uint32_t *>(s.abuf.data()) + g(Field::Gemm_acc_addr) * Q;
  bool accumulate = g(Field::Gemm_accumulate);
  std::vector<int8_t> x(std::min(M, kChunk) * K);
  std::vector<int8_t> xc(compact ? std::min(M, kChunk) * Kc : 0);
  std::vector<uint32_t> acc(std::min(M, kChunk) * Q);
  const int8_t *fbuf = s.fbuf.data() + g(Field::Gemm_in_addr) * L;
  for (size_t m0 = 0; m0 < M; m0 += kChunk) {
    size_t mc = std::min(kChunk, M - m0);
    // Gather the im2col tile; rows ((ky*k_w + kx)*in_cb + cb)*L + l.
    std::fill(x.begin(), x.begin() + mc * K, 0);
    for (size_t m = 0; m < mc; ++m) {
      int64_t y = int64_t(m0 + m) / outW, xo = int64_t(m0 + m) % outW;
      int8_t *xr = x.data() + m * K;
      for (int64_t ky = 0; ky < kH; ++ky) {
        int64_t iy = y * sH + ky * dH - pT;
        if (iy < 0 || iy >= inH)
          continue;
        for (int64_t kx = 0; kx < kW; ++kx) {
          int64_t ix = xo * sW + kx * dW - pL;
          if (ix < 0 || ix >= inW)
            continue;
          for (int64_t cb = 0; cb < inCb; ++cb) {
            size_t k0 = size_t((ky * kW + kx) * inCb + cb) * L;
            std::memcpy(xr + k0, fbuf + (cb * cstride + iy * inW + ix) * L, L);
          }
        }
      }
    }
    for (size_t m = 0; m < mc; ++m)
      for (size_t q = 0; q < Q; ++q)
        acc[m * Q + q] =
            accumulate ? abuf[(m0 + m) * Q + q] : uint32_t(s.bias[param + q]);
    if (compact) {
      for (size_t m = 0; m < mc; ++m)
        for (size_t j = 0; j < Kc; ++j)
          xc[m * Kc + j] = x[m * K + keep[j]];
      if (Kc)
        gemmTile(xc.data(), w.data(), acc.data(), mc, Kc, Q);
    } else {
      gemmTile(x.data(), w.data(), acc.data(), mc, K, Q);
    }
    std::memcpy(abuf + m0 * Q, acc.data(), mc * Q * sizeof(uint32_t));
    if (!g(Field::Gemm_epilogue))
      continue;
    int8_t *out = s.fbuf.data() + (g(Field::Gemm_out_addr) + m0) * L;
    for (size_t m = 0; m < mc; ++m)
      for (size_t q = 0; q < Q; ++q)
        out[m * Q + q] = detail::clampAct(
            detail::requant(int32_t(acc[m * Q + q]), s.outShift[param + q]),
            s.actMin[param + q], s.actMax[param + q]);
  }
}

} // namespace dlprt

//===- Table.h - int8 -> int8 lookup tables of activations -------*- C++ -*-===//
//
// An element-wise float function between two int8 feature maps is, per
// channel, a function of 256 codes: the table of docs/numerics.md section 7
// holds what Dequantize (x = q * 2^-f_in), the float function and Quantize
// (q = sat8(floor(y * 2^f_out + 1/2))) compute for each of them, so a table
// lookup gives the same integers as that chain, bit for bit. Shared by the
// quantizer (which builds tables), the quantized evaluator and the host
// segment of the simulator.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_TABLE_H
#define DLPRT_KERNELS_TABLE_H

#include "dlprt/Numerics.h"
#include "dlprt/kernels/Requant.h"

#include <cstdint>

namespace dlprt::kernels {

/// Entries of one channel's table: one per int8 code, code q at q + 128.
constexpr int kTableEntries = 256;

/// Fills `table` (kTableEntries) with quantize(f(dequantize(q, fIn)), fOut)
/// for q = -128 ... 127, dequantizing to float and quantizing with the
/// rules (and the kernels) of the Dequantize / Quantize chain.
template <class F>
void buildTable(F &&f, int fIn, int fOut, int8_t *table) {
  float y[kTableEntries];
  for (int q = -128; q < 128; ++q)
    y[q + 128] = f(static_cast<float>(num::dequantize(q, fIn)));
  quantizeRow(y, kTableEntries, fOut, table);
}

/// dst[i] = table[src[i] + 128] for i < n.
inline void applyTable(const int8_t *table, const int8_t *src, int8_t *dst,
                       int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    dst[i] = table[int(src[i]) + 128];
}

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_TABLE_H

//===- IGemmAmxTest.cpp - Tests for the AMX int8 GEMM kernel ---------------===//
//
// amx::gemm (AMX and AVX-512 VNNI where the CPU has them, and the portable
// loops) against a plain reference on the unpacked matrix: random and
// extreme values, odd sizes, partial tiles, empty groups and blocks,
// exponents 0 and 31 (wraparound).
//
//===----------------------------------------------------------------------===//

#include "dlprt/kernels/IGemmAmx.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace amx = dlprt::kernels::amx;

namespace {

struct Case {
  int64_t m, n;
  std::vector<amx::Group> groups;
};

void check(const Case &cs, std::mt19937 &rng, bool extreme) {
  const std::vector<amx::Group> &groups = cs.groups;
  std::vector<std::vector<int8_t>> w;
  std::vector<const int8_t *> ptrs;
  int64_t depth = 0;
  for (const amx::Group &g : groups) {
    std::vector<int8_t> v(size_t(cs.m * g.cols));
    for (auto &e : v)
      e = extreme ? int8_t(rng() % 2 ? -128 : 127) : int8_t(rng());
    // Whole zero tiles (skipped by the kernel) in some groups.
    if (g.cols > 64 && g.exp % 2)
      for (int64_t i = 0; i < std::min<int64_t>(cs.m, 16); ++i)
        std::fill_n(v.begin() + i * g.cols, 64, 0);
    // A whole block of outputs without a weight (the VNNI kernel skips it).
    if (g.exp == 13)
      for (int64_t i = 16; i < std::min<int64_t>(cs.m, 32); ++i)
        std::fill_n(v.begin() + i * g.cols, g.cols, 0);
    w.push_back(std::move(v));
    depth = std::max(depth, g.start + (g.cols + 63) / 64 * 64);
  }
  for (auto &v : w)
    ptrs.push_back(v.data());
  amx::PackedW pw;
  ASSERT_TRUE(pw.pack(cs.m, groups, ptrs));
  ASSERT_EQ(pw.depth(), depth);
  const int64_t ldx = depth + 5;
  int64_t rowsPad = (cs.n + amx::kTileRows - 1) / amx::kTileRows * amx::kTileRows;
  std::vector<int8_t> x(size_t(rowsPad * ldx));
  for (auto &v : x)
    v = extreme ? int8_t(rng() % 2 ? -128 : 127) : int8_t(rng());
  std::vector<uint8_t> xb(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    xb[i] = uint8_t(x[i] + 128);
  std::vector<int32_t> bias(size_t(cs.m));
  for (auto &v : bias)
    v = int32_t(rng());
  const int64_t ldo = cs.m + 3;
  std::vector<uint32_t> init(size_t(cs.n * ldo));
  for (auto &v : init)
    v = uint32_t(rng());
  for (bool accumulate : {false, true})
    for (amx::Kernel kernel :
         {amx::Kernel::Generic, amx::Kernel::Vnni, amx::Kernel::Best}) {
      if ((kernel == amx::Kernel::Vnni && !amx::vnniAvailable()) ||
          (kernel == amx::Kernel::Best && !amx::available()))
        continue;
      const char *name = kernel == amx::Kernel::Generic ? " generic"
                         : kernel == amx::Kernel::Vnni  ? " vnni"
                                                        : " amx";
      std::vector<uint32_t> out = init;
      amx::gemm(pw, x.data(), ldx, cs.n, bias.data(), accumulate, out.data(),
                ldo, kernel);
      // X + 128 as unsigned bytes: the same sums.
      std::vector<uint32_t> outBiased = init;
      if (kernel != amx::Kernel::Best)
        amx::gemmBiasedX(pw, xb.data(), ldx, cs.n, bias.data(), accumulate,
                         outBiased.data(), ldo,
                         kernel == amx::Kernel::Generic);
      else
        outBiased = out;
      ASSERT_EQ(out, outBiased) << "X + 128," << name;
      // X read in place as chunks ldc apart (rows 64 bytes apart, as in the
      // simulator's FBUF), where every group starts at a chunk.
      bool chunkStarts = std::all_of(groups.begin(), groups.end(),
                                     [](const amx::Group &g) {
                                       return g.start % amx::kChunk == 0;
                                     });
      if (kernel != amx::Kernel::Best && chunkStarts) {
        const int64_t chunks = depth / amx::kChunk,
                      ldc = cs.n * amx::kChunk + 64;
        std::vector<int8_t> xs(size_t(std::max<int64_t>(chunks, 1) * ldc));
        for (int64_t j = 0; j < cs.n; ++j)
          for (int64_t p = 0; p < depth; ++p)
            xs[size_t(j * amx::kChunk + p / amx::kChunk * ldc +
                      p % amx::kChunk)] = x[size_t(j * ldx + p)];
        std::vector<uint32_t> outChunked = init;
        amx::gemmChunked(pw, xs.data(), amx::kChunk, ldc, cs.n, bias.data(),
                         accumulate, outChunked.data(), ldo,
                         kernel == amx::Kernel::Generic);
        ASSERT_EQ(out, outChunked) << "chunks in place," << name;
      }
      for (int64_t j = 0; j < cs.n; ++j)
        for (int64_t i = 0; i < ldo; ++i) {
          uint32_t want = init[size_t(j * ldo + i)];
          if (i < cs.m) {
            if (!accumulate)
              want = uint32_t(bias[size_t(i)]);
            // The definition: W(i, p) = sum_g w_g(i, p) 2^e_g, modulo 2^32.
            for (int64_t p = 0; p < depth; ++p) {
              uint32_t wp = 0;
              for (size_t g = 0; g < groups.size(); ++g)
                if (p >= groups[g].start && p < groups[g].start + groups[g].cols)
                  wp += uint32_t(int32_t(
                            w[g][size_t(i * groups[g].cols + p - groups[g].start)]))
                        << groups[g].exp;
              want += wp * uint32_t(int32_t(x[size_t(j * ldx + p)]));
            }
          }
          ASSERT_EQ(out[size_t(j * ldo + i)], want)
              << "m=" << cs.m << " n=" << cs.n << " at pixel " << j
              << " output " << i << name
              << (accumulate ? " accumulate" : "");
        }
    }
}

} // namespace

TEST(IGemmAmx, MatchesTheDefinition) {
  std::mt19937 rng(2024);
  const Case cases[] = {
      {64, 169, {{0, 27, 0}}},
      // Disjoint groups at chunk boundaries (rows grouped by exponent).
      {64, 40, {{0, 72, 31}, {128, 5, 7}, {192, 130, 3}, {384, 0, 9}, {384, 64, 0}}},
      // Byte planes: the same range at exponents e, e + 8, e + 16.
      {64, 37, {{0, 576, 2}, {0, 576, 10}, {0, 576, 18}}},
      {70, 33, {{0, 200, 0}, {0, 200, 8}}},
      // Odd starts, overlapping ranges, a lone group.
      {17, 16, {{3, 63, 2}, {1, 65, 30}, {0, 130, 31}}},
      {1, 1, {{0, 1, 5}}},
      {8, 17, {{0, 9, 1}, {64, 3, 2}, {128, 1, 3}}},
      {48, 15, {}},
      {16, 64, {{0, 576, 4}}},
      // One group of exponent 0 on whole blocks: tiles from the base,
      // stored as they are (full pixel tiles), the rest as above.
      {48, 40, {{0, 130, 0}}},
      {32, 33, {{64, 100, 0}}},
      // A block without weights in one group (exponent 13), five blocks.
      {64, 21, {{0, 100, 5}, {0, 100, 13}}},
      {80, 9, {{0, 70, 13}, {128, 64, 1}}},
      // A block no group has a weight for: its outputs are the bias alone.
      {48, 10, {{0, 70, 13}}},
      // Groups packed at quads (the VNNI plan): a group's short last chunk
      // covers the next groups' columns (zero in its tile), and the VNNI
      // kernel steps through a chunk's quads only up to the group's end.
      {64, 29, {{0, 18, 3}, {20, 5, 9}, {28, 70, 1}, {100, 2, 0}}},
      {33, 7, {{0, 1, 4}, {4, 66, 12}, {72, 3, 20}}},
  };
  for (const Case &c : cases)
    for (bool extreme : {false, true})
      check(c, rng, extreme);
}

TEST(IGemmAmx, RefusesBadGroups) {
  std::vector<int8_t> w(4 * 256, 1);
  amx::PackedW pw;
  EXPECT_FALSE(pw.pack(4, {{0, 4, 32}}, {w.data()}));
  EXPECT_FALSE(pw.pack(4, {{0, 4, -1}}, {w.data()}));
  EXPECT_FALSE(pw.pack(4, {{-1, 4, 0}}, {w.data()}));
  EXPECT_FALSE(pw.pack(0, {{0, 4, 0}}, {w.data()}));
  EXPECT_FALSE(pw.pack(4, {{0, 4, 0}}, {}));
  EXPECT_TRUE(pw.empty());
  EXPECT_TRUE(pw.pack(4, {{128, 128, 3}, {0, 10, 5}}, {w.data(), w.data()}));
  EXPECT_EQ(pw.depth(), 256);
}

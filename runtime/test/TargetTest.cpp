//===- TargetTest.cpp - Target config parsing, checks, fingerprint --------===//

#include "dlprt/Target.h"

#include "llvm/Support/xxhash.h"
#include "gtest/gtest.h"

#include <regex>

using namespace dlprt;

namespace {

const char *kSmall = R"({"name": "small", "array": {"L": 8, "Q": 8},
  "sram": {"feature_bytes": 131072, "weight_bank_bytes": 32768,
           "acc_bytes": 65536, "param_entries": 1024},
  "clock_mhz": 200, "ddr": {"bytes_per_cycle": 16, "latency_cycles": 64},
  "weight_formats": ["pow2", "int8"], "csr": false,
  "units": {"pool": true, "eltwise": true},
  "devices": {"count": 1, "link_bytes_per_cycle": 0}})";

std::string parseError(const std::string &json) {
  llvm::Expected<TargetConfig> t = parseTargetConfig(json, "cfg.json");
  if (t)
    return "";
  return llvm::toString(t.takeError());
}

/// kSmall with the first occurrence of `from` replaced by `to`.
std::string edit(const std::string &from, const std::string &to) {
  std::string s = kSmall;
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(Target, ShippedConfigs) {
  auto small = loadTargetConfig(DLPRT_CONFIG_DIR "/small.json");
  ASSERT_TRUE(bool(small)) << llvm::toString(small.takeError());
  EXPECT_EQ(small->L, 8u);
  EXPECT_EQ(small->fbufVectors(), 16384u);
  EXPECT_EQ(small->wbufRows(), 8192u);
  EXPECT_EQ(small->abufVectors(), 2048u);
  auto large = loadTargetConfig(DLPRT_CONFIG_DIR "/large.json");
  ASSERT_TRUE(bool(large)) << llvm::toString(large.takeError());
  EXPECT_EQ(large->Q, 64u);
  EXPECT_DOUBLE_EQ(large->clockMHz * large->ddrBytesPerCycle, 19200.0);
  EXPECT_EQ(large->rowBytes(isa::WFmt::Pow2), 33u);
  EXPECT_EQ(large->rowBytes(isa::WFmt::Int8), 65u);
  EXPECT_NE(small->fingerprint(), large->fingerprint());
  // Both have the CSR decoder (GEMM_CSR, docs/isa.md 3.7).
  EXPECT_TRUE(small->csr());
  EXPECT_TRUE(large->csr());
  EXPECT_EQ(small->csrDenseRows, 512u);
  EXPECT_EQ(large->csrDenseRows, 2048u);
  EXPECT_EQ(large->rowBytes(isa::WFmt::Csr), 65u);
  // Pinned: binaries record these, so a change of the canonical form or the
  // hash is a format change (bump kFormatVersion, update here); so is a
  // change of a shipped config (binaries compiled for the old one are
  // refused with --target).
  EXPECT_EQ(small->fingerprint(), 0x52b673cc5f232644ull);
  EXPECT_EQ(large->fingerprint(), 0xed088f1a2830c221ull);
  // large-win: large with the window-sparse array in place of the CSR
  // decoder (GEMM_WIN, docs/isa.md 3.8).
  auto win = loadTargetConfig(DLPRT_CONFIG_DIR "/large-win.json");
  ASSERT_TRUE(bool(win)) << llvm::toString(win.takeError());
  EXPECT_EQ(win->window, 10u);
  EXPECT_TRUE(win->windowSparse());
  EXPECT_FALSE(win->csr());
  EXPECT_EQ(win->fbufVectors(), large->fbufVectors());
  EXPECT_EQ(win->wbufRows(), large->wbufRows());
}

TEST(Target, CanonicalJsonAndFingerprint) {
  auto t = parseTargetConfig(kSmall, "x");
  ASSERT_TRUE(bool(t));
  std::string canon = t->toJSON();
  EXPECT_EQ(canon,
            R"({"name":"small","array":{"L":8,"Q":8},"sram":{"feature_bytes":)"
            R"(131072,"weight_bank_bytes":32768,"acc_bytes":65536,)"
            R"("param_entries":1024},"clock_mhz":200,"ddr":{"bytes_per_cycle":)"
            R"(16,"latency_cycles":64},"weight_formats":["pow2","int8"],)"
            R"("csr":false,"units":{"pool":true,"eltwise":true},"devices":)"
            R"({"count":1,"link_bytes_per_cycle":0}})");
  // Stable across releases: binaries record it.
  EXPECT_EQ(t->fingerprint(), llvm::xxh3_64bits(canon));
  auto again = parseTargetConfig(canon, "canonical");
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(again->toJSON(), canon);
  EXPECT_EQ(again->fingerprint(), t->fingerprint());
  // The CSR decoder's object form round-trips too.
  auto withCsr =
      parseTargetConfig(edit("\"csr\": false", "\"csr\": {\"dense_rows\": 64}"), "c");
  ASSERT_TRUE(bool(withCsr)) << llvm::toString(withCsr.takeError());
  EXPECT_TRUE(withCsr->csr());
  EXPECT_EQ(withCsr->csrDenseRows, 64u);
  EXPECT_NE(withCsr->toJSON().find(R"("csr":{"dense_rows":64})"),
            std::string::npos);
  auto again2 = parseTargetConfig(withCsr->toJSON(), "canonical");
  ASSERT_TRUE(bool(again2));
  EXPECT_EQ(again2->fingerprint(), withCsr->fingerprint());
  // The window-sparse array's window: written when above 1 (a config
  // without it, or with 1, is the same target as before it existed).
  EXPECT_EQ(t->window, 1u);
  auto one = parseTargetConfig(edit("\"Q\": 8}", "\"Q\": 8, \"window\": 1}"), "w");
  ASSERT_TRUE(bool(one)) << llvm::toString(one.takeError());
  EXPECT_EQ(one->fingerprint(), t->fingerprint());
  auto win = parseTargetConfig(edit("\"Q\": 8}", "\"Q\": 8, \"window\": 10}"), "w");
  ASSERT_TRUE(bool(win)) << llvm::toString(win.takeError());
  EXPECT_TRUE(win->windowSparse());
  EXPECT_NE(win->toJSON().find(R"("array":{"L":8,"Q":8,"window":10})"),
            std::string::npos);
  auto again3 = parseTargetConfig(win->toJSON(), "canonical");
  ASSERT_TRUE(bool(again3));
  EXPECT_EQ(again3->fingerprint(), win->fingerprint());
  EXPECT_NE(win->fingerprint(), t->fingerprint());
  // Output pixels per step: likewise written when above 1.
  EXPECT_EQ(t->pixels, 1u);
  EXPECT_EQ(t->pes(), 64u);
  auto px1 = parseTargetConfig(edit("\"Q\": 8}", "\"Q\": 8, \"pixels\": 1}"), "p");
  ASSERT_TRUE(bool(px1)) << llvm::toString(px1.takeError());
  EXPECT_EQ(px1->fingerprint(), t->fingerprint());
  auto px4 = parseTargetConfig(edit("\"Q\": 8}", "\"Q\": 8, \"pixels\": 4}"), "p");
  ASSERT_TRUE(bool(px4)) << llvm::toString(px4.takeError());
  EXPECT_EQ(px4->pixels, 4u);
  EXPECT_EQ(px4->pes(), 256u);
  EXPECT_NE(px4->toJSON().find(R"("array":{"L":8,"Q":8,"pixels":4})"),
            std::string::npos);
  auto again4 = parseTargetConfig(px4->toJSON(), "canonical");
  ASSERT_TRUE(bool(again4));
  EXPECT_EQ(again4->fingerprint(), px4->fingerprint());
  EXPECT_NE(px4->fingerprint(), t->fingerprint());
  // FBUF banks for the array's reads: 1 at one pixel per step, else the
  // power of two at or above 2 * pixels, when absent (and then not
  // written); another count is written after param_entries.
  EXPECT_EQ(t->featureBanks(), 1u);
  EXPECT_EQ(px4->featureBanks(), 8u);
  std::string px4Text = edit("\"Q\": 8}", "\"Q\": 8, \"pixels\": 4}");
  auto withBanks = [&](const std::string &banks) {
    std::string s = px4Text;
    std::string at = "\"param_entries\": 1024";
    s.replace(s.find(at), at.size(), at + ", \"feature_banks\": " + banks);
    return parseTargetConfig(s, "b");
  };
  auto b8 = withBanks("8");
  ASSERT_TRUE(bool(b8)) << llvm::toString(b8.takeError());
  EXPECT_EQ(b8->fingerprint(), px4->fingerprint());
  auto b2 = withBanks("2");
  ASSERT_TRUE(bool(b2)) << llvm::toString(b2.takeError());
  EXPECT_EQ(b2->featureBanks(), 2u);
  EXPECT_NE(b2->toJSON().find(R"("param_entries":1024,"feature_banks":2})"),
            std::string::npos);
  auto again5 = parseTargetConfig(b2->toJSON(), "canonical");
  ASSERT_TRUE(bool(again5));
  EXPECT_EQ(again5->featureBanks(), 2u);
  EXPECT_EQ(again5->fingerprint(), b2->fingerprint());
  EXPECT_NE(b2->fingerprint(), px4->fingerprint());
  // Set in code to the default, the count is not written either.
  TargetConfig same = *px4;
  same.featureBankCount = 8;
  EXPECT_EQ(same.toJSON(), px4->toJSON());
  // One pixel per step shares no bank: the field is refused there.
  auto onePixel = parseTargetConfig(
      edit("\"param_entries\": 1024",
           "\"param_entries\": 1024, \"feature_banks\": 4"),
      "b1");
  ASSERT_FALSE(bool(onePixel));
  EXPECT_NE(llvm::toString(onePixel.takeError())
                .find("$.sram.feature_banks: needs array.pixels > 1"),
            std::string::npos);
  for (auto [banks, msg] :
       {std::pair<const char *, const char *>{
            "0", "$.sram.feature_banks: value 0 out of range [1, 64]"},
        {"128", "$.sram.feature_banks: value 128 out of range [1, 64]"},
        {"12", "$.sram.feature_banks: value 12 is not a power of two"},
        {"true", "$.sram.feature_banks: expected an integer"}}) {
    auto e = withBanks(banks);
    ASSERT_FALSE(bool(e)) << banks;
    EXPECT_NE(llvm::toString(e.takeError()).find(msg), std::string::npos)
        << banks;
  }
  // Key order and spacing of the source do not matter.
  auto shuffled = parseTargetConfig(
      edit(R"("name": "small", )", "").insert(1, R"("name":"small",)"), "y");
  ASSERT_TRUE(bool(shuffled));
  EXPECT_EQ(shuffled->fingerprint(), t->fingerprint());
  // Every field changes it.
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"small\"", "\"small2\""},
           {"131072", "262144"},
           {"32768", "65536"},
           {"65536,", "131072,"},
           {"1024", "512"},
           {"200", "250"},
           {"16,", "32,"},
           {"64}", "65}"},
           {"[\"pow2\", \"int8\"]", "[\"pow2\"]"},
           {"\"pool\": true", "\"pool\": false"},
           {"\"eltwise\": true", "\"eltwise\": false"},
           {"\"csr\": false", "\"csr\": {\"dense_rows\": 64}"},
           {"\"count\": 1, \"link_bytes_per_cycle\": 0",
            "\"count\": 2, \"link_bytes_per_cycle\": 4"}}) {
    auto other = parseTargetConfig(edit(from, to), "z");
    ASSERT_TRUE(bool(other))
        << from << " -> " << to << ": " << llvm::toString(other.takeError());
    EXPECT_NE(other->fingerprint(), t->fingerprint()) << from;
  }
}

struct ErrorCase {
  std::string from, to, expected;
};

TEST(Target, ErrorsNameSourcePathAndProblem) {
  std::vector<ErrorCase> cases = {
      {"\"csr\": false", "\"csr\": false, \"fpga\": 1",
       "$.fpga: unknown field"},
      {"\"L\": 8, ", "\"L\": 8, \"M\": 1, ", "$.array.M: unknown field"},
      {"\"clock_mhz\": 200, ", "", "$.clock_mhz: missing field"},
      {"\"acc_bytes\": 65536, ", "", "$.sram.acc_bytes: missing field"},
      {"\"L\": 8", "\"L\": \"8\"", "$.array.L: expected an integer"},
      {"\"L\": 8", "\"L\": 8.5", "$.array.L: expected an integer"},
      {"\"csr\": false", "\"csr\": 0", "$.csr: expected false or an object"},
      {"\"csr\": false", "\"csr\": true", "$.csr: expected false or an object"},
      {"\"csr\": false", "\"csr\": {}", "$.csr.dense_rows: missing field"},
      {"\"csr\": false", "\"csr\": {\"dense_rows\": 8, \"rows\": 8}",
       "$.csr.rows: unknown field"},
      {"\"csr\": false", "\"csr\": {\"dense_rows\": 12}",
       "$.csr.dense_rows: value 12 is not a multiple of L (8)"},
      {"\"csr\": false", "\"csr\": {\"dense_rows\": 4}",
       "$.csr.dense_rows: value 4 out of range [8, 4096]"},
      {"\"csr\": false", "\"csr\": {\"dense_rows\": 4104}",
       "$.csr.dense_rows: value 4104 out of range [8, 4096]"},

      {"\"Q\": 8}", "\"Q\": 8, \"window\": 17}",
       "$.array.window: value 17 out of range [1, 16]"},
      {"\"Q\": 8}", "\"Q\": 8, \"window\": 0}",
       "$.array.window: value 0 out of range [1, 16]"},
      {"\"Q\": 8}", "\"Q\": 8, \"window\": 2.5}",
       "$.array.window: expected an integer"},
      {"\"Q\": 8}", "\"Q\": 8, \"pixels\": 0}",
       "$.array.pixels: value 0 out of range [1, 16]"},
      {"\"Q\": 8}", "\"Q\": 8, \"pixels\": 32}",
       "$.array.pixels: value 32 out of range [1, 16]"},
      {"\"Q\": 8}", "\"Q\": 8, \"pixels\": 1.5}",
       "$.array.pixels: expected an integer"},
      {"\"Q\": 8}", "\"Q\": 8, \"pixel\": 2}",
       "$.array.pixel: unknown field"},

      {"\"name\": \"small\"", "\"name\": \"\"", "$.name: expected a non-empty"},
      {"{\"L\": 8, \"Q\": 8}", "[8, 8]", "$.array: expected an object"},
      {"\"Q\": 8", "\"Q\": 16", "$.array.Q: ISA v1 requires Q == L"},
      {"\"L\": 8, \"Q\": 8", "\"L\": 12, \"Q\": 12",
       "$.array.L: value 12 is not a power of two"},
      {"\"L\": 8, \"Q\": 8", "\"L\": 512, \"Q\": 512",
       "$.array.L: value 512 out of range [1, 256]"},
      {"\"feature_bytes\": 131072", "\"feature_bytes\": 0",
       "$.sram.feature_bytes: value 0 out of range"},
      {"\"feature_bytes\": 131072", "\"feature_bytes\": 131071",
       "$.sram.feature_bytes: value 131071 is not a multiple of 8"},
      {"\"acc_bytes\": 65536", "\"acc_bytes\": 65540",
       "$.sram.acc_bytes: value 65540 is not a multiple of 32"},
      {"\"feature_bytes\": 131072", "\"feature_bytes\": 134217736",
       "$.sram.feature_bytes: 16777217 FBUF vectors exceed"},
      {"\"weight_bank_bytes\": 32768", "\"weight_bank_bytes\": 67108872",
       "$.sram.weight_bank_bytes: 8388609 rows per WBUF bank exceed"},
      {"\"acc_bytes\": 65536", "\"acc_bytes\": 33554464",
       "$.sram.acc_bytes: 1048577 ABUF vectors exceed"},
      {"\"param_entries\": 1024", "\"param_entries\": 65537",
       "$.sram.param_entries: value 65537 out of range [1, 65536]"},
      {"\"clock_mhz\": 200", "\"clock_mhz\": 0", "$.clock_mhz: value 0"},
      {"\"bytes_per_cycle\": 16", "\"bytes_per_cycle\": -1",
       "$.ddr.bytes_per_cycle: value -1"},
      {"[\"pow2\", \"int8\"]", "[]", "$.weight_formats: at least one"},
      {"[\"pow2\", \"int8\"]", "[\"pow2\", \"fp8\"]",
       "$.weight_formats[1]: expected \"pow2\" or \"int8\""},
      {"[\"pow2\", \"int8\"]", "[\"int8\", \"int8\"]",
       "$.weight_formats[1]: duplicate format"},
      {"\"count\": 1", "\"count\": 0", "$.devices.count: value 0 out of range"},
      {"\"count\": 1", "\"count\": 2",
       "$.devices.link_bytes_per_cycle: must be > 0 when count > 1"},
  };
  for (const ErrorCase &c : cases) {
    std::string err = parseError(edit(c.from, c.to));
    EXPECT_NE(err.find("cfg.json: " + c.expected), std::string::npos)
        << c.from << " -> " << c.to << "\n  got: " << err;
  }
  // WBUF banks too small for one K block of dense rows: named as such.
  std::string tiny = edit("\"weight_bank_bytes\": 32768",
                          "\"weight_bank_bytes\": 16");
  tiny.replace(tiny.find("\"csr\": false"), 12,
               "\"csr\": {\"dense_rows\": 8}");
  EXPECT_NE(parseError(tiny).find(
                "cfg.json: $.csr.dense_rows: a CSR decoder needs WBUF banks "
                "of at least L (8) rows; this target's hold 2"),
            std::string::npos)
      << parseError(tiny);
  EXPECT_NE(parseError("{").find("cfg.json: $: invalid JSON"),
            std::string::npos);
  EXPECT_NE(parseError("[]").find("cfg.json: $: expected an object"),
            std::string::npos);
  auto missing = loadTargetConfig("/nonexistent/cfg.json");
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("/nonexistent/cfg.json"),
            std::string::npos);
}

} // namespace

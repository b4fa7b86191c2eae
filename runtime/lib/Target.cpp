//===- Target.cpp - Target config: JSON parse, checks, canonical form -----===//
//
// The schema is docs/target-config.md. Every error names the source, the
// JSON path and the problem.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Target.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cmath>

using namespace llvm;

namespace dlprt {

namespace {

/// Largest unit counts the ISA's address fields can reach (docs/isa.md 3):
/// 24-bit FBUF / WBUF addresses, 20-bit ABUF, 16-bit PBUF.
constexpr uint64_t kMaxFbufVectors = uint64_t(1) << 24;
constexpr uint64_t kMaxWbufRows = uint64_t(1) << 24;
constexpr uint64_t kMaxAbufVectors = uint64_t(1) << 20;
constexpr uint64_t kMaxParamEntries = uint64_t(1) << 16;
constexpr uint32_t kMaxArray = 256;
/// Copies of the array (array.pixels): up to 16 output pixels per step.
constexpr uint32_t kMaxPixels = 16;
/// FBUF banks for the array's input reads (sram.feature_banks).
constexpr uint32_t kMaxFeatureBanks = 64;

/// Reads one object level, remembering which keys were used so that
/// unknown ones are reported.
class Reader {
public:
  Reader(StringRef source) : source(source.str()) {}

  Error error(const Twine &path, const Twine &msg) {
    return createStringError(inconvertibleErrorCode(), "%s: %s: %s",
                             source.c_str(), path.str().c_str(),
                             msg.str().c_str());
  }

  /// The member `key` of `obj` at `path`, or an error if it is missing.
  Expected<const json::Value *> member(const json::Object &obj,
                                       const std::string &path, StringRef key) {
    const json::Value *v = obj.get(key);
    if (!v)
      return error(path + "." + key, "missing field");
    return v;
  }

  Error checkKeys(const json::Object &obj, const std::string &path,
                  ArrayRef<StringRef> known) {
    for (const auto &kv : obj) {
      if (!llvm::is_contained(known, StringRef(kv.first)))
        return error(path + "." + StringRef(kv.first), "unknown field");
    }
    return Error::success();
  }

  Expected<const json::Object *>
  object(const json::Object &obj, const std::string &path, StringRef key) {
    auto v = member(obj, path, key);
    if (!v)
      return v.takeError();
    if (const json::Object *o = (*v)->getAsObject())
      return o;
    return error(path + "." + key, "expected an object");
  }

  /// An integer in [lo, hi].
  Expected<uint64_t> integer(const json::Object &obj, const std::string &path,
                             StringRef key, uint64_t lo, uint64_t hi) {
    auto v = member(obj, path, key);
    if (!v)
      return v.takeError();
    std::optional<int64_t> i = (*v)->getAsInteger();
    if (!i)
      return error(path + "." + key, "expected an integer");
    if (*i < 0 || uint64_t(*i) < lo || uint64_t(*i) > hi)
      return error(path + "." + key, "value " + Twine(*i) + " out of range [" +
                                         Twine(lo) + ", " + Twine(hi) + "]");
    return uint64_t(*i);
  }

  /// A finite number >= 0 (> 0 when `positive`).
  Expected<double> number(const json::Object &obj, const std::string &path,
                          StringRef key, bool positive) {
    auto v = member(obj, path, key);
    if (!v)
      return v.takeError();
    std::optional<double> d = (*v)->getAsNumber();
    if (!d)
      return error(path + "." + key, "expected a number");
    if (!std::isfinite(*d) || *d < 0 || (positive && *d == 0))
      return error(path + "." + key, Twine("value ") + std::to_string(*d) +
                                         " must be " +
                                         (positive ? "> 0" : ">= 0"));
    return *d;
  }

  Expected<bool> boolean(const json::Object &obj, const std::string &path,
                         StringRef key) {
    auto v = member(obj, path, key);
    if (!v)
      return v.takeError();
    if (std::optional<bool> b = (*v)->getAsBoolean())
      return *b;
    return error(path + "." + key, "expected true or false");
  }

private:
  std::string source;
};

/// `bytes` must be a positive multiple of `unit` giving at most `maxUnits`
/// units.
Error checkBuffer(Reader &r, const std::string &path, uint64_t bytes,
                  uint64_t unit, uint64_t maxUnits, StringRef what) {
  if (bytes % unit)
    return r.error(path, "value " + Twine(bytes) + " is not a multiple of " +
                             Twine(unit) + " (" + what + ")");
  if (bytes / unit > maxUnits)
    return r.error(path, Twine(bytes / unit) + " " + what +
                             " exceed the ISA's address range (" +
                             Twine(maxUnits) + ")");
  return Error::success();
}

} // namespace

// Each member read below propagates its error; the macro keeps the parser a
// flat list of fields.
#define DLPRT_READ(var, expr)                                                  \
  auto var##OrErr = (expr);                                                    \
  if (!var##OrErr)                                                             \
    return var##OrErr.takeError();                                             \
  auto var = *var##OrErr;

Expected<TargetConfig> parseTargetConfig(StringRef text, StringRef source) {
  Reader r(source);
  Expected<json::Value> doc = json::parse(text);
  if (!doc)
    return r.error("$", "invalid JSON: " + toString(doc.takeError()));
  const json::Object *root = doc->getAsObject();
  if (!root)
    return r.error("$", "expected an object");
  const std::string top = "$";
  if (Error e = r.checkKeys(*root, top,
                            {"name", "array", "sram", "clock_mhz", "ddr",
                             "weight_formats", "csr", "units", "devices"}))
    return std::move(e);

  TargetConfig t;
  DLPRT_READ(nameV, r.member(*root, top, "name"));
  std::optional<StringRef> name = nameV->getAsString();
  if (!name || name->empty())
    return r.error("$.name", "expected a non-empty string");
  t.name = name->str();

  DLPRT_READ(array, r.object(*root, top, "array"));
  if (Error e = r.checkKeys(*array, "$.array", {"L", "Q", "window", "pixels"}))
    return std::move(e);
  DLPRT_READ(L, r.integer(*array, "$.array", "L", 1, kMaxArray));
  DLPRT_READ(Q, r.integer(*array, "$.array", "Q", 1, kMaxArray));
  if (L & (L - 1))
    return r.error("$.array.L", "value " + Twine(L) + " is not a power of two");
  if (Q != L)
    return r.error("$.array.Q", "ISA v1 requires Q == L (L = " + Twine(L) +
                                    ", Q = " + Twine(Q) + ")");
  t.L = uint32_t(L);
  t.Q = uint32_t(Q);
  // "window" (optional, 1 when absent): the window-sparse array's input
  // vectors per cycle; an entry's 4-bit offset selects one of them.
  if (array->get("window")) {
    DLPRT_READ(win, r.integer(*array, "$.array", "window", 1,
                                    isa::kWinMaxWindow));
    t.window = uint32_t(win);
  }
  // "pixels" (optional, 1 when absent): output pixels finished per array
  // step, P copies of the array sharing its weights.
  if (array->get("pixels")) {
    DLPRT_READ(px, r.integer(*array, "$.array", "pixels", 1, kMaxPixels));
    t.pixels = uint32_t(px);
  }

  const std::string sp = "$.sram";
  DLPRT_READ(sram, r.object(*root, top, "sram"));
  if (Error e = r.checkKeys(
          *sram, sp,
          {"feature_bytes", "weight_bank_bytes", "acc_bytes", "param_entries",
           "feature_banks"}))
    return std::move(e);
  const uint64_t big = uint64_t(1) << 40;
  DLPRT_READ(fb, r.integer(*sram, sp, "feature_bytes", 1, big));
  DLPRT_READ(wb, r.integer(*sram, sp, "weight_bank_bytes", 1, big));
  DLPRT_READ(ab, r.integer(*sram, sp, "acc_bytes", 1, big));
  DLPRT_READ(pe, r.integer(*sram, sp, "param_entries", 1, kMaxParamEntries));
  if (Error e = checkBuffer(r, sp + ".feature_bytes", fb, L, kMaxFbufVectors,
                            "FBUF vectors"))
    return std::move(e);
  if (Error e = checkBuffer(r, sp + ".weight_bank_bytes", wb, Q,
                            kMaxWbufRows / 2, "rows per WBUF bank"))
    return std::move(e);
  if (Error e = checkBuffer(r, sp + ".acc_bytes", ab, 4 * Q, kMaxAbufVectors,
                            "ABUF vectors"))
    return std::move(e);
  t.featureBytes = fb;
  t.weightBankBytes = wb;
  t.accBytes = ab;
  t.paramEntries = uint32_t(pe);
  // "feature_banks" (optional; the default when absent, written only when
  // it differs): FBUF banks for the array's input reads, a power of two.
  if (sram->get("feature_banks")) {
    DLPRT_READ(nb, r.integer(*sram, sp, "feature_banks", 1, kMaxFeatureBanks));
    if (nb & (nb - 1))
      return r.error(sp + ".feature_banks",
                     "value " + Twine(nb) + " is not a power of two");
    if (t.pixels == 1)
      return r.error(sp + ".feature_banks",
                     "needs array.pixels > 1 (one pixel per step reads one "
                     "vector per window slot: no bank is shared)");
    if (nb != t.defaultFeatureBanks())
      t.featureBankCount = uint32_t(nb);
  }

  DLPRT_READ(clock, r.number(*root, top, "clock_mhz", true));
  t.clockMHz = clock;
  DLPRT_READ(ddr, r.object(*root, top, "ddr"));
  if (Error e =
          r.checkKeys(*ddr, "$.ddr", {"bytes_per_cycle", "latency_cycles"}))
    return std::move(e);
  DLPRT_READ(bpc, r.number(*ddr, "$.ddr", "bytes_per_cycle", true));
  DLPRT_READ(lat, r.integer(*ddr, "$.ddr", "latency_cycles", 0, UINT32_MAX));
  t.ddrBytesPerCycle = bpc;
  t.ddrLatencyCycles = uint32_t(lat);

  DLPRT_READ(wfV, r.member(*root, top, "weight_formats"));
  const json::Array *wf = wfV->getAsArray();
  if (!wf)
    return r.error("$.weight_formats", "expected an array of strings");
  t.pow2Weights = t.int8Weights = false;
  for (size_t i = 0; i < wf->size(); ++i) {
    std::string p = "$.weight_formats[" + std::to_string(i) + "]";
    std::optional<StringRef> s = (*wf)[i].getAsString();
    bool &flag = s && *s == "pow2" ? t.pow2Weights : t.int8Weights;
    if (!s || (*s != "pow2" && *s != "int8"))
      return r.error(p, "expected \"pow2\" or \"int8\"");
    if (flag)
      return r.error(p, "duplicate format \"" + *s + "\"");
    flag = true;
  }
  if (!t.pow2Weights && !t.int8Weights)
    return r.error("$.weight_formats", "at least one format is required");

  // "csr": false, or the decoder: {"dense_rows": N}, N a multiple of L
  // up to a WBUF bank's rows and a CSR row index's 65536.
  DLPRT_READ(csrV, r.member(*root, top, "csr"));
  if (const json::Object *csrObj = csrV->getAsObject()) {
    if (Error e = r.checkKeys(*csrObj, "$.csr", {"dense_rows"}))
      return std::move(e);
    uint64_t most = std::min<uint64_t>(t.wbufBankRows(), 65536);
    if (most < L) // a WBUF bank of fewer rows than one K block
      return r.error("$.csr.dense_rows",
                     "a CSR decoder needs WBUF banks of at least L (" +
                         Twine(L) + ") rows; this target's hold " +
                         Twine(t.wbufBankRows()) +
                         " (weight_bank_bytes / the bytes of a weight row)");
    DLPRT_READ(rows, r.integer(*csrObj, "$.csr", "dense_rows", L, most));
    if (rows % L)
      return r.error("$.csr.dense_rows", "value " + Twine(rows) +
                                             " is not a multiple of L (" +
                                             Twine(L) + ")");
    t.csrDenseRows = uint32_t(rows);
  } else if (csrV->getAsBoolean() != std::optional<bool>(false)) {
    return r.error("$.csr", "expected false or an object {\"dense_rows\": N}");
  }
  DLPRT_READ(units, r.object(*root, top, "units"));
  if (Error e =
          r.checkKeys(*units, "$.units",
                      {"pool", "eltwise", "gemm_pool", "pool_streaming"}))
    return std::move(e);
  DLPRT_READ(pool, r.boolean(*units, "$.units", "pool"));
  DLPRT_READ(elt, r.boolean(*units, "$.units", "eltwise"));
  t.poolUnit = pool;
  t.eltwiseUnit = elt;
  // "gemm_pool" (optional, false when absent): the post-processing's max
  // pool, GEMM's pool_* fields (ISA v5).
  if (units->get("gemm_pool")) {
    DLPRT_READ(gp, r.boolean(*units, "$.units", "gemm_pool"));
    t.gemmPool = gp;
  }
  // "pool_streaming" (optional, true when absent): the pool unit's
  // streaming path; false leaves every POOL on its element-per-cycle path.
  if (units->get("pool_streaming")) {
    DLPRT_READ(ps, r.boolean(*units, "$.units", "pool_streaming"));
    t.poolStreaming = ps;
  }

  DLPRT_READ(dev, r.object(*root, top, "devices"));
  if (Error e =
          r.checkKeys(*dev, "$.devices", {"count", "link_bytes_per_cycle"}))
    return std::move(e);
  DLPRT_READ(count, r.integer(*dev, "$.devices", "count", 1, 1024));
  DLPRT_READ(link, r.number(*dev, "$.devices", "link_bytes_per_cycle", false));
  if (count > 1 && link == 0)
    return r.error("$.devices.link_bytes_per_cycle",
                   "must be > 0 when count > 1");
  t.deviceCount = uint32_t(count);
  t.linkBytesPerCycle = link;
  return t;
}

#undef DLPRT_READ

Expected<TargetConfig> loadTargetConfig(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buf =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return createStringError(buf.getError(), "%s: cannot read: %s",
                             path.str().c_str(),
                             buf.getError().message().c_str());
  return parseTargetConfig((*buf)->getBuffer(), path);
}

std::string TargetConfig::toJSON() const {
  std::string out;
  raw_string_ostream os(out);
  json::OStream j(os);
  j.object([&] {
    j.attribute("name", name);
    j.attributeObject("array", [&] {
      j.attribute("L", int64_t(L));
      j.attribute("Q", int64_t(Q));
      if (windowSparse())
        j.attribute("window", int64_t(window));
      if (pixels > 1)
        j.attribute("pixels", int64_t(pixels));
    });
    j.attributeObject("sram", [&] {
      j.attribute("feature_bytes", int64_t(featureBytes));
      j.attribute("weight_bank_bytes", int64_t(weightBankBytes));
      j.attribute("acc_bytes", int64_t(accBytes));
      j.attribute("param_entries", int64_t(paramEntries));
      if (featureBanks() != defaultFeatureBanks())
        j.attribute("feature_banks", int64_t(featureBanks()));
    });
    j.attribute("clock_mhz", clockMHz);
    j.attributeObject("ddr", [&] {
      j.attribute("bytes_per_cycle", ddrBytesPerCycle);
      j.attribute("latency_cycles", int64_t(ddrLatencyCycles));
    });
    j.attributeArray("weight_formats", [&] {
      if (pow2Weights)
        j.value("pow2");
      if (int8Weights)
        j.value("int8");
    });
    if (csr())
      j.attributeObject("csr", [&] {
        j.attribute("dense_rows", int64_t(csrDenseRows));
      });
    else
      j.attribute("csr", false);
    j.attributeObject("units", [&] {
      j.attribute("pool", poolUnit);
      j.attribute("eltwise", eltwiseUnit);
      if (gemmPool)
        j.attribute("gemm_pool", true);
      if (!poolStreaming)
        j.attribute("pool_streaming", false);
    });
    j.attributeObject("devices", [&] {
      j.attribute("count", int64_t(deviceCount));
      j.attribute("link_bytes_per_cycle", linkBytesPerCycle);
    });
  });
  return out;
}

uint64_t TargetConfig::fingerprint() const { return xxh3_64bits(toJSON()); }

} // namespace dlprt

//===- Binary.cpp - The .dlpb format: writeBinary / readBinary ------------===//
//
// docs/binary-format.md. The reader never trusts a count: every length is
// checked against the bytes left in its section before anything is
// allocated, and every error names the section and record.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Program.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <cstring>
#include <map>

using namespace llvm;

namespace dlprt {

namespace {

constexpr size_t kHeaderBytes = 32;
constexpr size_t kEntryBytes = 24;

const char *sectionName(uint32_t kind) {
  static const char *names[] = {"?",       "TARGET", "CODE", "CONST", "MEMORY",
                                "TENSORS", "IO",     "HOST", "DEBUG"};
  return kind < 9 ? names[kind] : "?";
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

class Writer {
public:
  std::vector<uint8_t> bytes;
  template <typename T> void put(T v) {
    for (size_t i = 0; i < sizeof(T); ++i)
      bytes.push_back(uint8_t(uint64_t(v) >> (8 * i)));
  }
  void str(const std::string &s) {
    put<uint32_t>(uint32_t(s.size()));
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  template <typename T, typename V> void list(const std::vector<V> &v) {
    put<uint32_t>(uint32_t(v.size()));
    for (const V &x : v)
      put<T>(T(x));
  }
};

std::vector<uint8_t> tensorsPayload(const Program &p) {
  Writer w;
  w.put<uint32_t>(uint32_t(p.tensors.size()));
  for (const TensorDesc &t : p.tensors) {
    w.str(t.name);
    w.list<int64_t>(t.shape);
    w.put<uint64_t>(t.ddrOffset);
    w.put<int64_t>(t.C);
    w.put<int64_t>(t.H);
    w.put<int64_t>(t.W);
    w.put<int64_t>(t.fracBlock);
    w.list<int32_t>(t.frac);
    w.put<uint32_t>(uint32_t(t.type));
  }
  return std::move(w.bytes);
}

std::vector<uint8_t> hostPayload(const Program &p) {
  Writer w;
  w.put<uint32_t>(uint32_t(p.host.size()));
  for (const HostSegment &h : p.host) {
    w.put<uint32_t>(uint32_t(h.kind));
    w.list<uint32_t>(h.inputs);
    w.list<uint32_t>(h.outputs);
    w.list<int64_t>(h.params);
    w.put<uint64_t>(h.constOffset);
    w.put<uint64_t>(h.constBytes);
  }
  return std::move(w.bytes);
}

//===----------------------------------------------------------------------===//
// Reader
//===----------------------------------------------------------------------===//

/// Little-endian reads from one section; a read past its end is an error
/// naming the section and the current record.
class Cursor {
public:
  Cursor(ArrayRef<uint8_t> data, const char *section)
      : data(data), section(section) {}

  std::string record; ///< e.g. "record 3", set by the caller

  Error error(const Twine &msg) const {
    std::string where = std::string("section ") + section;
    if (!record.empty())
      where += ": " + record;
    return createStringError(inconvertibleErrorCode(), "%s: %s", where.c_str(),
                             msg.str().c_str());
  }
  size_t left() const { return data.size() - pos; }

  template <typename T> Error get(T &out, const char *what) {
    if (left() < sizeof(T))
      return error(Twine("truncated: ") + what + " needs " + Twine(sizeof(T)) +
                   " bytes at offset " + Twine(pos) + ", " + Twine(left()) +
                   " left");
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      v |= uint64_t(data[pos + i]) << (8 * i);
    pos += sizeof(T);
    out = T(v);
    return Error::success();
  }
  /// A u32 count followed by `count` elements of `elemBytes`, checked
  /// against the bytes left before anything is allocated.
  Error count(uint32_t &n, size_t elemBytes, const char *what) {
    if (Error e = get(n, what))
      return e;
    if (uint64_t(n) * elemBytes > left())
      return error(Twine("truncated: ") + what + " " + Twine(n) + " x " +
                   Twine(elemBytes) + " bytes, " + Twine(left()) + " left");
    return Error::success();
  }
  template <typename T, typename V>
  Error list(std::vector<V> &out, const char *what) {
    uint32_t n;
    if (Error e = count(n, sizeof(T), what))
      return e;
    out.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      T v = 0;
      if (Error e = get(v, what))
        return e;
      out[i] = V(v);
    }
    return Error::success();
  }
  Error str(std::string &s, const char *what) {
    uint32_t n;
    if (Error e = count(n, 1, what))
      return e;
    s.assign(reinterpret_cast<const char *>(data.data() + pos), n);
    pos += n;
    return Error::success();
  }
  Error finish() {
    record.clear();
    if (left())
      return error(Twine(left()) + " trailing bytes");
    return Error::success();
  }

private:
  ArrayRef<uint8_t> data;
  const char *section;
  size_t pos = 0;
};

Error readTensors(ArrayRef<uint8_t> s, Program &p) {
  Cursor c(s, "TENSORS");
  uint32_t n;
  // name length, rank, offset, C, H, W, frac block, frac count, type.
  if (Error e = c.count(n, 4 + 4 + 8 * 5 + 4 + 4, "tensor count"))
    return e;
  p.tensors.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    TensorDesc &t = p.tensors[i];
    c.record = "record " + std::to_string(i);
    if (Error e = c.str(t.name, "name"))
      return e;
    if (Error e = c.list<int64_t>(t.shape, "shape"))
      return e;
    if (Error e = c.get(t.ddrOffset, "ddr offset"))
      return e;
    for (auto [v, what] : {std::pair{&t.C, "C"},
                           {&t.H, "H"},
                           {&t.W, "W"},
                           {&t.fracBlock, "frac block"}})
      if (Error e = c.get(*v, what))
        return e;
    if (Error e = c.list<int32_t>(t.frac, "frac bits"))
      return e;
    uint32_t type;
    if (Error e = c.get(type, "type"))
      return e;
    if (type > uint32_t(TensorType::Float32))
      return createStringError(inconvertibleErrorCode(),
                               "section TENSORS: record %u ('%s'): type %u "
                               "(expected 0 int8 or 1 float32)",
                               i, t.name.c_str(), type);
    t.type = TensorType(type);
  }
  return c.finish();
}

Error readIO(ArrayRef<uint8_t> s, Program &p) {
  Cursor c(s, "IO");
  c.record = "inputs";
  if (Error e = c.list<uint32_t>(p.inputs, "input indices"))
    return e;
  c.record = "outputs";
  if (Error e = c.list<uint32_t>(p.outputs, "output indices"))
    return e;
  return c.finish();
}

Error readHost(ArrayRef<uint8_t> s, Program &p) {
  Cursor c(s, "HOST");
  uint32_t n;
  if (Error e = c.count(n, 4 * 4 + 8 * 2, "segment count"))
    return e;
  p.host.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    HostSegment &h = p.host[i];
    c.record = "record " + std::to_string(i);
    uint32_t kind;
    if (Error e = c.get(kind, "kind"))
      return e;
    h.kind = HostOpKind(kind);
    if (Error e = c.list<uint32_t>(h.inputs, "inputs"))
      return e;
    if (Error e = c.list<uint32_t>(h.outputs, "outputs"))
      return e;
    if (Error e = c.list<int64_t>(h.params, "params"))
      return e;
    if (Error e = c.get(h.constOffset, "const offset"))
      return e;
    if (Error e = c.get(h.constBytes, "const size"))
      return e;
  }
  return c.finish();
}

Error readDebug(ArrayRef<uint8_t> s, Program &p) {
  Cursor c(s, "DEBUG");
  uint32_t n;
  if (Error e = c.count(n, 12, "entry count"))
    return e;
  p.debug.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    DebugEntry &d = p.debug[i];
    c.record = "record " + std::to_string(i);
    if (Error e = c.get(d.begin, "first instruction"))
      return e;
    if (Error e = c.get(d.end, "end instruction"))
      return e;
    if (Error e = c.str(d.node, "name"))
      return e;
  }
  return c.finish();
}

uint64_t le(ArrayRef<uint8_t> b, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= uint64_t(b[off + i]) << (8 * i);
  return v;
}

Error headerError(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), "header: %s",
                           msg.str().c_str());
}

std::string hex(uint64_t v) { return "0x" + utohexstr(v, false, 16); }

} // namespace

std::vector<uint8_t> writeBinary(const Program &p) {
  std::vector<std::pair<SectionKind, std::vector<uint8_t>>> sections;
  std::string json = p.target.toJSON();
  sections.push_back({SectionKind::Target, {json.begin(), json.end()}});
  std::vector<uint8_t> code(p.code.size() * isa::kInstrBytes);
  for (size_t i = 0; i < p.code.size(); ++i)
    isa::encode(p.code[i], code.data() + i * isa::kInstrBytes);
  sections.push_back({SectionKind::Code, std::move(code)});
  sections.push_back({SectionKind::Const, p.constData});
  Writer mem;
  mem.put<uint64_t>(p.dataBytes);
  sections.push_back({SectionKind::Memory, std::move(mem.bytes)});
  sections.push_back({SectionKind::Tensors, tensorsPayload(p)});
  Writer io;
  io.list<uint32_t>(p.inputs);
  io.list<uint32_t>(p.outputs);
  sections.push_back({SectionKind::IO, std::move(io.bytes)});
  sections.push_back({SectionKind::Host, hostPayload(p)});
  Writer dbg;
  dbg.put<uint32_t>(uint32_t(p.debug.size()));
  for (const DebugEntry &d : p.debug) {
    dbg.put<uint32_t>(d.begin);
    dbg.put<uint32_t>(d.end);
    dbg.str(d.node);
  }
  sections.push_back({SectionKind::Debug, std::move(dbg.bytes)});

  Writer out;
  out.bytes.insert(out.bytes.end(), kMagic, kMagic + 4);
  out.put<uint16_t>(kFormatVersion);
  out.put<uint16_t>(isa::kIsaVersion);
  out.put<uint64_t>(p.target.fingerprint());
  out.put<uint32_t>(uint32_t(sections.size()));
  out.put<uint32_t>(0);
  out.put<uint64_t>(0); // total size, patched below
  uint64_t offset = kHeaderBytes + kEntryBytes * sections.size();
  for (auto &[kind, payload] : sections) {
    offset = alignTo(offset, 8);
    out.put<uint32_t>(uint32_t(kind));
    out.put<uint32_t>(0);
    out.put<uint64_t>(offset);
    out.put<uint64_t>(payload.size());
    offset += payload.size();
  }
  for (auto &[kind, payload] : sections) {
    out.bytes.resize(alignTo(out.bytes.size(), 8), 0);
    out.bytes.insert(out.bytes.end(), payload.begin(), payload.end());
  }
  uint64_t total = out.bytes.size();
  for (size_t i = 0; i < 8; ++i)
    out.bytes[24 + i] = uint8_t(total >> (8 * i));
  return std::move(out.bytes);
}

namespace {
/// readBinary; with `owned` (the bytes `b` views), the const region is
/// moved to the front of `owned` and becomes the program's, with no copy.
Expected<Program> readBinaryImpl(ArrayRef<uint8_t> b,
                                 const TargetConfig *expected,
                                 std::vector<uint8_t> *owned) {
  if (b.size() < kHeaderBytes)
    return headerError("file has " + Twine(b.size()) +
                       " bytes, fewer than the " + Twine(kHeaderBytes) +
                       "-byte header");
  if (std::memcmp(b.data(), kMagic, 4) != 0)
    return headerError("bad magic (expected \"DLPB\")");
  if (uint64_t v = le(b, 4, 2); v != kFormatVersion)
    return headerError("format version " + Twine(v) + " (this runtime reads " +
                       Twine(kFormatVersion) + ")");
  uint64_t isaVersion = le(b, 6, 2);
  if (isaVersion < isa::kMinIsaVersion || isaVersion > isa::kIsaVersion)
    return headerError("ISA version " + Twine(isaVersion) +
                       " (this runtime runs " + Twine(isa::kMinIsaVersion) +
                       " to " + Twine(isa::kIsaVersion) + ")");
  uint64_t fingerprint = le(b, 8, 8);
  uint64_t count = le(b, 16, 4);
  if (le(b, 20, 4) != 0)
    return headerError("reserved field is not 0");
  if (uint64_t total = le(b, 24, 8); total != b.size())
    return headerError("total size " + Twine(total) + " but the file has " +
                       Twine(b.size()) + " bytes");
  if (count > (b.size() - kHeaderBytes) / kEntryBytes)
    return headerError("section count " + Twine(count) +
                       " does not fit the file");
  uint64_t tableEnd = kHeaderBytes + count * kEntryBytes;

  std::map<uint32_t, ArrayRef<uint8_t>> sections;
  std::vector<std::pair<uint64_t, uint64_t>> ranges; // [begin, end), kind
  for (uint64_t i = 0; i < count; ++i) {
    size_t at = kHeaderBytes + i * kEntryBytes;
    uint32_t kind = uint32_t(le(b, at, 4));
    uint64_t off = le(b, at + 8, 8), size = le(b, at + 16, 8);
    auto err = [&](const Twine &msg) {
      return createStringError(inconvertibleErrorCode(),
                               "section table entry %llu (kind %u, %s): %s",
                               (unsigned long long)i, kind, sectionName(kind),
                               msg.str().c_str());
    };
    if (kind < 1 || kind > 8)
      return err("unknown section kind");
    if (le(b, at + 4, 4) != 0)
      return err("reserved field is not 0");
    if (sections.count(kind))
      return err("duplicate section");
    if (off % 8)
      return err("offset " + Twine(off) + " is not 8-byte aligned");
    if (off < tableEnd || off > b.size() || size > b.size() - off)
      return err("bytes [" + Twine(off) + ", +" + Twine(size) +
                 ") outside the file's payload area [" + Twine(tableEnd) +
                 ", " + Twine(b.size()) + ")");
    for (auto [lo, hi] : ranges)
      if (off < hi && lo < off + size)
        return err("bytes [" + Twine(off) + ", " + Twine(off + size) +
                   ") overlap another section [" + Twine(lo) + ", " +
                   Twine(hi) + ")");
    if (size)
      ranges.push_back({off, off + size});
    sections[kind] = b.slice(off, size);
  }
  for (uint32_t kind = 1; kind < 8; ++kind)
    if (!sections.count(kind))
      return createStringError(inconvertibleErrorCode(),
                               "section %s (kind %u) is missing",
                               sectionName(kind), kind);

  Program p;
  ArrayRef<uint8_t> tgt = sections[uint32_t(SectionKind::Target)];
  StringRef json(reinterpret_cast<const char *>(tgt.data()), tgt.size());
  Expected<TargetConfig> target = parseTargetConfig(json, "section TARGET");
  if (!target)
    return target.takeError();
  p.target = std::move(*target);
  if (p.target.fingerprint() != fingerprint)
    return createStringError(
        inconvertibleErrorCode(),
        "section TARGET: fingerprint %s of config '%s' does not match the "
        "header's %s",
        hex(p.target.fingerprint()).c_str(), p.target.name.c_str(),
        hex(fingerprint).c_str());
  if (expected && expected->fingerprint() != fingerprint)
    return createStringError(
        inconvertibleErrorCode(),
        "binary compiled for target '%s' (fingerprint %s), not for the "
        "given target '%s' (fingerprint %s)",
        p.target.name.c_str(), hex(fingerprint).c_str(), expected->name.c_str(),
        hex(expected->fingerprint()).c_str());

  ArrayRef<uint8_t> code = sections[uint32_t(SectionKind::Code)];
  if (code.size() % isa::kInstrBytes)
    return createStringError(inconvertibleErrorCode(),
                             "section CODE: size %zu is not a multiple of %u "
                             "(truncated instruction #%zu)",
                             code.size(), isa::kInstrBytes,
                             code.size() / isa::kInstrBytes);
  p.code.reserve(code.size() / isa::kInstrBytes);
  for (size_t i = 0; i < code.size(); i += isa::kInstrBytes)
    p.code.push_back(isa::decode(code.data() + i));
  ArrayRef<uint8_t> cst = sections[uint32_t(SectionKind::Const)];
  size_t cstOffset = cst.data() - b.data(), cstSize = cst.size();
  if (!owned)
    p.constData.assign(cst.begin(), cst.end());
  ArrayRef<uint8_t> mem = sections[uint32_t(SectionKind::Memory)];
  if (mem.size() != 8)
    return createStringError(inconvertibleErrorCode(),
                             "section MEMORY: size %zu (expected 8)",
                             mem.size());
  p.dataBytes = le(mem, 0, 8);
  if (Error e = readTensors(sections[uint32_t(SectionKind::Tensors)], p))
    return std::move(e);
  if (Error e = readIO(sections[uint32_t(SectionKind::IO)], p))
    return std::move(e);
  if (Error e = readHost(sections[uint32_t(SectionKind::Host)], p))
    return std::move(e);
  if (sections.count(uint32_t(SectionKind::Debug)))
    if (Error e = readDebug(sections[uint32_t(SectionKind::Debug)], p))
      return std::move(e);
  if (owned) {
    // Every other section is parsed: the bytes can become the const region.
    std::memmove(owned->data(), owned->data() + cstOffset, cstSize);
    owned->resize(cstSize);
    p.constData = std::move(*owned);
  }
  if (Error e = validateProgram(p))
    return std::move(e);
  // The GEMMs' pool fields are version 5 (a version 4 program holding
  // only pads fails validation: they must be 0 without pool_k).
  if (isaVersion < 5)
    for (size_t i = 0; i < p.code.size(); ++i) {
      isa::Opcode op = p.code[i].opcode();
      if ((op == isa::Opcode::Gemm || op == isa::Opcode::GemmCsr ||
           op == isa::Opcode::GemmWin) &&
          isa::gemmPool(p.code[i]))
        return createStringError(
            inconvertibleErrorCode(),
            "instruction #%zu: field 'pool_k' is ISA version 5 (the header "
            "says %u): reserved bits set in w1",
            i, unsigned(isaVersion));
    }
  // GEMM_WIN (opcode 9) is version 4; version 2 reserved the bit version 3
  // made GEMM's residual flag.
  if (isaVersion < 4)
    for (size_t i = 0; i < p.code.size(); ++i)
      if (p.code[i].opcode() == isa::Opcode::GemmWin)
        return createStringError(
            inconvertibleErrorCode(),
            "instruction #%zu: GEMM_WIN is ISA version 4 (the header says "
            "%u): invalid opcode",
            i, unsigned(isaVersion));
  if (isaVersion < 3)
    for (size_t i = 0; i < p.code.size(); ++i)
      if ((p.code[i].opcode() == isa::Opcode::Gemm ||
           p.code[i].opcode() == isa::Opcode::GemmCsr) &&
          p.code[i].get(isa::Field::Gemm_residual))
        return createStringError(
            inconvertibleErrorCode(),
            "instruction #%zu: field 'residual' is ISA version 3 (the "
            "header says %u): reserved bits set in w0",
            i, unsigned(isaVersion));
  return p;
}
} // namespace

Expected<Program> readBinary(ArrayRef<uint8_t> b,
                             const TargetConfig *expected) {
  return readBinaryImpl(b, expected, nullptr);
}

Expected<Program> readBinary(std::vector<uint8_t> &&bytes,
                             const TargetConfig *expected) {
  std::vector<uint8_t> owned = std::move(bytes);
  return readBinaryImpl(owned, expected, &owned);
}

} // namespace dlprt

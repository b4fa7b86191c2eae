//===- Npz.cpp - NumPy .npz archives (zip of .npy members) ----------------===//
//
// Just enough of the zip format for numpy.savez / savez_compressed: the
// (zip64) end-of-central-directory record, central directory entries (sizes
// from zip64 extra fields where they overflow 32 bits), local headers, and
// members stored (method 0) or deflated (method 8, raw inflate by zlib).
// Every member's CRC-32 is checked. Encrypted members and multi-disk
// archives are reported as errors.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Npy.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

using namespace dlprt;

namespace {
/// Little-endian reads from a byte buffer with bounds checks.
class Reader {
public:
  Reader(const std::string &bytes) : bytes(bytes) {}
  bool has(uint64_t pos, uint64_t n) const {
    return pos <= bytes.size() && n <= bytes.size() - pos;
  }
  uint64_t le(uint64_t pos, int n) const {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i)
      v = (v << 8) | static_cast<unsigned char>(bytes[pos + i]);
    return v;
  }
  const std::string &bytes;
};

constexpr uint32_t kEocd = 0x06054b50, kZip64Locator = 0x07064b50,
                   kZip64Eocd = 0x06064b50, kCentral = 0x02014b50,
                   kLocal = 0x04034b50;
} // namespace

bool dlprt::readNpz(const std::string &path,
                    std::vector<std::pair<std::string, NpyArray>> &out,
                    std::string &error) {
  std::string where = "'" + path + "'";
  std::string bytes;
  if (!readFileBytes(path, bytes, error))
    return false;
  Reader r(bytes);
  auto fail = [&](const std::string &msg) {
    error = where + ": " + msg;
    return false;
  };

  // End of central directory: the last signature within the final 64 KiB.
  if (bytes.size() < 22)
    return fail("not a .npz (zip) archive: too short");
  uint64_t eocd = UINT64_MAX;
  uint64_t lowest = bytes.size() > 22 + 65535 ? bytes.size() - 22 - 65535 : 0;
  for (uint64_t p = bytes.size() - 22 + 1; p-- > lowest;)
    if (r.le(p, 4) == kEocd) {
      eocd = p;
      break;
    }
  if (eocd == UINT64_MAX)
    return fail("not a .npz (zip) archive: no end-of-central-directory record");
  if (r.le(eocd + 4, 2) != 0 || r.le(eocd + 6, 2) != 0)
    return fail("multi-disk zip archives are not supported");
  uint64_t entries = r.le(eocd + 10, 2), cdOffset = r.le(eocd + 16, 4);
  if ((entries == 0xffff || cdOffset == 0xffffffff) && eocd >= 20 &&
      r.le(eocd - 20, 4) == kZip64Locator) {
    uint64_t z = r.le(eocd - 20 + 8, 8);
    if (!r.has(z, 56) || r.le(z, 4) != kZip64Eocd)
      return fail("corrupt zip64 end-of-central-directory record");
    entries = r.le(z + 32, 8);
    cdOffset = r.le(z + 48, 8);
  }

  out.clear();
  uint64_t pos = cdOffset;
  for (uint64_t e = 0; e < entries; ++e) {
    if (!r.has(pos, 46) || r.le(pos, 4) != kCentral)
      return fail("corrupt central directory (entry " + std::to_string(e) + ")");
    uint64_t flags = r.le(pos + 8, 2), method = r.le(pos + 10, 2);
    uint32_t crc = static_cast<uint32_t>(r.le(pos + 16, 4));
    uint64_t compSize = r.le(pos + 20, 4), size = r.le(pos + 24, 4);
    uint64_t nameLen = r.le(pos + 28, 2), extraLen = r.le(pos + 30, 2),
             commentLen = r.le(pos + 32, 2), local = r.le(pos + 42, 4);
    if (!r.has(pos + 46, nameLen + extraLen + commentLen))
      return fail("corrupt central directory (entry " + std::to_string(e) + ")");
    std::string name = bytes.substr(pos + 46, nameLen);
    // Zip64 extra field: the 64-bit values of the fields that overflowed.
    uint64_t extraEnd = pos + 46 + nameLen + extraLen;
    for (uint64_t x = pos + 46 + nameLen; x + 4 <= extraEnd;) {
      uint64_t id = r.le(x, 2), len = r.le(x + 2, 2), v = x + 4;
      if (v + len > extraEnd)
        return fail("corrupt extra field (entry " + std::to_string(e) + ")");
      if (id == 1) {
        if (size == 0xffffffff && v + 8 <= x + 4 + len)
          size = r.le(v, 8), v += 8;
        if (compSize == 0xffffffff && v + 8 <= x + 4 + len)
          compSize = r.le(v, 8), v += 8;
        if (local == 0xffffffff && v + 8 <= x + 4 + len)
          local = r.le(v, 8);
      }
      x += 4 + len;
    }
    pos += 46 + nameLen + extraLen + commentLen;

    std::string member = "member '" + name + "'";
    if (flags & 1)
      return fail(member + " is encrypted");
    if (!r.has(local, 30) || r.le(local, 4) != kLocal)
      return fail(member + ": corrupt local header");
    uint64_t data = local + 30 + r.le(local + 26, 2) + r.le(local + 28, 2);
    if (!r.has(data, compSize))
      return fail(member + " is truncated");
    std::string raw;
    if (method == 0) {
      if (compSize != size)
        return fail(member + ": stored sizes disagree");
      raw = bytes.substr(data, size);
    } else if (method == 8) {
      // Deflate expands at most ~1032:1: a larger claimed size is corrupt
      // (and must not be allocated).
      if (size > compSize * 1032 + 64)
        return fail(member + ": corrupt sizes");
      raw.assign(size, '\0');
      z_stream zs{};
      if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
        return fail("zlib initialization failed");
      // Fed in pieces that fit zlib's 32-bit counters.
      const uint64_t piece = uint64_t(1) << 30;
      uint64_t inLeft = compSize, outLeft = size;
      zs.next_in = reinterpret_cast<Bytef *>(&bytes[data]);
      zs.next_out = reinterpret_cast<Bytef *>(&raw[0]);
      int rc = Z_OK;
      while (rc == Z_OK) {
        uint64_t inNow = std::min(inLeft, piece), outNow = std::min(outLeft, piece);
        zs.avail_in = static_cast<uInt>(inNow);
        zs.avail_out = static_cast<uInt>(outNow);
        rc = inflate(&zs, inNow == inLeft ? Z_FINISH : Z_NO_FLUSH);
        inLeft -= inNow - zs.avail_in;
        outLeft -= outNow - zs.avail_out;
        if (rc == Z_BUF_ERROR && outLeft > 0 && inLeft > 0)
          rc = Z_OK; // a piece boundary, not an error
        if (rc == Z_OK && inNow == zs.avail_in && outNow == zs.avail_out)
          break; // no progress
      }
      inflateEnd(&zs);
      if (rc != Z_STREAM_END || outLeft != 0)
        return fail(member + ": corrupt deflate data");
    } else {
      return fail(member + " uses zip compression method " +
                  std::to_string(method) + " (supported: stored, deflate)");
    }
    if (crc32_z(0L, reinterpret_cast<const Bytef *>(raw.data()),
                raw.size()) != crc)
      return fail(member + ": CRC mismatch (corrupt archive)");
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
      name.resize(name.size() - 4);
    NpyArray arr;
    if (!parseNpy(raw.data(), raw.size(), where + " " + member, arr, error))
      return false;
    out.emplace_back(name, std::move(arr));
  }
  return true;
}

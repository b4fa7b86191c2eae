//===- Npy.cpp - NumPy .npy float32 I/O -----------------------------------===//

#include "dlprt/Npy.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace dlprt;

bool dlprt::readFileBytes(const std::string &path, std::string &bytes,
                          std::string &error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = std::filesystem::exists(path, ec)
                ? "'" + path + "' is not a regular file"
                : "cannot open '" + path + "'";
    return false;
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::streamoff size = in ? std::streamoff(in.tellg()) : -1;
  if (size < 0) {
    error = "cannot open '" + path + "'";
    return false;
  }
  bytes.assign(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(&bytes[0], size)) {
    error = "cannot read '" + path + "'";
    return false;
  }
  return true;
}

namespace {
/// Value of `'key':` in the header dict, up to the next top-level comma.
bool headerField(const std::string &h, const std::string &key,
                 std::string &value) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos)
    return false;
  size_t colon = h.find(':', k);
  if (colon == std::string::npos)
    return false;
  size_t start = h.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos)
    return false;
  size_t end = h[start] == '(' ? h.find(')', start) + 1
                               : h.find_first_of(",}", start);
  value = h.substr(start, end - start);
  return true;
}
} // namespace

bool dlprt::readNpy(const std::string &path, NpyArray &out,
                    std::string &error) {
  std::string bytes;
  if (!readFileBytes(path, bytes, error))
    return false;
  return parseNpy(bytes.data(), bytes.size(), "'" + path + "'", out, error);
}

bool dlprt::parseNpy(const char *data, size_t size, const std::string &what,
                     NpyArray &out, std::string &error) {
  if (size < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) {
    error = what + " is not a .npy file (bad magic)";
    return false;
  }
  const unsigned char *u = reinterpret_cast<const unsigned char *>(data);
  size_t headerLen = 0, pos = 0;
  if (u[6] == 1) {
    headerLen = u[8] | (u[9] << 8);
    pos = 10;
  } else if (u[6] == 2 || u[6] == 3) {
    if (size < 12) {
      error = what + ": truncated header";
      return false;
    }
    headerLen = u[8] | (u[9] << 8) | (u[10] << 16) | (size_t(u[11]) << 24);
    pos = 12;
  } else {
    error = what + ": unsupported .npy version " + std::to_string(int(u[6]));
    return false;
  }
  if (headerLen > (1u << 20) || size - pos < headerLen) {
    error = what + ": truncated or oversized header";
    return false;
  }
  std::string header(data + pos, headerLen);
  pos += headerLen;
  std::string descr, order, shape;
  if (!headerField(header, "descr", descr) ||
      !headerField(header, "fortran_order", order) ||
      !headerField(header, "shape", shape)) {
    error = what + ": malformed header";
    return false;
  }
  if (descr != "'<f4'" && descr != "'|f4'") {
    error = what + " has dtype " + descr + "; expected float32 ('<f4')";
    return false;
  }
  if (order.rfind("False", 0) != 0) {
    error = what + " is Fortran-ordered; expected C order";
    return false;
  }
  out.shape.clear();
  std::string dims = shape.substr(1, shape.size() - 2);
  std::stringstream ss(dims);
  std::string item;
  int64_t count = 1;
  size_t available = (size - pos) / 4; // floats the data can hold
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(' ') == std::string::npos)
      continue;
    char *end = nullptr;
    errno = 0;
    long long d = std::strtoll(item.c_str(), &end, 10);
    if (end == item.c_str() || errno != 0 ||
        end[std::strspn(end, " ")] != '\0') {
      error = what + ": malformed shape " + shape;
      return false;
    }
    if (d < 0) {
      error = what + ": negative dimension";
      return false;
    }
    out.shape.push_back(d);
    // The product never exceeds what the data holds (checked before it
    // could overflow), so a huge shape cannot wrap around.
    if (d != 0 && count > int64_t(available) / d) {
      error = what + ": data truncated (shape " + shape + ")";
      return false;
    }
    count *= d;
  }
  if (available < size_t(count)) {
    error = what + ": data truncated (expected " + std::to_string(count) +
            " floats)";
    return false;
  }
  out.data.resize(count);
  std::memcpy(out.data.data(), data + pos, size_t(count) * 4);
  return true;
}

bool dlprt::writeNpy(const std::string &path,
                     const std::vector<int64_t> &shape, const float *data,
                     std::string &error) {
  std::string dims;
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dims += (i ? ", " : "") + std::to_string(shape[i]);
    count *= shape[i];
  }
  if (shape.size() == 1)
    dims += ",";
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + ")";
  dict += ", }";
  // Pad so the data starts on a 64-byte boundary (10-byte preamble).
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::ofstream os(path, std::ios::binary);
  if (!os) {
    error = "cannot write '" + path + "'";
    return false;
  }
  uint16_t len = static_cast<uint16_t>(dict.size());
  os.write("\x93NUMPY\x01\x00", 8);
  char lb[2] = {char(len & 0xff), char(len >> 8)};
  os.write(lb, 2);
  os.write(dict.data(), dict.size());
  os.write(reinterpret_cast<const char *>(data), count * 4);
  if (!os) {
    error = "write to '" + path + "' failed";
    return false;
  }
  return true;
}

//===- NpzTest.cpp - .npy / .npz readers on valid and corrupt input -------===//
//
// The runtime's readers must return the arrays of a valid archive and, for
// any damage -- truncation at every length, any single byte flipped, a
// header claiming a shape the data cannot hold -- either an error or (for
// bytes nothing checks, such as timestamps) the arrays, never a crash, an
// exception or a read out of bounds. Inputs/{stored,deflated}.npz were
// written by numpy.savez / savez_compressed (a = arange(6).reshape(2, 3) -
// 2.5, b = [1.5, -2, 0.25, 8]).
//
//===----------------------------------------------------------------------===//

#include "dlprt/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

#include <fstream>
#include <string>
#include <utility>
#include <vector>

using namespace dlprt;

namespace {

std::string inputPath(const char *name) {
  return std::string(DLP_UNIT_INPUTS) + "/" + name;
}

std::string readAll(const std::string &path) {
  std::string bytes, error;
  EXPECT_TRUE(readFileBytes(path, bytes, error)) << error;
  return bytes;
}

class TempFile {
public:
  TempFile() {
    llvm::sys::fs::createTemporaryFile("npz-test", "npz", path);
  }
  ~TempFile() { llvm::sys::fs::remove(path); }
  std::string write(const std::string &bytes) {
    std::ofstream(path.c_str(), std::ios::binary | std::ios::trunc)
        .write(bytes.data(), bytes.size());
    return std::string(path.str());
  }

private:
  llvm::SmallString<128> path;
};

void expectArrays(const std::vector<std::pair<std::string, NpyArray>> &got) {
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, "a");
  EXPECT_EQ(got[0].second.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(got[0].second.data,
            (std::vector<float>{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}));
  EXPECT_EQ(got[1].first, "b");
  EXPECT_EQ(got[1].second.shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(got[1].second.data, (std::vector<float>{1.5f, -2.0f, 0.25f, 8.0f}));
}

TEST(Npz, ReadsStoredAndDeflated) {
  for (const char *name : {"stored.npz", "deflated.npz"}) {
    std::vector<std::pair<std::string, NpyArray>> got;
    std::string error;
    ASSERT_TRUE(readNpz(inputPath(name), got, error)) << name << ": " << error;
    expectArrays(got);
  }
}

TEST(Npz, SurvivesEveryTruncationAndByteFlip) {
  TempFile tmp;
  for (const char *name : {"stored.npz", "deflated.npz"}) {
    std::string good = readAll(inputPath(name));
    ASSERT_FALSE(good.empty());
    for (size_t len = 0; len < good.size(); ++len) {
      std::vector<std::pair<std::string, NpyArray>> got;
      std::string error;
      EXPECT_FALSE(readNpz(tmp.write(good.substr(0, len)), got, error))
          << name << " truncated to " << len;
      EXPECT_FALSE(error.empty());
    }
    int accepted = 0;
    for (size_t i = 0; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = char(bad[i] ^ 0xff);
      std::vector<std::pair<std::string, NpyArray>> got;
      std::string error;
      if (readNpz(tmp.write(bad), got, error))
        ++accepted; // a byte no reader checks (times, versions, attributes)
      else
        EXPECT_FALSE(error.empty());
    }
    // Data, sizes, offsets, signatures and CRCs are checked: most flips
    // must be caught.
    EXPECT_LT(accepted, int(good.size() / 2)) << name;
  }
}

std::string npyWithShape(const std::string &shape, size_t dataBytes) {
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += char(header.size() & 0xff);
  bytes += char(header.size() >> 8);
  return bytes + header + std::string(dataBytes, '\0');
}

TEST(Npy, RejectsShapesTheDataCannotHold) {
  NpyArray arr;
  std::string error;
  std::string ok = npyWithShape("(2, 2)", 16);
  EXPECT_TRUE(parseNpy(ok.data(), ok.size(), "ok", arr, error)) << error;
  // 2^32 x 2^32 elements would wrap a 64-bit byte count to 0.
  std::string huge = npyWithShape("(4294967296, 4294967296)", 16);
  EXPECT_FALSE(parseNpy(huge.data(), huge.size(), "huge", arr, error));
  EXPECT_NE(error.find("data truncated"), std::string::npos) << error;
  std::string garbage = npyWithShape("(2, x)", 16);
  EXPECT_FALSE(parseNpy(garbage.data(), garbage.size(), "garbage", arr, error));
  EXPECT_NE(error.find("malformed shape"), std::string::npos) << error;
  std::string overflow = npyWithShape("(99999999999999999999,)", 16);
  EXPECT_FALSE(
      parseNpy(overflow.data(), overflow.size(), "overflow", arr, error));
  std::string empty = npyWithShape("(0, 5)", 0);
  EXPECT_TRUE(parseNpy(empty.data(), empty.size(), "empty", arr, error));
  EXPECT_TRUE(arr.data.empty());
}

TEST(Npy, ReadFileBytesNamesTheProblem) {
  std::string bytes, error;
  EXPECT_FALSE(readFileBytes("/nonexistent/x.npy", bytes, error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
  EXPECT_FALSE(readFileBytes(DLP_UNIT_INPUTS, bytes, error));
  EXPECT_NE(error.find("is not a regular file"), std::string::npos) << error;
}

} // namespace

//===- Npy.h - NumPy .npy float32 I/O ---------------------------*- C++ -*-===//
//
// Part of the runtime (no MLIR dependency): reads and writes little-endian
// float32 C-order .npy files (format versions 1.0-3.0), and reads .npz
// archives of them (numpy.savez: stored, savez_compressed: deflate; CRC
// checked). Other dtypes are reported as errors, never guessed.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_NPY_H
#define DLPRT_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dlprt {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// Reads `path`; on failure returns false and sets `error`.
bool readNpy(const std::string &path, NpyArray &out, std::string &error);

/// Reads the whole regular file `path`; on failure returns false and sets
/// `error`.
bool readFileBytes(const std::string &path, std::string &bytes,
                   std::string &error);

/// Parses the .npy bytes [data, data + size); `what` names them in errors.
bool parseNpy(const char *data, size_t size, const std::string &what,
              NpyArray &out, std::string &error);

/// Reads every array of the .npz archive `path`, in archive order, named
/// as numpy names them (the member name without ".npy"); on failure
/// returns false and sets `error`.
bool readNpz(const std::string &path,
             std::vector<std::pair<std::string, NpyArray>> &out,
             std::string &error);

/// Writes a float32 array; on failure returns false and sets `error`.
bool writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data, std::string &error);

} // namespace dlprt

#endif // DLPRT_NPY_H

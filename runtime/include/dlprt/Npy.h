//===- Npy.h - NumPy .npy float32 I/O ---------------------------*- C++ -*-===//
//
// Part of the runtime (no MLIR dependency): reads and writes little-endian
// float32 C-order .npy files (format versions 1.0-3.0). Other dtypes are
// reported as errors, never guessed.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_NPY_H
#define DLPRT_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace dlprt {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// Reads `path`; on failure returns false and sets `error`.
bool readNpy(const std::string &path, NpyArray &out, std::string &error);

/// Writes a float32 array; on failure returns false and sets `error`.
bool writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data, std::string &error);

} // namespace dlprt

#endif // DLPRT_NPY_H

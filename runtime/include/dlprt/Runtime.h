//===- Runtime.h - The DLP runtime's C++ API --------------------*- C++ -*-===//
//
// Load a .dlpb (validated), run a batch of images on the functional
// simulator across threads, read the outputs as float, and inspect every
// tensor of the last image. The C API (dlprt/dlprt.h) wraps this.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_RUNTIME_H
#define DLPRT_RUNTIME_H

#include "dlprt/Program.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dlprt {

class Simulator;

/// Logical elements of one image of a tensor (the product of its shape).
uint64_t logicalElements(const TensorDesc &t);

/// The shape of `images` images' results of one image's `shape`, stacked
/// along axis 0: that axis when it is 1, else a new leading one (a
/// single-image model's output whose axis 0 is not a batch). dlp-run and
/// the evaluator stack their images' outputs the same way.
std::vector<int64_t> stackedShape(llvm::ArrayRef<int64_t> shape,
                                  int64_t images);

/// The images an array of `shape` holds for the input tensor `t`: axis 0
/// a multiple of t's (1 unless the program is a whole static batch, as
/// for a float model with one; docs/lowering.md), the other axes t's.
/// 0 when the shape does not match.
int64_t imagesIn(const TensorDesc &t, llvm::ArrayRef<int64_t> shape);

/// Whether output `i` of `p` is a constant: a FloatConst host segment
/// writes it, so its values do not depend on the inputs (an ONNX output
/// that folded to a constant). Session::run writes it once, not per
/// image, and its shape is its logical one for any number of images.
bool isConstantOutput(const Program &p, size_t i);

/// The shape of output `i` of `p` for `images` images: stackedShape of
/// its logical shape, or that shape itself for a constant output.
std::vector<int64_t> outputShape(const Program &p, size_t i, int64_t images);

/// Writes floats (logical order, one image) into the tensor's
/// channel-blocked storage in `data`: channel c quantized with
/// frac[c / fracBlock] (numerics section 1); pad lanes zeroed. Rows on up
/// to `threads` threads.
void quantizeInto(const TensorDesc &t, uint32_t L, const float *src,
                  uint8_t *data, unsigned threads = 1);
/// Reads the tensor from `data` as floats in logical order (feature
/// k = (c * H + y) * W + x), dequantized exactly.
void dequantizeFrom(const TensorDesc &t, uint32_t L, const uint8_t *data,
                    float *dst);

/// File-name form of a tensor name for per-tensor dumps: every character
/// that is not alphanumeric, '_', '-' or '.' becomes '_' (dlp-run and
/// dlp-eval --dump-dir write the same names).
std::string dumpFileName(llvm::StringRef tensorName);

/// The CPU features the simulator's kernels select by, as a list such as
/// "avx2 fma avx512 vnni vbmi amx" ("portable" for none): what the CPU has,
/// capped by the environment variable DLPRT_CPU (native, avx2, baseline).
std::string kernelCpuFeatures();

/// What runs one image's program: the functional simulator by default;
/// another backend (the RTL model's, hw/backend) can take its place with
/// Session::setBackend.
class Backend {
public:
  virtual ~Backend();
  /// Runs the whole program once on `data`: touchedDataBytes(program)
  /// bytes of DDR region `data`, zero but for the inputs. An error if the
  /// backend could not run it to its END.
  virtual llvm::Error run(uint8_t *data) = 0;
};

class Session {
public:
  /// Reads and validates a binary; with `expected`, a binary compiled for
  /// another target is refused naming both.
  static llvm::Expected<std::unique_ptr<Session>>
  load(llvm::StringRef path, const TargetConfig *expected = nullptr);
  static llvm::Expected<std::unique_ptr<Session>>
  loadBytes(llvm::ArrayRef<uint8_t> bytes,
            const TargetConfig *expected = nullptr);
  ~Session();

  const Program &program() const { return prog; }
  std::vector<const TensorDesc *> inputs() const;
  std::vector<const TensorDesc *> outputs() const;

  /// Runs `batch` images. inputs[i] holds batch x logicalElements(input i)
  /// floats (batch-major), outputs[i] receives as many for output i (one
  /// image's for a constant output, isConstantOutput).
  /// Images run in parallel on up to `numThreads` threads (0: hardware
  /// concurrency), each with a machine of its own.
  llvm::Error run(int64_t batch, llvm::ArrayRef<const float *> inputs,
                  llvm::ArrayRef<float *> outputs, unsigned numThreads = 1);

  /// Runs every later image on `b` (one image at a time) instead of the
  /// functional simulator.
  void setBackend(std::unique_ptr<Backend> b);

  /// Tensor `index` (into program().tensors) of the last image of the last
  /// run, dequantized in logical order; an error before any run.
  llvm::Expected<std::vector<float>> lastImageTensor(size_t index) const;

private:
  explicit Session(Program p);
  /// A session for a program readBinary validated.
  static llvm::Expected<std::unique_ptr<Session>> create(Program validated);
  Program prog;
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<Backend> backend;
  /// One machine and DDR data region per thread.
  std::vector<std::unique_ptr<Simulator>> machines;
  std::vector<std::unique_ptr<uint8_t, void (*)(void *)>> regions;
  int lastRegion = -1;
  /// The part of DDR data anything can touch (touchedDataBytes).
  uint64_t dataBytes = 0;
  /// What a simulator run may read before writing it: zeroed before each
  /// run on a region an earlier run used (dataReadBeforeWritten).
  std::vector<std::pair<uint64_t, uint64_t>> zeroBeforeRun;
  /// Per model input, the PackTaps segment the simulator's runs compute
  /// straight from its int8 values (packedInputs), or -1; those values per
  /// region and input (its DDR bytes are not written).
  std::vector<int64_t> packedSeg;
  std::vector<std::vector<std::vector<int8_t>>> packedValues;
};

} // namespace dlprt

#endif // DLPRT_RUNTIME_H

//===- GoldenChain.h - Float vs quantized vs DLP, layer by layer -*- C++ -*-===//
#ifndef DLP_DRIVER_GOLDENCHAIN_H
#define DLP_DRIVER_GOLDENCHAIN_H

#include "dlprt/Npy.h"
#include "dlprt/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <vector>

namespace dlp::driver {

/// Runs one input batch through the float model, the quantized model (the
/// bit-exact quantized evaluator) and the compiled program (the functional
/// simulator), and prints per layer: the quantized model's SQNR against the
/// float one, whether the simulator's integers equal the evaluator's (last
/// image of the batch) and the layer's instruction range (the binary's
/// debug map), naming the first layer (and instructions) where the
/// simulator diverges.
class GoldenChain {
public:
  GoldenChain(std::vector<dlprt::NpyArray> inputs, unsigned numThreads);
  ~GoldenChain();
  /// Runs the float model; call before quantizing (the quantizer frees the
  /// float weights it replaces).
  bool runFloat(mlir::ModuleOp floatModule, llvm::raw_ostream &os);
  /// Runs the quantized model and the program and prints the comparison.
  /// Returns false on a divergence or an error (printed).
  bool compare(mlir::ModuleOp qnnModule, const dlprt::Program &program,
               llvm::raw_ostream &os);

  struct Dumps;

private:
  std::vector<dlprt::NpyArray> inputs;
  unsigned numThreads;
  std::unique_ptr<Dumps> floatDumps;
};

} // namespace dlp::driver

#endif // DLP_DRIVER_GOLDENCHAIN_H

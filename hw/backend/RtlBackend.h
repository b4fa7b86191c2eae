//===- RtlBackend.h - dlp-run on the Verilated RTL core ----------*- C++ -*-===//
//
// A dlprt::Backend that runs a program on the processor's RTL (hw/rtl,
// dlp_core, Verilated for the config the build generated its package
// from): the harness answers the core's instruction fetches from the
// program's code, serves its DDR port with the DDR model (hw/test/
// DdrModel.h: the config's bandwidth and latency) on the const and data
// regions, runs HOST segments on the CPU (dlprt::runHostSegment, as the
// simulator does) and records when every instruction starts and ends.
// No Verilator type appears here, so dlp-run includes it without
// Verilator's headers.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_HW_BACKEND_RTLBACKEND_H
#define DLP_HW_BACKEND_RTLBACKEND_H

#include "dlprt/CycleModel.h"
#include "dlprt/Program.h"
#include "dlprt/Runtime.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace dlp::rtl {

struct WaveOptions {
  std::string path;      ///< VCD file; empty: no waveform
  uint64_t from = 0;     ///< first cycle dumped (of the first image)
  uint64_t to = 0;       ///< one past the last (0: to the end)
};

class RtlBackend : public dlprt::Backend {
public:
  /// A backend for `p` (which must outlive it); an error if the RTL model
  /// was built for another target than the program's.
  static llvm::Expected<std::unique_ptr<RtlBackend>>
  create(const dlprt::Program &p, WaveOptions wave = {},
         unsigned hostThreads = 1);
  ~RtlBackend() override;

  /// Runs on a thread of its own with a large stack (kEvalStackBytes): the
  /// Verilated core's evaluation functions of a large config need more
  /// than a default thread's 8 MB (large.json's settle function: 8-16 MB).
  llvm::Error run(uint8_t *data) override;

  /// The last run's timeline: the cycle model's per-instruction costs
  /// (MAC slots, DDR bytes) with the RTL's start / end cycles, so that
  /// dlprt::buildProfile attributes the RTL's cycles to layers exactly as
  /// it does the model's.
  const dlprt::Timeline &timeline() const { return tl; }
  /// Cycles the RTL ran (the end of its END instruction) in the last run.
  uint64_t cycles() const { return tl.totalCycles; }
  /// Cycles of the last run in which the dispatcher waited for room in a
  /// full instruction queue (the cycle model assumes none).
  uint64_t queueFullCycles() const { return queueFull; }
  /// Name of the target the RTL model was built for.
  static const char *builtTarget();

private:
  struct Impl;
  RtlBackend(const dlprt::Program &p, std::unique_ptr<Impl> impl);
  const dlprt::Program &p;
  std::unique_ptr<Impl> impl;
  dlprt::Timeline tl;
  bool dumped = false; ///< the waveform holds the first run only
  uint64_t queueFull = 0;
  llvm::Error runHere(uint8_t *data);
};

} // namespace dlp::rtl

#endif // DLP_HW_BACKEND_RTLBACKEND_H

//===- Profile.h - Per-layer roofline profile and Chrome trace ---*- C++
//-*-===//
//
// What `dlp-run --profile / --profile-json / --trace` print and write: the
// cycle model's timeline (CycleModel.h) grouped by ONNX node through the
// binary's debug map. Attribution and roofline: docs/cycle-model.md 4.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_PROFILE_H
#define DLPRT_PROFILE_H

#include "dlprt/CycleModel.h"
#include "dlprt/Program.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace dlprt {

/// Layer names of instructions outside every debug entry, and of cycles
/// when no instruction runs.
constexpr const char *kUnmappedLayer = "(unmapped)";
constexpr const char *kIdleLayer = "(idle)";

struct LayerProfile {
  std::string name;
  uint64_t macSlots = 0; ///< PE array MAC slots issued
  uint64_t ddrBytes = 0; ///< bytes its LOAD / STORE move
  uint64_t cycles = 0;   ///< timeline cycles charged to it
  uint32_t instructions = 0;
  bool host = false; ///< has a HOST instruction (host time not in cycles)
};

struct Profile {
  std::string target;
  uint32_t L = 0, Q = 0, pixels = 1;
  double clockMHz = 0, ddrBytesPerCycle = 0;
  /// In order of their first instruction; (idle) last, if any.
  std::vector<LayerProfile> layers;
  /// Per instruction, its index into `layers`.
  std::vector<uint32_t> layerOf;
  uint64_t totalCycles = 0;
  uint32_t hostSegments = 0;

  /// Roofline lower bound of a layer (or of totals): compute and memory
  /// parts and their maximum, in cycles.
  double computeBound(const LayerProfile &l) const {
    return double(l.macSlots) / (double(L) * Q * pixels);
  }
  double memoryBound(const LayerProfile &l) const {
    return double(l.ddrBytes) / ddrBytesPerCycle;
  }
  double bound(const LayerProfile &l) const {
    return std::max(computeBound(l), memoryBound(l));
  }
  /// "compute", "memory" or "-" (no work on the device).
  const char *boundBy(const LayerProfile &l) const;
  /// The sums over all layers (cycles == totalCycles). Its bound() is the
  /// whole program's roofline (all MACs against all DDR bytes, as if every
  /// layer's traffic could hide under any layer's compute).
  LayerProfile total() const;
  /// The sum of the layers' bounds: the roofline of the layers run one
  /// after another, each hiding only its own traffic under its own compute.
  double layerBoundSum() const;
  double latencyMicros() const { return double(totalCycles) / clockMHz; }
};

/// Groups the timeline by debug-map node. Each cycle of [0, total) is
/// charged to one layer: the one whose compute instruction runs then, else
/// the one whose LOAD, else whose STORE runs, else (idle).
Profile buildProfile(const Program &p, const Timeline &tl);

/// The per-layer table, totals and latency.
void printProfile(llvm::raw_ostream &os, const Profile &prof);
/// The same as JSON (scripts/roofline.py reads it).
llvm::json::Value profileToJSON(const Profile &prof);
/// Chrome trace-event JSON: one track (thread) per queue (load, compute,
/// store; barrier when the program has HOST / SYNC), one slice per
/// instruction named "<mnemonic> <layer>", microseconds at the clock.
void writeChromeTrace(llvm::raw_ostream &os, const Program &p,
                      const Timeline &tl, const Profile &prof);

} // namespace dlprt

#endif // DLPRT_PROFILE_H

//===- TileSearch.h - per-layer tiling chosen by the cycle model -*- C++
//-*-===//
#ifndef DLP_CONVERSION_QNNTODLP_TILESEARCH_H
#define DLP_CONVERSION_QNNTODLP_TILESEARCH_H

#include "DLP/DLPOps.h"
#include "Lowering.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <memory>

namespace dlp::conv {

/// One lowering of the function into a new dlp.program (null when it
/// failed) with GEMM layer i tiled as choice(i) (the default tiling when
/// choice is null); `low` receives its Lowering.
using LowerFn = llvm::function_ref<device::ProgramOp(
    std::function<TileChoice(unsigned)> choice,
    std::unique_ptr<Lowering> &low)>;

/// --tile-search (docs/lowering.md): lowers the function once per trial
/// tiling (TileSearch.cpp: band caps x loop orders x merged stores after
/// the last tile or not, every layer tiled alike; overlapping max pools
/// fused or not as in the plain lowering, the other way tried last), times
/// each program with the cycle model (docs/cycle-model.md), gives each
/// layer the trial tiling
/// under which its instructions (and its fused epilogue's) took the fewest
/// cycles (two ways: TileSearch.cpp), and keeps the best program if the
/// cycle model finds it faster than the plain lowering (else the plain one; `gain`: the cycles saved;
/// `kept`: the kept program's cycles, none when the cycle model refused
/// it).
/// Null when the plain lowering fails (its diagnostics stand; the trials'
/// are dropped).
device::ProgramOp searchTiles(LowerFn lowerOnce, mlir::MLIRContext *ctx,
                              std::unique_ptr<Lowering> &low, uint64_t &gain,
                              std::optional<uint64_t> &kept);

} // namespace dlp::conv

#endif // DLP_CONVERSION_QNNTODLP_TILESEARCH_H

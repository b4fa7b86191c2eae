//===- Passes.td - conversion passes -----------------------*- tablegen -*-===//
#ifndef DLP_CONVERSION_PASSES_TD
#define DLP_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQNNToDLP : Pass<"convert-qnn-to-dlp", "mlir::ModuleOp"> {
  let summary = "Lower a qnn function to a dlp program for a target";
  let description = [{
    Tiles every layer of the (single) qnn function into DLP instructions
    for the target config `target=cfg.json` (docs/isa.md): conv and
    fully-connected layers become GEMM tile loops (input channels in blocks
    of L, output channels in blocks of Q, both zero-padded; output rows in
    bands that fit the feature buffer; K split into chunks that fit a weight
    bank, accumulating in ABUF), pools POOL, residual adds /
    requantizations / clamps ADD; flatten and channel concats of
    L-aligned inputs are free (views of the same DDR bytes). The pass packs
    the weights (pow2-4 codes two per byte or int8, with each row's
    alignment shift) and per-channel parameters into DDR region `const`,
    gives every feature map its own DDR range in region `data`, allocates
    the on-chip buffers (ping-pong, so loads, compute and stores of
    consecutive tiles can overlap) and places the dependency tokens from
    the buffers and DDR bytes each instruction reads and writes, with a
    SYNC where a store must precede a load. Grouped convolutions and
    unaligned concats run on the host (`dlp.host_segment`). The function is
    replaced by the `dlp.program`; its result verifies with the runtime's
    own validator.
  }];
  let dependentDialects = ["dlp::device::DLPDialect"];
  let options = [
    Option<"targetFile", "target", "std::string", "\"\"",
           "Target config (JSON, hw/configs/*.json)">,
    Option<"csrDensity", "csr-density", "double", "0.0",
           "Store a layer's weights as CSR streams run by GEMM_CSR when its "
           "weight density (non-zero / all) is below this (0: never)">,
    Option<"packTaps", "pack-taps", "bool", "true",
           "Pack the kernel columns of a conv on a model input with few "
           "channels into channels (host kind 20), k_w times fewer steps">,
    Option<"fmapsOnChip", "fmaps-on-chip", "bool", "true",
           "Keep a GEMM layer's output whole in the feature buffer when one "
           "band makes it, so that the GEMM layer lowered next reads it "
           "there instead of loading it (and waiting at a SYNC for its "
           "store)">,
    Option<"mapsOnTop", "maps-on-top", "bool", "false",
           "Place a GEMM layer's output kept on chip at the top of the "
           "free feature-buffer range (room below it for a later in-place "
           "residual add) instead of right after its tiles; the tile "
           "search tries both">,
    Option<"residualGemm", "residual-gemm", "bool", "true",
           "Run a residual add fused after a conv in the GEMM's epilogue "
           "(the GEMM residual flag) instead of an ADD instruction after "
           "it, unless its other operand is read where the previous layer "
           "left it on chip">,
    Option<"mergeStores", "merge-stores", "bool", "true",
           "A GEMM layer that keeps its output on chip holds its tiles' "
           "STOREs and sends adjacent ones as one, every DDR-latency x "
           "bytes-per-cycle / L vectors and after its last tile, instead of "
           "one STORE per tile (each pays the DDR latency and holds the "
           "channel); the tile search also tries all of them after the "
           "last tile">,
    Option<"mergeWeightLoads", "merge-weight-loads", "bool", "true",
           "A layer whose weights stay in WBUF (resident) loads the rows of "
           "consecutive (output block, K chunk) groups with one LOAD, until "
           "it moves at least DDR-latency x bytes-per-cycle bytes, instead "
           "of one LOAD per group (each pays the DDR latency)">,
    Option<"elideDeadStores", "elide-dead-stores", "bool", "false",
           "Leave out the STOREs of feature maps that no later instruction "
           "reads from DDR (every reader finds them on chip) and that are "
           "not model outputs: the model is lowered, the DDR ranges read "
           "recorded, and lowered again without those STOREs. Their "
           "tensors leave the binary's tensor table, so dlp-run "
           "--dump-dir writes only the maps still in DDR">,
    Option<"fuseOverlappingPools", "fuse-overlapping-pools", "std::string",
           "\"auto\"",
           "A max pool whose windows overlap (a 3x3 / 2 stem pool) fused into "
           "the conv before it ('true'; each row band's tile also holds the "
           "rows its windows share with the next band's, computed again "
           "there; the GEMMs pool their tiles on a target with "
           "units.gemm_pool, else a POOL per tile) or lowered on its own "
           "('false'); 'auto': fused where the layer's GEMMs can pool it "
           "(units.gemm_pool, a window the pool_* fields and the line buffer "
           "hold), and the tile search tries both">,
    Option<"tileSearch", "tile-search", "bool", "false",
           "Choose each GEMM layer's tiling with the cycle model: loop order "
           "(output- or weight-stationary) and row bands capped at 1, 1/2, "
           "1/4, 1/8 of the largest that fits; keep per layer the fastest "
           "(docs/lowering.md)">,
    ListOption<"loopOrder", "loop-order", "std::string",
               "Force GEMM layers' loop order: 'output' or 'weight' "
               "(-stationary) for every layer, or NAME=output|weight for the "
               "layer NAME (its debug name); the tile search then chooses "
               "the rest">,
    Option<"reportTiles", "report-tiles", "bool", "false",
           "A remark per GEMM layer saying how it is tiled (loop order, "
           "bands, where input and weights live)">
  ];
  let statistics = [
    Statistic<"numInstructions", "instructions", "Instructions emitted">,
    Statistic<"numGemms", "gemms", "GEMM tile instructions">,
    Statistic<"numHost", "host-segments", "Ops run on the host">,
    Statistic<"numSyncs", "syncs", "SYNC barriers placed">,
    Statistic<"constBytes", "const-bytes", "Bytes of DDR region const">,
    Statistic<"numTileSearchGain", "tile-search-gain",
              "Cycles the tile search saved (cycle model)">
  ];
}

#endif // DLP_CONVERSION_PASSES_TD

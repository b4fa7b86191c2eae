//===- GemmLayer.h - a conv / fully-connected layer as GEMMs ----*- C++ -*-===//
//
// What LowerGemm.cpp (tiling, emission) and GemmWeights.cpp (weight codes,
// parameters, WBUF rows) share about one GEMM layer.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_CONVERSION_QNNTODLP_GEMMLAYER_H
#define DLP_CONVERSION_QNNTODLP_GEMMLAYER_H

#include "Lowering.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace dlp::conv {

/// Everything the tiler needs to know about one GEMM layer.
struct GemmLayer {
  mlir::Operation *op;
  /// Position among the function's GEMM layers (Lowering::gemmLayers).
  unsigned index = 0;
  int inT, outT; ///< tensor indices (outT: -1 when an epilogue op is fused)
  /// A pool or residual add fused after the epilogue (planFusion), or null.
  mlir::Operation *epi = nullptr;
  /// A max pool with overlapping windows after it: whether it stayed
  /// fused (emitGemmLayer; none without such a pool).
  std::optional<bool> poolFused;
  /// Input units: channel blocks (conv) or storage vectors (FC); each unit
  /// has `rowsPerUnit / L` taps.
  int64_t units, inH, inW, outH, outW, kh, kw, sh, sw, dh, dw, pt, pl;
  int64_t O;
  bool fc;
  dlprt::isa::WFmt fmt;
  /// The weight integers (output channel o's at o * oStride), the column
  /// of (unit, tap, lane) in a row of them (-1: a padding channel), and
  /// the alignment of (unit, lane). Called once per weight row.
  std::shared_ptr<std::vector<int8_t>> w;
  int64_t oStride = 0;
  std::function<int64_t(int64_t, int64_t, int64_t)> column;
  std::function<int32_t(int64_t, int64_t)> align;
  std::vector<Lowering::ChannelParams> params;
  /// The weights go as CSR streams (prepareGemm): a target with the
  /// decoder, and the precision config's `dlp.csr` or fewer non-zeros
  /// than the --csr-density (chunks past the decoder's dense rows keep the
  /// layer dense after all, packWeights).
  bool csr = false;
  /// Held maps this layer gave up (Lowering::dropHeld) to fit its tiles:
  /// their readers load them again (reported with report-tiles).
  int64_t droppedHeld = 0;
};

/// Whether layer g may take window-sparse rows (GEMM_WIN, docs/isa.md 3.8)
/// on target t: pow2 codes, not CSR, a target with the array.
inline bool windowCandidate(const dlprt::TargetConfig &t, const GemmLayer &g) {
  return t.windowSparse() && g.fmt == dlprt::isa::WFmt::Pow2 && !g.csr;
}

/// A layer's weights as DDR rows for WBUF (docs/isa.md section 1): per
/// output block of Q channels and K chunk of `perChunk` input units, the
/// dense weight rows or (a layer below --csr-density, or chosen by the
/// precision config) one GEMM_CSR stream of whole WBUF rows.
struct WeightRows {
  std::vector<uint8_t> bytes;
  /// The LOAD's row format (Csr for streams and window-sparse rows).
  dlprt::isa::WFmt loadFmt;
  /// CSR streams (GEMM_CSR) or window-sparse rows (GEMM_WIN, docs/isa.md
  /// 3.8) instead of dense rows; both are laid out as csrStart / csrRows.
  bool csr = false, win = false;
  int64_t nQb = 0, nChunks = 0, perChunk = 0;
  /// Dense rows of one block; the first dense row of chunk c in a block.
  int64_t perQb = 0;
  std::vector<int64_t> chunkStart, chunkRowCount;
  /// CSR / window: the first row and rows of the stream of (qb, chunk);
  /// window: its slots (GEMM_WIN's field).
  std::vector<int64_t> csrStart, csrRows;
  std::vector<uint32_t> winSlots;

  int64_t rowCount = 0;
  /// The first row (from the layer's first) and the rows of (qb, chunk).
  int64_t row(int64_t qb, int64_t c) const {
    return csr || win ? csrStart[qb * nChunks + c]
                      : qb * perQb + chunkStart[c];
  }
  int64_t rows(int64_t qb, int64_t c) const {
    return csr || win ? csrRows[qb * nChunks + c] : chunkRowCount[c];
  }
  /// Rows of block qb, every chunk (they are consecutive).
  int64_t blockRows(int64_t qb) const {
    return row(qb, nChunks - 1) + rows(qb, nChunks - 1) - row(qb, 0);
  }
};

/// What the tile search's lowerings of one function share: each GEMM
/// layer's prepared weights and parameters (prepareGemm) and its packed
/// rows per K chunking (packWeights). Neither depends on the tiling.
class GemmCache {
public:
  struct Prepared {
    std::shared_ptr<std::vector<int8_t>> w;
    dlprt::isa::WFmt fmt;
    int64_t O;
    std::vector<Lowering::ChannelParams> params;
    int32_t fmax;
    bool csr;
  };
  llvm::DenseMap<mlir::Operation *, Prepared> prepared;
  std::map<std::pair<mlir::Operation *, int64_t>,
           std::shared_ptr<const WeightRows>>
      rows;
};

/// Weight codes, bias and epilogue parameters of a conv / FC layer (`g.w`,
/// `g.fmt`, `g.O`, `g.params`; `fmax`: the accumulator's alignment base),
/// with the overflow proof. Taken from the lowering's GemmCache when it
/// has them.
mlir::LogicalResult prepareGemm(Lowering &lw, mlir::Operation *op,
                                mlir::Value weight, mlir::Value bias,
                                mlir::Value input, mlir::Value output,
                                int64_t K,
                                std::function<int32_t(int64_t)> actMin,
                                std::function<int32_t(int64_t)> actMax,
                                GemmLayer &g, int32_t &fmax);

/// The layer's weight rows for K chunks of `perChunk` units (null after a
/// diagnostic). Taken from the lowering's GemmCache when it has them.
std::shared_ptr<const WeightRows> packWeights(Lowering &lw, const GemmLayer &g,
                                              int64_t perChunk);

} // namespace dlp::conv

#endif // DLP_CONVERSION_QNNTODLP_GEMMLAYER_H

//===- Gptq.cpp - Error-compensating pow2-4 weight rounding ---------------===//

#include "dlp/Quant/Gptq.h"
#include "dlp/Quant/Linalg.h"
#include "dlp/Support/Proof.h"
#include "dlprt/Numerics.h"
#include "dlprt/kernels/FloatGemm.h"
#include "dlprt/kernels/Parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace dlp::quant;
namespace num = dlprt::num;
namespace kernels = dlprt::kernels;

namespace {
/// Nearest pow2-4 level in value for one window: the midpoints are
/// 2^(n2 - 1) (between 0 and 2^n2) and 1.5 * 2^e (between 2^e and 2^(e+1)),
/// computed once.
class LinearCoder {
public:
  explicit LinearCoder(int n1) {
    static_assert(num::kPow2Span == 6, "one midpoint per code step");
    int n2 = n1 - num::kPow2Span;
    zeroBelow = std::ldexp(1.0, n2 - 1);
    for (int j = 0; j < num::kPow2Span; ++j)
      mid[j] = std::ldexp(1.5, n2 + j);
    for (int k = 1; k < 8; ++k)
      level[k] = std::ldexp(1.0, n2 + k - 1);
  }
  uint8_t encode(double w) const {
    double a = std::fabs(w);
    if (!(a >= zeroBelow))
      return 0;
    int k = 1;
    for (double m : mid)
      k += a >= m;
    return static_cast<uint8_t>((w < 0 ? 8 : 0) + k);
  }
  double value(uint8_t code) const {
    double v = level[code & 7];
    return (code & 7) == 0 ? 0.0 : (code & 8) ? -v : v;
  }

private:
  double zeroBelow;
  double mid[num::kPow2Span];
  double level[8] = {0};
};
} // namespace

uint8_t dlp::quant::pow2EncodeLinear(double w, int n1) {
  return LinearCoder(n1).encode(w);
}

std::vector<std::pair<int64_t, int64_t>>
dlp::quant::columnChunks(int64_t K, int64_t taps, int64_t maxColumns) {
  maxColumns = std::max<int64_t>(1, maxColumns);
  int64_t chunks = std::max<int64_t>(1, (K + maxColumns - 1) / maxColumns);
  int64_t width = (K + chunks - 1) / chunks;
  // Whole input channels when a channel fits a chunk.
  if (taps > 1 && taps <= width &&
      (width + taps - 1) / taps * taps <= maxColumns)
    width = (width + taps - 1) / taps * taps;
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t c0 = 0; c0 < K; c0 += width)
    out.push_back({c0, std::min(K, c0 + width)});
  return out;
}

LayerHessian LayerHessian::zeros(int64_t group, int64_t K, int64_t taps,
                                 int64_t maxColumns) {
  LayerHessian lh;
  lh.group = group;
  lh.cols = K;
  lh.chunks = columnChunks(K, taps, maxColumns);
  for (int64_t g = 0; g < group; ++g)
    for (auto [c0, c1] : lh.chunks)
      lh.blocks.emplace_back(static_cast<size_t>((c1 - c0) * (c1 - c0)), 0.0);
  return lh;
}

LayerHessian LayerHessian::fromDense(int64_t group, int64_t K,
                                     const std::vector<double> &h, int64_t taps,
                                     int64_t maxColumns) {
  LayerHessian lh = zeros(group, K, taps, maxColumns);
  size_t b = 0;
  for (int64_t g = 0; g < group; ++g)
    for (auto [c0, c1] : lh.chunks) {
      int64_t n = c1 - c0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j)
          lh.blocks[b][i * n + j] = h[g * K * K + (c0 + i) * K + (c0 + j)];
      ++b;
    }
  return lh;
}

namespace {

/// Candidate roundings of one channel: window shift s (n1 = n1max - s) by
/// the nearest rule (kind 0) or by GPTQ (kind 1).
struct Candidates {
  int shifts;
  int64_t rows, cols;
  /// [shift][kind]: codes (rows x cols) and errors (rows).
  std::vector<std::vector<int8_t>> codes;
  std::vector<std::vector<double>> err;
  Candidates(int shifts, int64_t rows, int64_t cols)
      : shifts(shifts), rows(rows), cols(cols),
        codes(static_cast<size_t>(2 * (shifts + 1)),
              std::vector<int8_t>(static_cast<size_t>(rows * cols))),
        err(static_cast<size_t>(2 * (shifts + 1)),
            std::vector<double>(static_cast<size_t>(rows))) {}
  int index(int s, int kind) const { return 2 * s + kind; }
};

/// One chunk [c0, c1) of one group's columns, for every candidate.
/// `w` holds the group's rows (stride `ld`), `n1max` their windows' tops.
/// Each chunk's errors go to its own `err` so the sums over chunks run in
/// a fixed order.
void roundChunk(const float *w, int64_t ld, int64_t rows, int64_t c0,
                int64_t c1, const std::vector<double> &block, int64_t K,
                const std::vector<int> &n1max, const GptqOptions &opt,
                int64_t threads, std::vector<int8_t *> codeOut,
                std::vector<std::vector<double>> &err) {
  int64_t n = c1 - c0;
  std::vector<double> h = block;
  // Samples with an infinite or NaN activation give no usable curvature:
  // the identity then (each column's error costs the same, no coupling).
  if (!std::all_of(h.begin(), h.end(),
                   [](double v) { return std::isfinite(v); }))
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        h[i * n + j] = i == j;
  double diag = 0;
  int64_t live = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (h[i * n + i] > 0) {
      diag += h[i * n + i];
      ++live;
    }
  }
  double mean = live ? diag / live : 1.0;
  // A column never driven (dead input) gets a unit diagonal: its error
  // costs the damping only, and it couples to nothing.
  for (int64_t i = 0; i < n; ++i)
    if (!(h[i * n + i] > 0))
      h[i * n + i] = mean;
  std::vector<double> u, r;
  // More damping until the factorization succeeds: at 10^30 times the mean
  // diagonal any symmetric h with finite entries is positive definite.
  bool factored = false;
  for (double damp = opt.damp; !factored && damp < 1e30;
       damp = damp > 0 ? damp * 10 : 1e-6) {
    std::vector<double> hd = h;
    for (int64_t i = 0; i < n; ++i)
      hd[i * n + i] += damp * mean;
    factored = inverseCholeskyUpper(hd, n, u, r);
  }
  if (!factored) { // not reached with finite entries; the identity
    std::vector<double> id(size_t(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i)
      id[i * n + i] = 1;
    inverseCholeskyUpper(id, n, u, r);
  }
  std::vector<float> uf(u.begin(), u.end()), rf(r.begin(), r.end());

  std::vector<float> work(static_cast<size_t>(rows * n)), errBlock;
  int64_t bs = std::max<int64_t>(1, opt.blockSize);
  for (int s = 0; s <= opt.windowShifts; ++s) {
    // Nearest (log-domain) rounding: error |r^T (w - q)|^2 from one GEMM;
    // in the max|W| window only (the baseline GPTQ must not lose to).
    int8_t *qn = codeOut[2 * s];
    for (int64_t o = 0; s == 0 && o < rows; ++o) {
      num::Pow2Coder coder(n1max[o] - s);
      for (int64_t j = 0; j < n; ++j) {
        float v = w[o * ld + c0 + j];
        uint8_t c = coder.encode(v);
        qn[o * K + c0 + j] = static_cast<int8_t>(c);
        work[o * n + j] = float(double(v) - coder.value(c));
      }
    }
    if (s == 0) {
      std::vector<float> y(static_cast<size_t>(rows * n));
      kernels::sgemm(false, false, rows, n, n, 1.0f, work.data(), n, rf.data(),
                     n, 0.0f, y.data(), n, threads);
      for (int64_t o = 0; o < rows; ++o) {
        double e = 0;
        for (int64_t j = 0; j < n; ++j)
          e += double(y[o * n + j]) * y[o * n + j];
        err[0][o] += e;
      }
    } else {
      for (int64_t o = 0; o < rows; ++o)
        err[2 * s][o] = std::numeric_limits<double>::infinity();
    }

    // GPTQ: the error of column j, divided by u_jj, moves the columns
    // after j by -err * u_j,k; the loss sum of err^2 is ||W - Q||_H^2.
    int8_t *qg = codeOut[2 * s + 1];
    for (int64_t o = 0; o < rows; ++o)
      for (int64_t j = 0; j < n; ++j)
        work[o * n + j] = w[o * ld + c0 + j];
    std::vector<double> loss(static_cast<size_t>(rows), 0.0);
    std::vector<LinearCoder> coders;
    for (int64_t o = 0; o < rows; ++o)
      coders.emplace_back(n1max[o] - s);
    for (int64_t b0 = 0; b0 < n; b0 += bs) {
      int64_t b1 = std::min(n, b0 + bs), bw = b1 - b0;
      errBlock.assign(static_cast<size_t>(rows * bw), 0.0f);
      // Within the block the rows are independent.
      kernels::parallelForRange(
          rows * bw * bw >= (1 << 16) ? threads : 1, rows,
          [&](int64_t lo, int64_t hi) {
            for (int64_t o = lo; o < hi; ++o) {
              float *wo = work.data() + o * n;
              for (int64_t j = b0; j < b1; ++j) {
                uint8_t c = coders[o].encode(wo[j]);
                qg[o * K + c0 + j] = static_cast<int8_t>(c);
                double e = (double(wo[j]) - coders[o].value(c)) / u[j * n + j];
                loss[o] += e * e;
                float ef = float(e);
                errBlock[o * bw + (j - b0)] = ef;
                const float *uj = uf.data() + j * n;
                for (int64_t k = j + 1; k < b1; ++k)
                  wo[k] -= ef * uj[k];
              }
            }
          });
      if (b1 < n)
        kernels::sgemm(false, false, rows, n - b1, bw, -1.0f, errBlock.data(),
                       bw, uf.data() + b0 * n + b1, n, 1.0f, work.data() + b1,
                       n, threads);
    }
    for (int64_t o = 0; o < rows; ++o)
      err[2 * s + 1][o] += loss[o];
  }
}

/// max |w| of a row (NaN counts as 0), as the window rule takes it.
double rowMax(const float *w, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i)
    m = std::max(m, double(std::fabs(w[i])));
  return m;
}
} // namespace

QuantizedWeights dlp::quant::gptqPow2(llvm::ArrayRef<float> w, int64_t numOut,
                                      const LayerHessian &hessian,
                                      bool perLayer, const GptqOptions &opt,
                                      std::vector<double> *rowError) {
  int64_t group = hessian.group, K = hessian.cols;
  int64_t perGroup = numOut / group;
  int shifts = std::max(0, opt.windowShifts);
  GptqOptions o = opt;
  o.windowShifts = shifts;

  std::vector<int> n1max(static_cast<size_t>(numOut));
  double layerMax = perLayer ? rowMax(w.data(), w.size()) : 0;
  for (int64_t r = 0; r < numOut; ++r)
    n1max[r] =
        num::pow2WindowTop(perLayer ? layerMax : rowMax(w.data() + r * K, K));

  // One task per group and column chunk (a diagonal block of H).
  struct Task {
    int64_t g, c0, c1;
    const std::vector<double> *block;
  };
  std::vector<Task> tasks;
  size_t b = 0;
  for (int64_t g = 0; g < group; ++g)
    for (auto [c0, c1] : hessian.chunks)
      tasks.push_back({g, c0, c1, &hessian.blocks[b++]});

  Candidates cand(shifts, numOut, K);
  // Per task: errors of its rows, summed over the group's chunks below.
  std::vector<std::vector<std::vector<double>>> taskErr(tasks.size());
  int64_t threads = dlp::compileThreads();
  bool parallelTasks = tasks.size() >= 2 && threads > 1;
  dlprt::kernels::parallelForTasks(
      parallelTasks ? threads : 1, tasks.size(), [&](int64_t t) {
        const Task &task = tasks[t];
        int64_t r0 = task.g * perGroup;
        std::vector<int> tops(n1max.begin() + r0,
                              n1max.begin() + r0 + perGroup);
        std::vector<int8_t *> out;
        for (auto &c : cand.codes)
          out.push_back(c.data() + r0 * K);
        taskErr[t].assign(
            cand.err.size(),
            std::vector<double>(static_cast<size_t>(perGroup), 0.0));
        roundChunk(w.data() + r0 * K, K, perGroup, task.c0, task.c1,
                   *task.block, K, tops, o, parallelTasks ? 1 : threads, out,
                   taskErr[t]);
      });
  for (auto [t, task] : llvm::enumerate(tasks))
    for (size_t c = 0; c < cand.err.size(); ++c)
      for (int64_t i = 0; i < perGroup; ++i)
        cand.err[c][task.g * perGroup + i] += taskErr[t][c][i];

  // Per channel the lowest error; the nearest rounding in the max|W| window
  // (candidate 0) wins ties. Per layer: the shift with the lowest total.
  auto bestKind = [&](int s, int64_t r) {
    return cand.err[cand.index(s, 1)][r] < cand.err[cand.index(s, 0)][r] ? 1
                                                                         : 0;
  };
  int layerShift = 0;
  if (perLayer) {
    double best = 0;
    for (int s = 0; s <= shifts; ++s) {
      double total = 0;
      for (int64_t r = 0; r < numOut; ++r)
        total += cand.err[cand.index(s, bestKind(s, r))][r];
      if (s == 0 || total < best) {
        best = total;
        layerShift = s;
      }
    }
  }
  QuantizedWeights q;
  q.pow2 = true;
  q.q.resize(w.size());
  q.scale.resize(numOut);
  if (rowError)
    rowError->assign(static_cast<size_t>(numOut), 0.0);
  for (int64_t r = 0; r < numOut; ++r) {
    int bestS = layerShift, bestK = bestKind(layerShift, r);
    if (!perLayer)
      for (int s = 0; s <= shifts; ++s) {
        int k = bestKind(s, r);
        if (cand.err[cand.index(s, k)][r] <
            cand.err[cand.index(bestS, bestK)][r]) {
          bestS = s;
          bestK = k;
        }
      }
    const std::vector<int8_t> &src = cand.codes[cand.index(bestS, bestK)];
    std::copy(src.begin() + r * K, src.begin() + (r + 1) * K,
              q.q.begin() + r * K);
    // An all-zero channel keeps n1 = 0 (section 2.1).
    bool zero = !perLayer && rowMax(w.data() + r * K, K) == 0;
    q.scale[r] = zero ? 0 : n1max[r] - bestS;
    if (rowError)
      (*rowError)[r] = cand.err[cand.index(bestS, bestK)][r];
  }
  fillSqnr(w, numOut, q);
  return q;
}

//===- Simulator.cpp - Functional simulator: DMA, POOL, ADD, HOST ---------===//
//
// GEMM lives in SimGemm.cpp. POOL, ADD and the host ops run the shared
// integer kernels (dlprt/kernels). Every address here was bounds-checked by
// the validator (ValidateInstr.cpp) from the same fields.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Simulator.h"

#include "dlprt/HostOps.h"
#include "dlprt/Numerics.h"
#include "dlprt/Schedule.h"

#include "dlprt/kernels/Parallel.h"
#include "dlprt/kernels/Pool.h"
#include "dlprt/kernels/Requant.h"

#include "SimUtil.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <map>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include <sys/mman.h>

using namespace llvm;
using namespace dlprt::isa;

namespace dlprt {

namespace rk = dlprt::kernels;

/// DMA transfers of at least this many bytes run on the threads, in pieces
/// of at least kDmaPieceBytes. The threads' pieces follow the same blocks
/// as their GEMM chunks (kernels/Parallel.cpp), so a STORE copies mostly
/// what its own thread computed: even a 200 KB copy is faster split.
constexpr uint64_t kParallelDmaBytes = uint64_t(64) << 10;
constexpr uint64_t kDmaPieceBytes = uint64_t(16) << 10;

template <class T> ZeroedArray<T>::ZeroedArray(size_t count) : n(count) {
  // kReadSlack bytes past the end: vector loads of a buffer's last
  // elements may read (never use) a little past them.
  size_t bytes = n * sizeof(T) + kReadSlack;
  // Fresh anonymous pages read as zero and cost nothing until touched.
  void *m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  // Large buffers (FBUF, WBUF entries) on transparent huge pages where the
  // system offers them on request: one fault per 2 MiB instead of 512.
  if (bytes >= (size_t(2) << 20))
    madvise(m, bytes, MADV_HUGEPAGE);
#endif
  p = static_cast<T *>(m);
}

template <class T> ZeroedArray<T>::~ZeroedArray() {
  munmap(p, n * sizeof(T) + kReadSlack);
}

template class ZeroedArray<int8_t>;
template class ZeroedArray<uint8_t>;
template class ZeroedArray<int32_t>;
template class ZeroedArray<uint64_t>;

MachineState::MachineState(const TargetConfig &t)
    : L(t.L), Q(t.Q), fbuf(t.fbufVectors() * t.L), wcode(t.wbufRows() * t.Q),
      walign(t.wbufRows()), wtag(t.wbufRows()), bias(uint64_t(t.paramEntries) * t.Q),
      outShift(bias.size()), actMin(bias.size()), actMax(bias.size()),
      aux(bias.size()), abuf(t.abufVectors() * t.Q) {}

void MachineState::reset(const Footprint &f, unsigned threads) {
  auto zero = [&](auto &v, const auto &ranges, uint64_t unit) {
    for (auto [b, e] : ranges)
      rk::parallelCopy(v.data() + b * unit, nullptr,
                       (e - b) * unit * sizeof(v.data()[0]), threads);
  };
  zero(fbuf, f.fbuf, L);
  if (!f.wbuf.empty()) {
    zero(wtag, f.wbuf, 1);
    wcodeStale = true;
  }
  zero(bias, f.pbuf, Q);
  zero(outShift, f.pbuf, Q);
  zero(actMin, f.pbuf, Q);
  zero(actMax, f.pbuf, Q);
  zero(aux, f.pbuf, Q);
  zero(abuf, f.abuf, Q);
}

void MachineState::reset() {
  auto zero = [](auto &v) { std::fill(v.begin(), v.end(), 0); };
  zero(fbuf);
  zero(wtag); // wcode / walign follow when read
  wcodeStale = true;
  zero(bias);
  zero(outShift);
  zero(actMin);
  zero(actMax);
  zero(aux);
  zero(abuf);
}

void MachineState::syncWeights(const Program &p) {
  if (!wcodeStale)
    return;
  const uint32_t Q = p.target.Q;
  for (size_t a = 0; a < wtag.size(); ++a) {
    uint8_t *code = wcode.data() + a * Q;
    if (!wtag[a]) {
      std::fill(code, code + Q, 0);
      walign[a] = 0;
      continue;
    }
    // A row of CSR stream bytes reads as an int8 row (docs/isa.md 1).
    WFmt fmt = detail::wtagFmt(wtag[a]);
    walign[a] = detail::decodeWRow(
        p.constData.data() + detail::wtagOffset(wtag[a]), fmt, Q,
        p.target.rowBytes(fmt), code);
  }
  wcodeStale = false;
}

uint64_t touchedDataBytes(const Program &p) {
  uint64_t end = 0;
  for (const TensorDesc &t : p.tensors)
    end = std::max(end, t.ddrOffset + t.bytes(p.target.L));
  for (const Instr &in : p.code) {
    if (in.opcode() != Opcode::Store && in.opcode() != Opcode::Load)
      continue;
    detail::DmaBox b(in);
    if (b.region != Region::Data)
      continue;
    // Only FBUF units come from / go to data (validated).
    end = std::max(end, b.ddr + (b.n2 - 1) * b.s2 + (b.n1 - 1) * b.s1 +
                            b.n0 * p.target.L);
  }
  return std::min(end, p.dataBytes);
}

namespace {
using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

void merge(Ranges &r) {
  std::sort(r.begin(), r.end());
  size_t out = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i].first >= r[i].second)
      continue;
    if (out && r[i].first <= r[out - 1].second)
      r[out - 1].second = std::max(r[out - 1].second, r[i].second);
    else
      r[out++] = r[i];
  }
  r.resize(out);
}
} // namespace

std::vector<std::pair<uint64_t, uint64_t>>
dataReadBeforeWritten(const Program &p, const std::vector<uint32_t> &order) {
  const uint32_t L = p.target.L;
  const uint64_t end = touchedDataBytes(p);
  std::map<uint64_t, uint64_t> written; // disjoint, not touching: begin -> end
  std::vector<std::pair<uint64_t, uint64_t>> unwritten;
  auto write = [&](uint64_t b, uint64_t e) {
    if (b >= e)
      return;
    auto it = written.upper_bound(b);
    if (it != written.begin() && std::prev(it)->second >= b) {
      --it;
      b = it->first;
    }
    while (it != written.end() && it->first <= e) {
      e = std::max(e, it->second);
      it = written.erase(it);
    }
    written[b] = e;
  };
  auto read = [&](uint64_t b, uint64_t e) {
    e = std::min(e, end);
    auto it = written.upper_bound(b);
    if (it != written.begin() && std::prev(it)->second > b)
      --it;
    for (; b < e && it != written.end() && it->first < e; ++it) {
      if (it->first > b)
        unwritten.push_back({b, it->first});
      b = std::max(b, it->second);
    }
    if (b < e)
      unwritten.push_back({b, e});
  };
  auto tensor = [&](uint32_t t) {
    const TensorDesc &d = p.tensors[t];
    return std::make_pair(d.ddrOffset, d.ddrOffset + d.bytes(L));
  };
  for (uint32_t t : p.inputs)
    write(tensor(t).first, tensor(t).second);
  for (uint32_t i : order) {
    const Instr &in = p.code[i];
    if (in.opcode() == Opcode::Store || in.opcode() == Opcode::Load) {
      detail::DmaBox b(in);
      if (b.region != Region::Data)
        continue;
      // Only FBUF units come from / go to data (validated).
      uint64_t run = b.n0 * L;
      for (uint64_t i2 = 0; i2 < b.n2; ++i2)
        for (uint64_t i1 = 0; i1 < b.n1; ++i1) {
          uint64_t at = b.ddr + i2 * b.s2 + i1 * b.s1;
          if (b.store)
            write(at, at + run);
          else
            read(at, at + run);
        }
    } else if (in.opcode() == Opcode::Host) {
      const HostSegment &h = p.host[in.get(Field::Host_segment)];
      for (uint32_t t : h.inputs)
        read(tensor(t).first, tensor(t).second);
      // PackTaps writes every byte of its output (HostOps.cpp); other
      // kinds' outputs count as not written.
      if (h.kind == HostOpKind::PackTaps)
        for (uint32_t t : h.outputs)
          write(tensor(t).first, tensor(t).second);
    }
  }
  for (uint32_t t = 0; t < p.tensors.size(); ++t)
    read(tensor(t).first, tensor(t).second);
  merge(unwritten);
  return unwritten;
}

std::vector<int64_t> packedInputs(const Program &p,
                                  const std::vector<uint32_t> &order) {
  const uint32_t L = p.target.L;
  using Range = std::pair<uint64_t, uint64_t>;
  auto range = [&](uint32_t t) -> Range {
    const TensorDesc &d = p.tensors[t];
    return {d.ddrOffset, d.ddrOffset + d.bytes(L)};
  };
  auto overlap = [](Range a, Range b) {
    return a.first < b.second && b.first < a.second;
  };
  // What each instruction of the schedule touches in DDR data (a DMA box
  // as its hull); the position of each segment's HOST instruction.
  std::vector<std::vector<Range>> touched(order.size());
  std::vector<int64_t> hostAt(p.host.size(), -1), hostCount(p.host.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const Instr &in = p.code[order[k]];
    if (in.opcode() == Opcode::Load || in.opcode() == Opcode::Store) {
      detail::DmaBox b(in);
      if (b.region == Region::Data)
        touched[k].push_back({b.ddr, b.ddr + (b.n2 - 1) * b.s2 +
                                         (b.n1 - 1) * b.s1 + b.n0 * L});
    } else if (in.opcode() == Opcode::Host) {
      uint64_t seg = in.get(Field::Host_segment);
      hostAt[seg] = int64_t(k);
      ++hostCount[seg];
      for (uint32_t t : p.host[seg].inputs)
        touched[k].push_back(range(t));
      for (uint32_t t : p.host[seg].outputs)
        touched[k].push_back(range(t));
    }
  }
  auto touches = [&](size_t k, Range r) {
    return llvm::any_of(touched[k], [&](Range t) { return overlap(t, r); });
  };
  std::vector<int64_t> result(p.inputs.size(), -1);
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    uint32_t in = p.inputs[i];
    const TensorDesc &x = p.tensors[in];
    if (x.isFloat() || x.C > int64_t(L) || llvm::is_contained(p.outputs, in))
      continue;
    Range xr = range(in);
    bool alone = true;
    for (size_t j = 0; j < p.inputs.size(); ++j)
      alone &= j == i || !overlap(xr, range(p.inputs[j]));
    // The one segment reading the input.
    int64_t seg = -1;
    for (size_t h = 0; h < p.host.size() && alone; ++h) {
      const HostSegment &s = p.host[h];
      bool reads = llvm::any_of(s.inputs,
                                [&](uint32_t t) { return overlap(range(t), xr); });
      bool writes = llvm::any_of(
          s.outputs, [&](uint32_t t) { return overlap(range(t), xr); });
      if (!reads && !writes)
        continue;
      if (seg >= 0 || writes || s.kind != HostOpKind::PackTaps ||
          s.inputs.size() != 1 || s.inputs[0] != in)
        alone = false;
      seg = int64_t(h);
    }
    if (!alone || seg < 0 || hostCount[seg] != 1)
      continue;
    const HostSegment &s = p.host[seg];
    uint32_t out = s.outputs[0];
    const TensorDesc &y = p.tensors[out];
    Range yr = range(out);
    if (y.isFloat() || y.C > int64_t(L) || overlap(xr, yr) ||
        llvm::any_of(p.inputs,
                     [&](uint32_t t) { return overlap(range(t), yr); }))
      continue;
    // No DMA anywhere on the input; nothing before the segment on its
    // output.
    bool ok = true;
    for (size_t k = 0; k < order.size() && ok; ++k) {
      Opcode op = p.code[order[k]].opcode();
      if (op == Opcode::Load || op == Opcode::Store)
        ok = !touches(k, xr);
      if (int64_t(k) < hostAt[seg])
        ok = ok && !touches(k, yr);
    }
    if (ok)
      result[i] = seg;
  }
  return result;
}

namespace {

/// Per unit of FBUF and ABUF in execution order: whether the first access
/// of an image reads it, and whether anything writes it.
class FirstAccess {
public:
  explicit FirstAccess(uint64_t units) : state(units, 0) {}
  /// Reads [b, e) (a superset of what an instruction reads is fine: it can
  /// only add units to zero).
  void read(uint64_t b, uint64_t e) {
    for (uint64_t u = b; u < std::min<uint64_t>(e, state.size()); ++u)
      if (!(state[u] & kWritten))
        state[u] |= kReadFirst;
  }
  /// Writes [b, e), every unit of it (exact: a unit claimed written but
  /// not would escape zeroing).
  void write(uint64_t b, uint64_t e) {
    for (uint64_t u = b; u < std::min<uint64_t>(e, state.size()); ++u)
      state[u] |= kWritten;
  }
  /// The units some image can read holding an earlier image's value: read
  /// before written, and written at all (the others stay zero).
  std::vector<std::pair<uint64_t, uint64_t>> stale() const {
    std::vector<std::pair<uint64_t, uint64_t>> r;
    for (uint64_t u = 0; u < state.size(); ++u)
      if (state[u] == (kReadFirst | kWritten)) {
        if (!r.empty() && r.back().second == u)
          ++r.back().second;
        else
          r.push_back({u, u + 1});
      }
    return r;
  }

private:
  static constexpr uint8_t kReadFirst = 1, kWritten = 2;
  std::vector<uint8_t> state;
};

/// What an image's run can find non-zero from the previous image
/// (MachineState::Footprint): the FBUF and ABUF units it reads before
/// writing them, in the execution order `order`, that the program writes
/// somewhere; every WBUF row and PBUF entry it writes (a few KB).
MachineState::Footprint footprintOf(const Program &p,
                                    const std::vector<uint32_t> &order) {
  MachineState::Footprint f;
  FirstAccess fbuf(p.target.fbufVectors()), abuf(p.target.abufVectors());
  for (uint32_t i : order) {
    const Instr &in = p.code[i];
    auto g = [&](Field fl) { return uint64_t(in.get(fl)); };
    // Block b of cb blocks `stride` apart, n units each.
    auto blocks = [](auto fn, uint64_t at, uint64_t cb, uint64_t stride,
                     uint64_t n) {
      for (uint64_t b = 0; b < cb; ++b)
        fn(at + b * stride, at + b * stride + n);
    };
    auto rd = [&](uint64_t b, uint64_t e) { fbuf.read(b, e); };
    auto wr = [&](uint64_t b, uint64_t e) { fbuf.write(b, e); };
    switch (in.opcode()) {
    case Opcode::Load:
    case Opcode::Store: {
      bool load = in.opcode() == Opcode::Load;
      uint64_t a = g(load ? Field::Load_sram_addr : Field::Store_sram_addr),
               n = g(load ? Field::Load_n0 : Field::Store_n0) *
                   g(load ? Field::Load_n1 : Field::Store_n1) *
                   g(load ? Field::Load_n2 : Field::Store_n2);
      Buf b = Buf(g(load ? Field::Load_buf : Field::Store_buf));
      if (b == Buf::FBuf)
        load ? fbuf.write(a, a + n) : fbuf.read(a, a + n);
      else if (load)
        (b == Buf::WBuf ? f.wbuf : f.pbuf).push_back({a, a + n});
      break;
    }
    case Opcode::Gemm:
    case Opcode::GemmCsr:
    case Opcode::GemmWin: {
      uint64_t in0 = g(Field::Gemm_in_addr);
      rd(in0, in0 + (g(Field::Gemm_in_cb) - 1) * g(Field::Gemm_in_cstride) +
                  g(Field::Gemm_in_h) * g(Field::Gemm_in_w));
      uint64_t m = g(Field::Gemm_out_h) * g(Field::Gemm_out_w),
               acc = g(Field::Gemm_acc_addr);
      if (g(Field::Gemm_accumulate))
        abuf.read(acc, acc + m);
      abuf.write(acc, acc + m); // every lane of its M vectors
      uint64_t out = g(Field::Gemm_out_addr);
      if (g(Field::Gemm_residual))
        rd(out + m, out + 2 * m);
      // (A pooling GEMM writes its pooled tile only.)
      std::optional<GemmPool> pool = gemmPool(in);
      if (g(Field::Gemm_epilogue))
        wr(out, out + (pool ? pool->outH * pool->outW : m));
      break;
    }
    case Opcode::Pool: {
      uint64_t cb = g(Field::Pool_cb);
      blocks(rd, g(Field::Pool_in_addr), cb, g(Field::Pool_in_cstride),
             g(Field::Pool_in_h) * g(Field::Pool_in_w));
      blocks(wr, g(Field::Pool_out_addr), cb, g(Field::Pool_out_cstride),
             g(Field::Pool_out_h) * g(Field::Pool_out_w));
      break;
    }
    case Opcode::Add: {
      uint64_t cb = g(Field::Add_cb), n = g(Field::Add_n);
      blocks(rd, g(Field::Add_a_addr), cb, g(Field::Add_a_cstride), n);
      if (!g(Field::Add_unary))
        blocks(rd, g(Field::Add_b_addr), cb, g(Field::Add_b_cstride), n);
      blocks(wr, g(Field::Add_out_addr), cb, g(Field::Add_out_cstride), n);
      break;
    }
    default:
      break;
    }
  }
  f.fbuf = fbuf.stale();
  f.abuf = abuf.stale();
  merge(f.wbuf);
  merge(f.pbuf);
  return f;
}
} // namespace

Expected<std::unique_ptr<Simulator>> Simulator::create(const Program &p,
                                                      bool validated) {
  if (!validated)
    if (Error e = validateProgram(p))
      return std::move(e);
  Expected<std::vector<uint32_t>> order = tokenSchedule(p.code);
  if (!order)
    return order.takeError();
  std::shared_ptr<const GemmPlans> plans = planGemms(
      p, *order, std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  auto shared =
      std::make_shared<const std::vector<uint32_t>>(std::move(*order));
  auto fp = std::make_shared<const MachineState::Footprint>(
      footprintOf(p, *shared));
  return std::unique_ptr<Simulator>(new Simulator(
      p, std::move(shared), std::move(plans), std::move(fp)));
}

std::unique_ptr<Simulator> Simulator::clone() const {
  auto c = std::unique_ptr<Simulator>(
      new Simulator(p, order, plans, footprint));
  c->threads = threads;
  c->skipped = skipped;
  return c;
}

void Simulator::run(uint8_t *data) {
  // A new machine's buffers are zero; after a run, only what the next can
  // read of the last one's writes needs zeroing.
  if (!fresh)
    s.reset(*footprint, threads);
  fresh = false;
  for (uint32_t i : *order)
    execute(i, data);
}

void Simulator::execute(uint32_t index, uint8_t *data) {
  const Instr &in = p.code[index];
  switch (in.opcode()) {
  case Opcode::Load:
  case Opcode::Store:
    dma(in, data);
    break;
  case Opcode::Gemm:
  case Opcode::GemmCsr:
  case Opcode::GemmWin:
    executeGemm(p, in, s, plans->byInstr[index].get(), threads);
    break;
  case Opcode::Pool:
    pool(in);
    break;
  case Opcode::Add:
    add(in);
    break;
  case Opcode::Host: {
    uint64_t seg = in.get(Field::Host_segment);
    if (!skipped || !(*skipped)[seg])
      runHostSegment(p, p.host[seg], data, threads);
    break;
  }
  case Opcode::Sync: // a barrier: the schedule already ordered around it
  case Opcode::End:
    break;
  }
}

void Simulator::dma(const Instr &in, uint8_t *data) {
  const TargetConfig &t = p.target;
  const detail::DmaBox box(in);
  const bool store = box.store;
  const Buf buf = box.buf;
  const WFmt fmt = box.fmt;
  const uint8_t *region =
      box.region == Region::Const ? p.constData.data() : data;
  const uint64_t sram = box.sram, ddr = box.ddr, n0 = box.n0, n1 = box.n1,
                 n2 = box.n2, s1 = box.s1, s2 = box.s2;
  uint32_t L = t.L, Q = t.Q;
  uint64_t unit = buf == Buf::FBuf   ? L
                  : buf == Buf::WBuf ? t.rowBytes(fmt)
                                     : t.paramEntryBytes();
  if (buf == Buf::FBuf) {
    // Runs of n0 vectors; large transfers on the threads when no two runs
    // write the same bytes (a LOAD's SRAM runs never do).
    uint64_t run = n0 * L, runs = n1 * n2;
    auto copy = [&](uint64_t r, uint64_t b, uint64_t e) {
      uint64_t at = ddr + (r / n1) * s2 + (r % n1) * s1 + b;
      int8_t *v = s.fbuf.data() + (sram + r * n0) * L + b;
      if (store)
        std::memcpy(data + at, v, e - b);
      else
        std::memcpy(v, region + at, e - b);
    };
    bool disjoint =
        !store || (n1 == 1 ? n2 == 1 || s2 >= run
                           : s1 >= run && (n2 == 1 || s2 >= (n1 - 1) * s1 + run));
    int64_t nt = runs * run >= kParallelDmaBytes && disjoint ? threads : 1;
    if (runs == 1) { // pieces of the one run
      int64_t pieces = std::clamp<int64_t>(int64_t(run / kDmaPieceBytes), 1,
                                           4 * nt);
      rk::parallelForRange(nt, pieces, [&](int64_t p0, int64_t p1) {
        copy(0, run * p0 / pieces, run * p1 / pieces);
      });
    } else {
      rk::parallelForRange(nt, int64_t(runs), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r)
          copy(uint64_t(r), 0, run);
      });
    }
    return;
  }
  for (uint64_t i2 = 0; i2 < n2; ++i2)
    for (uint64_t i1 = 0; i1 < n1; ++i1) {
      uint64_t runAt = ddr + i2 * s2 + i1 * s1;
      uint64_t a0 = sram + (i2 * n1 + i1) * n0;
      for (uint64_t i0 = 0; i0 < n0; ++i0) {
        const uint8_t *src = region + runAt + i0 * unit;
        uint64_t a = a0 + i0;
        if (buf == Buf::WBuf) {
          // WBUF loads come from CONST only (validated).
          s.wtag[a] = detail::makeWTag(runAt + i0 * unit, fmt);
          s.wcodeStale = true;
          continue;
        }
        for (uint32_t q = 0; q < Q; ++q) {
          s.bias[a * Q + q] = int32_t(
              uint32_t(src[4 * q]) | uint32_t(src[4 * q + 1]) << 8 |
              uint32_t(src[4 * q + 2]) << 16 | uint32_t(src[4 * q + 3]) << 24);
          s.outShift[a * Q + q] = int8_t(src[4 * Q + q]);
          s.actMin[a * Q + q] = int8_t(src[5 * Q + q]);
          s.actMax[a * Q + q] = int8_t(src[6 * Q + q]);
          s.aux[a * Q + q] = int8_t(src[7 * Q + q]);
        }
      }
    }
}

void Simulator::pool(const Instr &in) {
  uint32_t L = p.target.L;
  auto g = [&](Field f) { return int64_t(in.get(f)); };
  PoolMode mode = PoolMode(g(Field::Pool_mode));
  rk::Window2D w{g(Field::Pool_in_h),     g(Field::Pool_in_w),
                 g(Field::Pool_out_h),    g(Field::Pool_out_w),
                 g(Field::Pool_k_h),      g(Field::Pool_k_w),
                 g(Field::Pool_stride_h), g(Field::Pool_stride_w),
                 g(Field::Pool_dil_h),    g(Field::Pool_dil_w),
                 g(Field::Pool_pad_t),    g(Field::Pool_pad_l)};
  int64_t cb = g(Field::Pool_cb), plane = w.oh * w.ow * L;
  int64_t inAddr = g(Field::Pool_in_addr), inCs = g(Field::Pool_in_cstride),
          outAddr = g(Field::Pool_out_addr), outCs = g(Field::Pool_out_cstride);
  // Outputs that overlap the input are gathered first (in-place pooling
  // reads the old input); others go straight into FBUF, each band by the
  // thread that computed it.
  int64_t inLo = inAddr, inHi = inAddr + (cb - 1) * inCs + w.ih * w.iw,
          outLo = outAddr, outHi = outAddr + (cb - 1) * outCs + w.oh * w.ow;
  bool direct = cb == 0 || outHi <= inLo || inHi <= outLo;
  thread_local std::vector<int8_t> gathered;
  if (!direct && gathered.size() < uint64_t(cb) * plane)
    gathered.resize(uint64_t(cb) * plane);
  int8_t *outBuf = direct ? nullptr : gathered.data();
  auto outPlane = [&](int64_t b) {
    return direct ? s.fbuf.data() + (outAddr + b * outCs) * L
                  : outBuf + b * plane;
  };
  int64_t work = cb * plane * w.kh * w.kw;
  int64_t nt = work < (1 << 16) ? 1 : threads;
  // Tasks: bands of output rows of each block. A band is the window of its
  // rows alone: its first input row (or the padding above it) as row 0, so
  // every window, count and clip is the whole plane's.
  // (A band starting below the plane holds only windows without an element:
  // -128, or a sum of 0 whatever the count; its empty plane gives the same.)
  int64_t bands = std::min<int64_t>(w.oh, std::max<int64_t>(1, 4 * nt / cb));
  rk::parallelForTasks(nt, cb * bands, [&](int64_t task) {
    int64_t b = task / bands, band = task % bands;
    int64_t r0 = w.oh * band / bands, r1 = w.oh * (band + 1) / bands;
    rk::Window2D bw = w;
    int64_t top = r0 * w.sh - w.pt;
    bw.oh = r1 - r0;
    bw.pt = top < 0 ? -top : 0;
    top = std::max<int64_t>(top, 0);
    bw.ih = std::max<int64_t>(w.ih - top, 0);
    const int8_t *src =
        s.fbuf.data() + (inAddr + b * inCs + std::min(top, w.ih) * w.iw) * L;
    int8_t *dst = outPlane(b) + r0 * w.ow * L;
    rk::poolPlane(src, L, bw, mode == PoolMode::Max,
                  mode == PoolMode::AvgIncludePad, g(Field::Pool_pad_b),
                  g(Field::Pool_pad_r), dst);
  });
  if (!direct)
    for (int64_t b = 0; b < cb; ++b)
      std::memcpy(s.fbuf.data() + (outAddr + b * outCs) * L,
                  outBuf + b * plane, plane);
}

void addBlock(const TargetConfig &t, MachineState &s, uint64_t a,
              std::optional<uint64_t> b, uint64_t out, uint64_t n,
              uint64_t entry) {
  uint32_t L = t.L;
  uint64_t e = entry * t.Q;
  std::vector<int8_t> alignA(L), alignB(L);
  for (uint32_t c = 0; c < L; ++c) // aux: b's alignment, a's if < 0
    rk::addAlignments(s.aux[e + c], alignA[c], alignB[c]);
  rk::addRequant(s.fbuf.data() + a * L, b ? s.fbuf.data() + *b * L : nullptr,
                 int64_t(n), L, alignA.data(), alignB.data(),
                 s.outShift.data() + e, s.actMin.data() + e,
                 s.actMax.data() + e, s.fbuf.data() + out * L);
}

void Simulator::add(const Instr &in) {
  auto g = [&](Field f) { return uint64_t(in.get(f)); };
  for (uint64_t b = 0; b < g(Field::Add_cb); ++b)
    addBlock(p.target, s, g(Field::Add_a_addr) + b * g(Field::Add_a_cstride),
             g(Field::Add_unary)
                 ? std::nullopt
                 : std::optional<uint64_t>(g(Field::Add_b_addr) +
                                           b * g(Field::Add_b_cstride)),
             g(Field::Add_out_addr) + b * g(Field::Add_out_cstride),
             g(Field::Add_n), g(Field::Add_param_addr) + b);
}

} // namespace dlprt

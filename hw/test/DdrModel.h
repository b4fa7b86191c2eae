//===- DdrModel.h - Cycle-level DDR model of docs/rtl.md section 4 -*- C++ -*-===//
//
// The DDR port of dlp_core (and of dlp_dma) as a harness serves it: two
// byte regions (0 const, read-only; 1 data), B bytes per beat and latency
// T (dlprt::TargetConfig ddrBytesPerCycle / ddrLatencyCycles). Port-
// agnostic: the device's outputs of a cycle come in as plain values and a
// beat as 32-bit words (bit 8i of the words = bit 0 of byte i, as in a
// Verilated VlWide port); wordsToPort / portToWords copy between those
// words and a Verilated port of any width (VlWide<N> or an integral type).
// Header-only, no dependency on Verilator or on the runtime.
//
// Protocol (docs/rtl.md 4), cycle by cycle; step(outputs of cycle t) gives
// the inputs of cycle t + 1:
//   - a request (req_valid) is always accepted; it is checked at once: region
//     0 or 1, len >= 1, [addr, addr + len) inside the region, writes to the
//     data region only;
//   - read bursts are served in request order, beat k of a burst holding its
//     bytes [kB, min((k+1)B, len)) from bit 0, zero above; the first beat of
//     a burst comes T cycles after its request (its earliest cycle) or,
//     when the previous burst's beats are still going, right after them:
//     one beat per cycle, back to back. Bytes are read from the region when
//     the beat is produced;
//   - a write beat (wr_valid) belongs to the oldest write burst whose beats
//     are not all sent, requested in an EARLIER cycle; its bytes are
//     committed to the region in that cycle; bytes above the burst's length
//     in its last beat must be zero;
//   - wr_ack pulses T cycles after a write burst's last beat (in order).
// Any violation (a stray write beat, an access outside a region, nonzero
// padding) makes step() return false; error() says what, with the cycle.
//
// Usage per cycle t (the device's outputs depend on its inputs of cycle t):
//   apply `in` to the device's inputs, evaluate, fill `out` from its
//   outputs, ddr.step(out, in) (in now holds cycle t + 1's inputs), clock.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_HW_TEST_DDRMODEL_H
#define DLP_HW_TEST_DDRMODEL_H

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <type_traits>
#include <vector>

namespace dlphw {

class DdrModel {
public:
  /// The device's DDR outputs in one cycle.
  struct Outputs {
    bool reqValid = false, reqWrite = false;
    uint32_t reqRegion = 0;
    uint64_t reqAddr = 0, reqLen = 0;
    bool wrValid = false;
    /// beatWords() words of the write beat (read only when wrValid).
    const uint32_t *wrData = nullptr;
  };
  /// The device's DDR inputs in one cycle.
  struct Inputs {
    bool rdValid = false;
    std::vector<uint32_t> rdData; ///< beatWords() words, zero when !rdValid
    bool wrAck = false;
  };
  /// Counters since construction or reset().
  struct Stats {
    uint64_t readBursts = 0, writeBursts = 0, readBeats = 0, writeBeats = 0;
    uint64_t readBytes = 0, writeBytes = 0;
  };

  DdrModel(uint32_t bytesPerCycle, uint64_t latencyCycles)
      : B(bytesPerCycle), T(latencyCycles) {}
  /// From a config with ddrBytesPerCycle / ddrLatencyCycles
  /// (dlprt::TargetConfig); B must be a whole number of bytes.
  template <class Target> static DdrModel fromTarget(const Target &t) {
    return DdrModel(uint32_t(t.ddrBytesPerCycle), uint64_t(t.ddrLatencyCycles));
  }

  /// Region 0 const (read-only) and region 1 data. The bytes stay the
  /// caller's; they must outlive the model's use.
  void setConst(const uint8_t *bytes, uint64_t size) {
    constBytes = bytes;
    constSize = size;
  }
  void setData(uint8_t *bytes, uint64_t size) {
    dataBytes = bytes;
    dataSize = size;
  }

  uint32_t bytesPerBeat() const { return B; }
  uint64_t latency() const { return T; }
  unsigned beatWords() const { return (B + 3) / 4; }
  /// Inputs of the first cycle (nothing valid).
  Inputs idleInputs() const {
    Inputs in;
    in.rdData.assign(beatWords(), 0);
    return in;
  }

  /// Forgets every burst in flight, the error and the statistics; the next
  /// step() is cycle 0.
  void reset() {
    reads.clear();
    writes.clear();
    acks.clear();
    now = 0;
    readFree = 0;
    err.clear();
    stats = Stats();
  }

  /// One cycle: `out` holds the device's outputs of the current cycle;
  /// `next` receives the inputs of the next cycle. False (and error()) on a
  /// protocol violation; the model then stays failed.
  bool step(const Outputs &out, Inputs &next) {
    next.rdValid = false;
    next.wrAck = false;
    next.rdData.assign(beatWords(), 0);
    if (!err.empty())
      return false;
    // Write beat of this cycle: the oldest write burst requested earlier.
    if (out.wrValid) {
      if (writes.empty())
        return fail("write beat without a pending write burst");
      Burst &w = writes.front();
      uint64_t off = w.sent * B;
      uint64_t n = std::min<uint64_t>(B, w.len - off);
      for (uint64_t i = 0; i < B; ++i) {
        uint8_t byte = uint8_t(out.wrData[i / 4] >> (8 * (i % 4)));
        if (i < n)
          dataBytes[w.addr + off + i] = byte;
        else if (byte != 0)
          return fail("write beat byte " + std::to_string(i) +
                      " past the burst's " + std::to_string(w.len) +
                      " bytes is not zero");
      }
      ++w.sent;
      ++stats.writeBeats;
      stats.writeBytes += n;
      if (w.sent * B >= w.len) {
        acks.push_back(now + T);
        writes.pop_front();
      }
    }
    // Request of this cycle.
    if (out.reqValid) {
      if (out.reqRegion > 1)
        return fail("request to region " + std::to_string(out.reqRegion));
      if (out.reqLen == 0)
        return fail("request of 0 bytes");
      bool cnst = out.reqRegion == 0;
      uint64_t size = cnst ? constSize : dataSize;
      if (out.reqAddr > size || out.reqLen > size - out.reqAddr)
        return fail(std::string(out.reqWrite ? "write" : "read") +
                    " burst [" + std::to_string(out.reqAddr) + ", +" +
                    std::to_string(out.reqLen) + ") outside region " +
                    (cnst ? "const" : "data") + " of " +
                    std::to_string(size) + " bytes");
      if (out.reqWrite && cnst)
        return fail("write burst to region const");
      Burst b;
      b.region = out.reqRegion;
      b.addr = out.reqAddr;
      b.len = out.reqLen;
      b.due = now + T;
      if (out.reqWrite) {
        writes.push_back(b);
        ++stats.writeBursts;
      } else {
        reads.push_back(b);
        ++stats.readBursts;
      }
    }
    // Next cycle's read beat.
    uint64_t t1 = now + 1;
    if (!reads.empty() && T == 0)
      return fail("latency 0: a read beat cannot come in its request's cycle");
    if (!reads.empty() && reads.front().due <= t1 && readFree <= t1) {
      Burst &r = reads.front();
      uint64_t off = r.sent * B;
      uint64_t n = std::min<uint64_t>(B, r.len - off);
      const uint8_t *src = (r.region == 0 ? constBytes : dataBytes) + r.addr;
      for (uint64_t i = 0; i < n; ++i)
        next.rdData[i / 4] |= uint32_t(src[off + i]) << (8 * (i % 4));
      next.rdValid = true;
      readFree = t1 + 1;
      ++r.sent;
      ++stats.readBeats;
      stats.readBytes += n;
      if (r.sent * B >= r.len)
        reads.pop_front();
    }
    if (!acks.empty() && acks.front() == t1) {
      next.wrAck = true;
      acks.pop_front();
    }
    now = t1;
    return true;
  }

  /// No burst in flight and no acknowledgement due.
  bool idle() const { return reads.empty() && writes.empty() && acks.empty(); }
  /// Cycles stepped so far (the index of the cycle the next step() sees).
  uint64_t cycle() const { return now; }
  const std::string &error() const { return err; }
  const Stats &statistics() const { return stats; }

private:
  struct Burst {
    uint32_t region = 0;
    uint64_t addr = 0, len = 0, due = 0, sent = 0;
  };
  bool fail(const std::string &what) {
    err = "DDR model, cycle " + std::to_string(now) + ": " + what;
    return false;
  }

  uint32_t B;
  uint64_t T;
  const uint8_t *constBytes = nullptr;
  uint8_t *dataBytes = nullptr;
  uint64_t constSize = 0, dataSize = 0;
  std::deque<Burst> reads, writes;
  std::deque<uint64_t> acks; ///< cycles of the write acknowledgements
  uint64_t now = 0;
  uint64_t readFree = 0; ///< first cycle the next read beat may use
  std::string err;
  Stats stats;
};

/// Copies `words` 32-bit words into a port (VlWide<N>: word i = element i;
/// an integral port of at most 64 bits: word 0 low).
template <class Port>
void wordsToPort(Port &p, const uint32_t *w, unsigned words) {
  if constexpr (std::is_integral_v<Port>) {
    uint64_t v = 0;
    for (unsigned i = 0; i < words && i < 2; ++i)
      v |= uint64_t(w[i]) << (32 * i);
    p = Port(v);
  } else {
    for (unsigned i = 0; i < words; ++i)
      p[i] = w[i];
  }
}
/// The reverse: `words` words of a port into `w`.
template <class Port>
void portToWords(const Port &p, uint32_t *w, unsigned words) {
  if constexpr (std::is_integral_v<Port>) {
    uint64_t v = uint64_t(p);
    for (unsigned i = 0; i < words; ++i)
      w[i] = i < 2 ? uint32_t(v >> (32 * i)) : 0;
  } else {
    for (unsigned i = 0; i < words; ++i)
      w[i] = p[i];
  }
}

} // namespace dlphw

#endif // DLP_HW_TEST_DDRMODEL_H

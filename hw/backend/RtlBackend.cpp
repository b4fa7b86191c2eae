//===- RtlBackend.cpp - dlp-run on the Verilated RTL core -----------------===//
//
// One cycle of the harness (Verilator samples inputs at the rising edge):
// drive this cycle's inputs, evaluate with the clock low, read the core's
// outputs (fetch request, DDR request and write beat, host request, trace
// pulses), compute next cycle's inputs from them, then the rising edge.
//
//===----------------------------------------------------------------------===//

#include "RtlBackend.h"

#include "DdrModel.h"

#include "Vdlp_core.h"

#include "dlprt/HostOps.h"
#include "dlprt/Isa.h"
#include "dlprt/Simulator.h"
#include "dlprt/Target.h"

#include "llvm/Support/FormatVariadic.h"

#include <verilated.h>
#include <verilated_vcd_c.h>

#include <cstring>
#include <optional>
#include <pthread.h>
#include <vector>

using namespace llvm;
using namespace dlprt;

namespace dlp::rtl {

#ifndef DLP_RTL_CONFIG
#error "DLP_RTL_CONFIG (the config the RTL package was generated from) must be defined"
#endif

namespace {

/// Bytes <-> a Verilated wide port (little-endian words of 32 bits).
template <size_t N> void toWide(VlWide<N> &w, const uint8_t *bytes, size_t n) {
  for (size_t i = 0; i < N; ++i) {
    uint32_t v = 0;
    for (size_t b = 0; b < 4; ++b)
      if (4 * i + b < n)
        v |= uint32_t(bytes[4 * i + b]) << (8 * b);
    w[i] = v;
  }
}

template <size_t N> uint32_t word32(const VlWide<N> &w, size_t i) {
  return w[i];
}

Error fail(const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), msg);
}

} // namespace

struct RtlBackend::Impl {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vdlp_core> top;
  std::unique_ptr<VerilatedVcdC> vcd;
  WaveOptions wave;
  unsigned hostThreads = 1;
  std::vector<std::array<uint8_t, isa::kInstrBytes>> code;

  bool dumping = false; ///< the first image's window is being dumped

  /// Half a cycle; the waveform shows the first image's cycles [from, to)
  /// at 10 time units per cycle.
  void evalAt(uint64_t cycle, bool rising) {
    top->clk = rising;
    top->eval();
    if (dumping && cycle >= wave.from && (wave.to == 0 || cycle < wave.to))
      vcd->dump(cycle * 10 + (rising ? 5 : 0));
  }
};

const char *RtlBackend::builtTarget() { return DLP_RTL_CONFIG; }

RtlBackend::RtlBackend(const Program &p, std::unique_ptr<Impl> impl)
    : p(p), impl(std::move(impl)) {}
RtlBackend::~RtlBackend() {
  if (impl && impl->vcd)
    impl->vcd->close();
  if (impl && impl->top)
    impl->top->final();
}

Expected<std::unique_ptr<RtlBackend>>
RtlBackend::create(const Program &p, WaveOptions wave, unsigned hostThreads) {
  Expected<TargetConfig> built = loadTargetConfig(DLP_RTL_CONFIG);
  if (!built)
    return fail("the RTL model's config " + Twine(DLP_RTL_CONFIG) + ": " +
                toString(built.takeError()));
  if (built->fingerprint() != p.target.fingerprint())
    return fail(formatv("the RTL model was built for target '{0}' "
                        "(fingerprint 0x{1:x-16}, {2}); the binary was "
                        "compiled for '{3}' (0x{4:x-16}): rebuild the RTL "
                        "with that config's package or compile for '{0}'",
                        built->name, built->fingerprint(), DLP_RTL_CONFIG,
                        p.target.name, p.target.fingerprint())
                    .str());
  auto impl = std::make_unique<Impl>();
  impl->ctx = std::make_unique<VerilatedContext>();
  impl->ctx->traceEverOn(!wave.path.empty());
  impl->top = std::make_unique<Vdlp_core>(impl->ctx.get(), "dlp_core");
  impl->wave = std::move(wave);
  impl->hostThreads = hostThreads ? hostThreads : 1;
  if (!impl->wave.path.empty()) {
    impl->vcd = std::make_unique<VerilatedVcdC>();
    impl->top->trace(impl->vcd.get(), 99);
    impl->vcd->open(impl->wave.path.c_str());
    if (!impl->vcd->isOpen())
      return fail("cannot write the waveform " + impl->wave.path);
  }
  impl->code.resize(p.code.size());
  for (size_t i = 0; i < p.code.size(); ++i)
    isa::encode(p.code[i], impl->code[i].data());
  return std::unique_ptr<RtlBackend>(new RtlBackend(p, std::move(impl)));
}

Error RtlBackend::run(uint8_t *data) {
  // 256 MB of stack (reserved address space; pages are touched as used).
  constexpr size_t kEvalStackBytes = size_t(256) << 20;
  struct Call {
    RtlBackend *self;
    uint8_t *data;
    std::optional<Error> result;
  } call{this, data, std::nullopt};
  pthread_attr_t attr;
  pthread_t thread;
  bool started = pthread_attr_init(&attr) == 0 &&
                 pthread_attr_setstacksize(&attr, kEvalStackBytes) == 0 &&
                 pthread_create(
                     &thread, &attr,
                     [](void *arg) -> void * {
                       auto *c = static_cast<Call *>(arg);
                       c->result.emplace(c->self->runHere(c->data));
                       return nullptr;
                     },
                     &call) == 0;
  pthread_attr_destroy(&attr);
  if (!started)
    return fail("cannot start the RTL model's thread (" +
                Twine(kEvalStackBytes >> 20) + " MB of stack)");
  pthread_join(thread, nullptr);
  return std::move(*call.result);
}

Error RtlBackend::runHere(uint8_t *data) {
  Vdlp_core &m = *impl->top;
  // Costs from the cycle model (MAC slots, DDR bytes: what the profile
  // needs besides the times); the times are the RTL's.
  Expected<Timeline> model = cycleModel(p);
  if (!model)
    return model.takeError();
  tl = std::move(*model);
  uint64_t limit = 8 * tl.totalCycles + 1000000;
  for (InstrTime &t : tl.time)
    t = InstrTime{UINT64_MAX, UINT64_MAX};

  dlphw::DdrModel ddr = dlphw::DdrModel::fromTarget(p.target);
  ddr.setConst(p.constData.data(), p.constData.size());
  ddr.setData(data, touchedDataBytes(p));
  dlphw::DdrModel::Inputs din = ddr.idleInputs();
  std::vector<uint32_t> wrBeat(ddr.beatWords());

  // Reset, held until the core has cleared its buffers (one address per
  // cycle); the program's cycles count from its release. Only the first
  // image goes into the waveform.
  impl->dumping = false;
  uint64_t cycle = 0;
  m.rst_n = 0;
  m.if_valid = 0;
  m.ddr_rd_valid = 0;
  m.ddr_wr_ack = 0;
  m.host_done = 0;
  for (int i = 0; i < 2 || !m.clear_done; ++i) {
    impl->evalAt(0, false);
    impl->evalAt(0, true);
  }
  m.rst_n = 1;
  impl->dumping = impl->vcd && !dumped;
  dumped = true;

  bool fetchNext = false;
  uint32_t fetchAddr = 0;
  queueFull = 0;
  bool hostServed = false, hostDone = false;
  for (;; ++cycle) {
    // This cycle's inputs.
    m.host_done = hostDone;
    m.if_valid = fetchNext;
    if (fetchNext) {
      if (fetchAddr >= impl->code.size())
        return fail(formatv("RTL: fetch of instruction {0} past the end of "
                            "the code ({1} instructions) at cycle {2}",
                            fetchAddr, impl->code.size(), cycle)
                        .str());
      toWide(m.if_data, impl->code[fetchAddr].data(), isa::kInstrBytes);
    }
    m.ddr_rd_valid = din.rdValid;
    dlphw::wordsToPort(m.ddr_rd_data, din.rdData.data(), ddr.beatWords());
    m.ddr_wr_ack = din.wrAck;
    impl->evalAt(cycle, false);

    // Outputs of this cycle.
    if (m.error) {
      uint32_t at = m.error_index;
      const char *name =
          at < p.code.size()
              ? isa::opcodeInfo(p.code[at].opcodeValue())->mnemonic.data()
              : "?";
      return fail(formatv("RTL: the core stopped at instruction {0} ({1}): "
                          "{2}",
                          at, name,
                          m.error_code == 2
                              ? "its CSR stream gives a weight two non-zero "
                                "entries (the decoder keeps one per row and "
                                "channel) or more rows than the decoder holds"
                              : "no unit for its opcode in this RTL")
                      .str());
    }
    for (unsigned k = 0; k < 4; ++k) {
      if ((m.tr_start >> k) & 1) {
        uint32_t i = word32(m.tr_start_index, k);
        if (i < tl.time.size())
          tl.time[i].start = cycle;
      }
      if ((m.tr_end >> k) & 1) {
        uint32_t i = word32(m.tr_end_index, k);
        if (i < tl.time.size())
          tl.time[i].end = cycle + 1;
      }
    }
    fetchNext = m.if_req;
    fetchAddr = m.if_addr;
    queueFull += m.queue_full;
    dlphw::DdrModel::Outputs dout;
    dout.reqValid = m.ddr_req_valid;
    dout.reqWrite = m.ddr_req_write;
    dout.reqRegion = m.ddr_req_region;
    dout.reqAddr = m.ddr_req_addr;
    dout.reqLen = m.ddr_req_len;
    dout.wrValid = m.ddr_wr_valid;
    dlphw::portToWords(m.ddr_wr_data, wrBeat.data(), ddr.beatWords());
    dout.wrData = wrBeat.data();
    if (!ddr.step(dout, din))
      return fail("RTL: " + ddr.error());
    hostDone = false;
    if (m.host_req && !hostServed) {
      uint32_t seg = m.host_segment;
      if (seg >= p.host.size())
        return fail(formatv("RTL: HOST segment {0} of {1}", seg, p.host.size())
                        .str());
      runHostSegment(p, p.host[seg], data, impl->hostThreads);
      hostDone = true; // next cycle
      hostServed = true;
    } else if (!m.host_req) {
      hostServed = false;
    }
    bool finished = m.done;
    impl->evalAt(cycle, true);
    if (finished)
      break;
    if (cycle > limit)
      return fail(formatv("RTL: no END after {0} cycles (the cycle model "
                          "expects {1})",
                          cycle, tl.totalCycles)
                      .str());
  }
  if (impl->dumping)
    impl->vcd->flush();
  impl->dumping = false;
  // done rises the cycle after END's barrier ends: END ended at `cycle`.
  tl.totalCycles = cycle;
  for (size_t i = 0; i < tl.time.size(); ++i)
    if (tl.time[i].start == UINT64_MAX || tl.time[i].end == UINT64_MAX)
      return fail(formatv("RTL: instruction {0} ({1}) never {2}", i,
                          isa::opcodeInfo(p.code[i].opcodeValue())->mnemonic,
                          tl.time[i].start == UINT64_MAX ? "started"
                                                         : "ended")
                      .str());
  return Error::success();
}

} // namespace dlp::rtl

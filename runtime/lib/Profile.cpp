//===- Profile.cpp - Per-layer roofline profile and Chrome trace ----------===//
//
// docs/cycle-model.md section 4 (attribution, roofline) and 5 (trace).
//
//===----------------------------------------------------------------------===//

#include "dlprt/Profile.h"
#include "dlprt/Schedule.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"

#include <algorithm>

using namespace llvm;
using namespace dlprt::isa;

namespace dlprt {

const char *Profile::boundBy(const LayerProfile &l) const {
  if (l.macSlots == 0 && l.ddrBytes == 0)
    return "-";
  return computeBound(l) >= memoryBound(l) ? "compute" : "memory";
}

LayerProfile Profile::total() const {
  LayerProfile t;
  t.name = "total";
  for (const LayerProfile &l : layers) {
    t.macSlots += l.macSlots;
    t.ddrBytes += l.ddrBytes;
    t.cycles += l.cycles;
    t.instructions += l.instructions; // host: the layers say which
  }
  return t;
}

double Profile::layerBoundSum() const {
  double sum = 0;
  for (const LayerProfile &l : layers)
    sum += bound(l);
  return sum;
}

Profile buildProfile(const Program &p, const Timeline &tl) {
  Profile prof;
  prof.target = p.target.name;
  prof.L = p.target.L;
  prof.Q = p.target.Q;
  prof.pixels = p.target.pixels;
  prof.clockMHz = p.target.clockMHz;
  prof.ddrBytesPerCycle = p.target.ddrBytesPerCycle;
  prof.totalCycles = tl.totalCycles;
  prof.hostSegments = tl.hostSegments;
  const size_t n = p.code.size();
  // The first debug entry holding an instruction names its layer.
  std::vector<const std::string *> node(n, nullptr);
  for (const DebugEntry &e : p.debug)
    for (uint32_t i = e.begin; i < e.end && i < n; ++i)
      if (!node[i])
        node[i] = &e.node;
  StringMap<uint32_t> index;
  prof.layerOf.resize(n);
  for (size_t i = 0; i < n; ++i) {
    StringRef name = node[i] ? StringRef(*node[i]) : kUnmappedLayer;
    auto [it, fresh] = index.try_emplace(name, uint32_t(prof.layers.size()));
    if (fresh)
      prof.layers.push_back(LayerProfile{name.str()});
    LayerProfile &l = prof.layers[it->second];
    prof.layerOf[i] = it->second;
    ++l.instructions;
    l.macSlots += tl.cost[i].macSlots;
    l.ddrBytes += tl.cost[i].ddrBytes;
    l.host |= p.code[i].opcode() == Opcode::Host;
  }
  // Attribution: sweep the elementary intervals between all start / end
  // cycles; each queue's intervals are sorted and disjoint (in order).
  std::vector<uint32_t> queues[3];
  std::vector<uint64_t> cuts = {0, tl.totalCycles};
  for (size_t i = 0; i < n; ++i) {
    if (tl.cost[i].queue == Queue::Barrier ||
        tl.time[i].end == tl.time[i].start)
      continue;
    queues[size_t(tl.cost[i].queue)].push_back(uint32_t(i));
    cuts.push_back(tl.time[i].start);
    cuts.push_back(tl.time[i].end);
  }
  llvm::sort(cuts);
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  const Queue priority[3] = {Queue::Compute, Queue::Load, Queue::Store};
  size_t at[3] = {0, 0, 0};
  uint64_t idle = 0;
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    uint64_t a = cuts[k], len = cuts[k + 1] - a;
    bool charged = false;
    for (Queue q : priority) {
      std::vector<uint32_t> &list = queues[size_t(q)];
      size_t &j = at[size_t(q)];
      while (j < list.size() && tl.time[list[j]].end <= a)
        ++j;
      if (j < list.size() && tl.time[list[j]].start <= a) {
        prof.layers[prof.layerOf[list[j]]].cycles += len;
        charged = true;
        break;
      }
    }
    if (!charged)
      idle += len;
  }
  if (idle) {
    prof.layers.push_back(LayerProfile{kIdleLayer});
    prof.layers.back().cycles = idle;
  }
  return prof;
}

namespace {

void printRow(raw_ostream &os, const Profile &prof, const LayerProfile &l,
              size_t width) {
  double eff = l.cycles ? 100.0 * prof.bound(l) / double(l.cycles) : 0.0;
  os << left_justify(l.name, width)
     << format(" %14llu %12llu %12llu %12.0f", (unsigned long long)l.macSlots,
               (unsigned long long)l.ddrBytes, (unsigned long long)l.cycles,
               prof.bound(l))
     << format(" %7.1f  ", eff) << (l.host ? "host" : prof.boundBy(l)) << "\n";
}

} // namespace

void printProfile(raw_ostream &os, const Profile &prof) {
  size_t width = 24;
  for (const LayerProfile &l : prof.layers)
    width = std::max(width, l.name.size());
  os << "profile (cycle model, target " << prof.target << ", " << prof.L << "x"
     << prof.Q;
  if (prof.pixels > 1)
    os << "x" << prof.pixels;
  os << " array, " << format("%g", prof.clockMHz) << " MHz, "
     << format("%g", prof.ddrBytesPerCycle) << " DDR bytes/cycle)\n";
  os << left_justify("layer", width)
     << format(" %14s %12s %12s %12s %7s  %s\n", "MACs", "DDR bytes", "cycles",
               "bound", "eff %", "bound by");
  for (const LayerProfile &l : prof.layers)
    printRow(os, prof, l, width);
  printRow(os, prof, prof.total(), width);
  double seq = prof.layerBoundSum();
  os << "layers in sequence: bound " << format("%.0f", seq) << " cycles, eff "
     << format("%.1f", prof.totalCycles ? 100.0 * seq / double(prof.totalCycles)
                                        : 0.0)
     << " %\n";
  os << "latency " << format("%.2f", prof.latencyMicros()) << " us ("
     << prof.totalCycles << " cycles at " << format("%g", prof.clockMHz)
     << " MHz)";
  if (prof.hostSegments)
    os << "; " << prof.hostSegments
       << " host segment(s), host time not included";
  os << "\n";
}

json::Value profileToJSON(const Profile &prof) {
  auto layer = [&](const LayerProfile &l) {
    return json::Object{
        {"name", l.name},
        {"macs", int64_t(l.macSlots)},
        {"ddr_bytes", int64_t(l.ddrBytes)},
        {"cycles", int64_t(l.cycles)},
        {"instructions", int64_t(l.instructions)},
        {"compute_bound_cycles", prof.computeBound(l)},
        {"memory_bound_cycles", prof.memoryBound(l)},
        {"bound_cycles", prof.bound(l)},
        {"efficiency", l.cycles ? prof.bound(l) / double(l.cycles) : 0.0},
        {"bound_by", l.host ? "host" : prof.boundBy(l)},
    };
  };
  json::Array layers;
  for (const LayerProfile &l : prof.layers)
    layers.push_back(layer(l));
  return json::Object{
      {"target", prof.target},
      {"L", int64_t(prof.L)},
      {"Q", int64_t(prof.Q)},
      {"pixels", int64_t(prof.pixels)},
      {"clock_mhz", prof.clockMHz},
      {"ddr_bytes_per_cycle", prof.ddrBytesPerCycle},
      {"total_cycles", int64_t(prof.totalCycles)},
      {"latency_us", prof.latencyMicros()},
      {"host_segments", int64_t(prof.hostSegments)},
      {"layers", std::move(layers)},
      {"total", layer(prof.total())},
      {"layers_bound_cycles", prof.layerBoundSum()},
  };
}

void writeChromeTrace(raw_ostream &os, const Program &p, const Timeline &tl,
                      const Profile &prof) {
  const double mhz = prof.clockMHz;
  // HOST and SYNC get a fourth track (zero-length slices); END none.
  auto onBarrierTrack = [](const Instr &in) {
    return in.opcode() == Opcode::Host || in.opcode() == Opcode::Sync;
  };
  bool barriers = llvm::any_of(p.code, onBarrierTrack);
  json::OStream j(os);
  j.object([&] {
    j.attribute("displayTimeUnit", "ns");
    j.attributeObject("otherData", [&] {
      j.attribute("target", prof.target);
      j.attribute("clock_mhz", mhz);
      j.attribute("total_cycles", int64_t(prof.totalCycles));
    });
    j.attributeArray("traceEvents", [&] {
      j.object([&] {
        j.attribute("name", "process_name");
        j.attribute("ph", "M");
        j.attribute("pid", 1);
        j.attributeObject("args", [&] { j.attribute("name", "DLP"); });
      });
      for (Queue q :
           {Queue::Load, Queue::Compute, Queue::Store, Queue::Barrier}) {
        if (q == Queue::Barrier && !barriers)
          continue;
        j.object([&] {
          j.attribute("name", "thread_name");
          j.attribute("ph", "M");
          j.attribute("pid", 1);
          j.attribute("tid", int64_t(q) + 1);
          j.attributeObject("args", [&] { j.attribute("name", queueName(q)); });
        });
      }
      for (size_t i = 0; i < p.code.size(); ++i) {
        const InstrCost &c = tl.cost[i];
        if (c.queue == Queue::Barrier && !onBarrierTrack(p.code[i]))
          continue;
        const OpcodeInfo *info = opcodeInfo(p.code[i].opcodeValue());
        const std::string &layer = prof.layers[prof.layerOf[i]].name;
        j.object([&] {
          j.attribute("name", std::string(info->mnemonic) + " " + layer);
          j.attribute("cat", queueName(c.queue));
          j.attribute("ph", "X");
          j.attribute("pid", 1);
          j.attribute("tid", int64_t(c.queue) + 1);
          j.attribute("ts", double(tl.time[i].start) / mhz);
          j.attribute("dur", double(tl.time[i].end - tl.time[i].start) / mhz);
          j.attributeObject("args", [&] {
            j.attribute("instruction", int64_t(i));
            j.attribute("layer", layer);
            j.attribute("start_cycle", int64_t(tl.time[i].start));
            j.attribute("end_cycle", int64_t(tl.time[i].end));
            if (c.macSlots)
              j.attribute("macs", int64_t(c.macSlots));
            if (c.ddrBytes)
              j.attribute("ddr_bytes", int64_t(c.ddrBytes));
          });
        });
      }
    });
  });
}

} // namespace dlprt

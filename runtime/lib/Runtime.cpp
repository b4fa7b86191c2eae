//===- Runtime.cpp - Session: load, run a batch, read tensors -------------===//

#include "dlprt/Runtime.h"

#include "dlprt/HostOps.h"
#include "dlprt/Numerics.h"
#include "dlprt/Simulator.h"
#include "dlprt/kernels/Parallel.h"
#include "dlprt/kernels/Requant.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

using namespace llvm;

namespace dlprt {

std::vector<int64_t> stackedShape(ArrayRef<int64_t> shape, int64_t images) {
  std::vector<int64_t> s(shape.begin(), shape.end());
  if (!s.empty() && s[0] == 1)
    s[0] = images;
  else if (images > 1)
    s.insert(s.begin(), images);
  return s;
}

bool isConstantOutput(const Program &p, size_t i) {
  uint32_t t = p.outputs[i];
  return llvm::any_of(p.host, [&](const HostSegment &s) {
    return s.kind == HostOpKind::FloatConst && s.inputs.empty() &&
           llvm::is_contained(s.outputs, t);
  });
}

int64_t imagesIn(const TensorDesc &t, ArrayRef<int64_t> shape) {
  if (shape.empty() || shape.size() != t.shape.size() || t.shape[0] < 1 ||
      shape[0] < t.shape[0] || shape[0] % t.shape[0] ||
      !std::equal(shape.begin() + 1, shape.end(), t.shape.begin() + 1))
    return 0;
  return shape[0] / t.shape[0];
}

std::vector<int64_t> outputShape(const Program &p, size_t i, int64_t images) {
  const std::vector<int64_t> &shape = p.tensors[p.outputs[i]].shape;
  return isConstantOutput(p, i) ? shape : stackedShape(shape, images);
}

uint64_t logicalElements(const TensorDesc &t) {
  return uint64_t(t.C) * uint64_t(t.H) * uint64_t(t.W);
}

void quantizeInto(const TensorDesc &t, uint32_t L, const float *src,
                  uint8_t *data, unsigned threads) {
  if (t.isFloat()) {
    std::memcpy(data + t.ddrOffset, src, t.bytes(L));
    return;
  }
  // Row by row of each channel block (the bytes stay in cache), rows on
  // the threads: the row's vectors zeroed (padding lanes), then each
  // channel's lane written.
  int64_t blocks = (t.C + L - 1) / L;
  kernels::parallelForRange(threads, blocks * t.H, [&](int64_t r0, int64_t r1) {
    std::vector<int8_t> row(size_t(t.W));
    for (int64_t r = r0; r < r1; ++r) {
      int64_t c0 = r / t.H * L, y = r % t.H;
      uint8_t *d = data + blockedOffset(t, L, c0, y, 0);
      std::memset(d, 0, size_t(t.W) * L);
      for (int64_t c = c0; c < std::min<int64_t>(t.C, c0 + L); ++c) {
        kernels::quantizeRow(src + (c * t.H + y) * t.W, t.W,
                             t.frac[c / t.fracBlock], row.data());
        for (int64_t x = 0; x < t.W; ++x)
          d[x * L + (c - c0)] = uint8_t(row[x]);
      }
    }
  });
}

void dequantizeFrom(const TensorDesc &t, uint32_t L, const uint8_t *data,
                    float *dst) {
  if (t.isFloat()) {
    std::memcpy(dst, data + t.ddrOffset, t.bytes(L));
    return;
  }
  for (int64_t c = 0; c < t.C; ++c) {
    int f = t.frac[c / t.fracBlock];
    for (int64_t y = 0; y < t.H; ++y)
      for (int64_t x = 0; x < t.W; ++x)
        *dst++ = float(
            num::dequantize(int8_t(data[blockedOffset(t, L, c, y, x)]), f));
  }
}

std::string dumpFileName(StringRef tensorName) {
  std::string s = tensorName.str();
  for (char &c : s)
    if (!isAlnum(c) && c != '_' && c != '-' && c != '.')
      c = '_';
  return s;
}

Session::Session(Program p) : prog(std::move(p)) {}
Session::~Session() = default;

Expected<std::unique_ptr<Session>> Session::load(StringRef path,
                                                 const TargetConfig *expected) {
  // Read into a buffer the program then owns (its const region is moved,
  // not copied): a binary's bytes are held once while loading.
  auto fail = [&](std::error_code ec) {
    return createStringError(ec, "%s: cannot read: %s", path.str().c_str(),
                             ec.message().c_str());
  };
  Expected<sys::fs::file_t> fd = sys::fs::openNativeFileForRead(path);
  if (!fd)
    return fail(errorToErrorCode(fd.takeError()));
  std::vector<uint8_t> bytes;
  sys::fs::file_status st;
  std::error_code ec = sys::fs::status(*fd, st);
  if (!ec && st.type() != sys::fs::file_type::regular_file) {
    sys::fs::closeFile(*fd);
    return createStringError(std::errc::invalid_argument,
                             "%s: cannot read: not a regular file",
                             path.str().c_str());
  }
  if (!ec) {
    bytes.resize(st.getSize());
    size_t done = 0;
    while (!ec && done < bytes.size()) {
      Expected<size_t> n = sys::fs::readNativeFile(
          *fd, MutableArrayRef<char>(reinterpret_cast<char *>(bytes.data()) +
                                         done,
                                     bytes.size() - done));
      if (!n)
        ec = errorToErrorCode(n.takeError());
      else if (*n == 0)
        bytes.resize(done); // the file shrank
      else
        done += *n;
    }
  }
  sys::fs::closeFile(*fd);
  if (ec)
    return fail(ec);
  Expected<std::unique_ptr<Session>> s = [&]()
      -> Expected<std::unique_ptr<Session>> {
    Expected<Program> p = readBinary(std::move(bytes), expected);
    if (!p)
      return p.takeError();
    return create(std::move(*p));
  }();
  if (!s)
    return createStringError(inconvertibleErrorCode(), "%s: %s",
                             path.str().c_str(),
                             toString(s.takeError()).c_str());
  return s;
}

Expected<std::unique_ptr<Session>>
Session::loadBytes(ArrayRef<uint8_t> bytes, const TargetConfig *expected) {
  Expected<Program> p = readBinary(bytes, expected);
  if (!p)
    return p.takeError();
  return create(std::move(*p));
}

Expected<std::unique_ptr<Session>> Session::create(Program validated) {
  std::unique_ptr<Session> s(new Session(std::move(validated)));
  // readBinary validated the program: the simulator does not again.
  Expected<std::unique_ptr<Simulator>> sim =
      Simulator::create(s->prog, /*validated=*/true);
  if (!sim)
    return sim.takeError();
  s->sim = std::move(*sim);
  s->dataBytes = touchedDataBytes(s->prog);
  s->zeroBeforeRun = dataReadBeforeWritten(s->prog, s->sim->schedule());
  // DLPRT_PACK_INPUTS=0 keeps every input in DDR (tests compare both).
  const char *env = std::getenv("DLPRT_PACK_INPUTS");
  s->packedSeg = env && std::string(env) == "0"
                     ? std::vector<int64_t>(s->prog.inputs.size(), -1)
                     : packedInputs(s->prog, s->sim->schedule());
  if (llvm::any_of(s->packedSeg, [](int64_t h) { return h >= 0; })) {
    auto skip = std::make_shared<std::vector<char>>(s->prog.host.size());
    for (int64_t h : s->packedSeg)
      if (h >= 0)
        (*skip)[size_t(h)] = 1;
    s->sim->skipHostSegments(std::move(skip));
  }
  return s;
}

Backend::~Backend() = default;

void Session::setBackend(std::unique_ptr<Backend> b) {
  backend = std::move(b);
  // The simulator's machines and their regions are not used again.
  machines.clear();
  regions.clear();
  packedValues.clear();
  lastRegion = -1;
}

std::vector<const TensorDesc *> Session::inputs() const {
  std::vector<const TensorDesc *> out;
  for (uint32_t i : prog.inputs)
    out.push_back(&prog.tensors[i]);
  return out;
}

std::vector<const TensorDesc *> Session::outputs() const {
  std::vector<const TensorDesc *> out;
  for (uint32_t i : prog.outputs)
    out.push_back(&prog.tensors[i]);
  return out;
}

Error Session::run(int64_t batch, ArrayRef<const float *> in,
                   ArrayRef<float *> out, unsigned numThreads) {
  if (batch < 1)
    return createStringError(inconvertibleErrorCode(),
                             "batch %lld must be >= 1", (long long)batch);
  if (in.size() != prog.inputs.size() || out.size() != prog.outputs.size())
    return createStringError(inconvertibleErrorCode(),
                             "the program has %zu inputs and %zu outputs, "
                             "given %zu and %zu",
                             prog.inputs.size(), prog.outputs.size(), in.size(),
                             out.size());
  // One DDR data region per machine, zeroed.
  auto addRegion = [&]() -> Error {
    void *mem = std::calloc(std::max<uint64_t>(dataBytes, 1), 1);
    if (!mem)
      return createStringError(std::errc::not_enough_memory,
                               "cannot allocate %llu bytes of DDR data",
                               (unsigned long long)dataBytes);
    regions.emplace_back(static_cast<uint8_t *>(mem), std::free);
    return Error::success();
  };
  // Image `img` on `data` (zero but where an earlier image ran, `dirty`):
  // quantize the inputs in, execute, dequantize the outputs (a constant
  // one from the first image only).
  uint32_t L = prog.target.L;
  std::vector<char> constant(out.size());
  for (size_t i = 0; i < out.size(); ++i)
    constant[i] = isConstantOutput(prog, i);
  // `threads`: for the zeroing and the quantization.
  // `region`: the simulator's region index (its inputs packed where
  // packedSeg says), -1 on the backend.
  auto runImage = [&](int64_t img, uint8_t *data, int region, bool dirty,
                      unsigned threads,
                      function_ref<Error(uint8_t *)> execute) -> Error {
    if (dirty && !backend) {
      // The simulator runs in schedule order: only what it may read before
      // writing needs zeroing (dataReadBeforeWritten).
      for (auto [b, e] : zeroBeforeRun)
        kernels::parallelCopy(data + b, nullptr, e - b, threads);
    } else if (dirty) {
      // The inputs' bytes are all written below: zero the rest.
      std::vector<std::pair<uint64_t, uint64_t>> inputs;
      for (size_t i = 0; i < in.size(); ++i) {
        const TensorDesc &d = prog.tensors[prog.inputs[i]];
        inputs.push_back({d.ddrOffset, d.ddrOffset + d.bytes(L)});
      }
      std::sort(inputs.begin(), inputs.end());
      uint64_t at = 0;
      for (auto [b, e] : inputs) {
        if (b > at)
          kernels::parallelCopy(data + at, nullptr,
                                std::min(b, dataBytes) - at, threads);
        at = std::max(at, std::min(e, dataBytes));
      }
      if (at < dataBytes)
        kernels::parallelCopy(data + at, nullptr, dataBytes - at, threads);
    }
    for (size_t i = 0; i < in.size(); ++i) {
      const TensorDesc &d = prog.tensors[prog.inputs[i]];
      const float *src = in[i] + img * logicalElements(d);
      if (region < 0 || packedSeg[i] < 0) {
        quantizeInto(d, L, src, data, threads);
        continue;
      }
      std::vector<int8_t> &q = packedValues[size_t(region)][i];
      q.resize(logicalElements(d));
      kernels::parallelForRange(
          threads, d.C * d.H, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r)
              kernels::quantizeRow(src + r * d.W, d.W,
                                   d.frac[r / d.H / d.fracBlock],
                                   q.data() + r * d.W);
          });
      packTapsFromInt8(prog, prog.host[size_t(packedSeg[i])], q.data(), data,
                       threads);
    }
    if (Error e = execute(data))
      return e;
    for (size_t i = 0; i < out.size(); ++i) {
      const TensorDesc &d = prog.tensors[prog.outputs[i]];
      if (!constant[i] || img == 0)
        dequantizeFrom(d, L, data, out[i] + img * logicalElements(d));
    }
    return Error::success();
  };
  if (backend) {
    if (regions.empty())
      if (Error e = addRegion())
        return e;
    for (int64_t img = 0; img < batch; ++img)
      if (Error e = runImage(img, regions[0].get(), -1, true, 1,
                             [&](uint8_t *data) {
            return backend->run(data);
          }))
        return createStringError(inconvertibleErrorCode(), "image %lld: %s",
                                 (long long)img, toString(std::move(e)).c_str());
    lastRegion = 0;
    return Error::success();
  }
  if (numThreads == 0)
    numThreads = std::max(1u, std::thread::hardware_concurrency());
  // One image per thread; a batch smaller than the threads shares them out
  // to the kernels of each image.
  unsigned threads = unsigned(std::min<int64_t>(numThreads, batch));
  unsigned kernelThreads = std::max(1u, numThreads / threads);
  while (machines.size() < threads) {
    machines.push_back(sim->clone());
    if (Error e = addRegion())
      return e;
    packedValues.emplace_back(prog.inputs.size());
  }
  for (unsigned t = 0; t < threads; ++t)
    machines[t]->setNumThreads(kernelThreads);
  auto worker = [&](unsigned t) {
    for (int64_t img = t; img < batch; img += threads)
      // Machine t and region t are made together: before the machine's
      // first run the region is still calloc's zeros.
      cantFail(runImage(img, regions[t].get(), int(t), machines[t]->hasRun(),
                        kernelThreads, [&](uint8_t *data) {
                          machines[t]->run(data);
                          return Error::success();
                        }));
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(worker, t);
  worker(0);
  for (std::thread &th : pool)
    th.join();
  lastRegion = int((batch - 1) % threads);
  return Error::success();
}

Expected<std::vector<float>> Session::lastImageTensor(size_t index) const {
  if (lastRegion < 0)
    return createStringError(inconvertibleErrorCode(),
                             "no run yet: no tensor to read");
  if (index >= prog.tensors.size())
    return createStringError(inconvertibleErrorCode(),
                             "tensor index %zu out of range (%zu tensors)",
                             index, prog.tensors.size());
  const TensorDesc &d = prog.tensors[index];
  std::vector<float> v(logicalElements(d));
  // A packed input's values are not in DDR (packedSeg).
  for (size_t i = 0; i < prog.inputs.size(); ++i)
    if (!backend && prog.inputs[i] == index && packedSeg[i] >= 0) {
      const std::vector<int8_t> &q = packedValues[size_t(lastRegion)][i];
      for (int64_t c = 0; c < d.C; ++c) {
        int f = d.frac[c / d.fracBlock];
        for (int64_t k = c * d.H * d.W; k < (c + 1) * d.H * d.W; ++k)
          v[size_t(k)] = float(num::dequantize(q[size_t(k)], f));
      }
      return v;
    }
  dequantizeFrom(d, prog.target.L, regions[lastRegion].get(), v.data());
  return v;
}

} // namespace dlprt

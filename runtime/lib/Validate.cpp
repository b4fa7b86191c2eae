//===- Validate.cpp - Static checks of a DLP program (isa.md "Validity") --===//
//
// validateProgram: the target, tensors, I/O, host segments, every
// instruction's fields and every address it can touch, the constant weight
// rows and parameter entries it loads, and the token protocol. Address
// arithmetic is done in 128 bits, so no field value can wrap it.
//
//===----------------------------------------------------------------------===//

#include "dlprt/Program.h"
#include "dlprt/Schedule.h"

#include "ValidateImpl.h"
#include "dlprt/HostOps.h"
#include "dlprt/Numerics.h"

#include "llvm/ADT/Twine.h"

using namespace llvm;
using namespace dlprt::isa;

namespace dlprt {

using detail::u128;

namespace {

Error tensorError(size_t i, const TensorDesc &t, const Twine &msg) {
  return createStringError(inconvertibleErrorCode(),
                           "section TENSORS: record %zu ('%s'): %s", i,
                           t.name.c_str(), msg.str().c_str());
}

Error checkTensor(const Program &p, size_t i) {
  const TensorDesc &t = p.tensors[i];
  const int64_t maxDim = int64_t(1) << 31;
  for (auto [v, what] : {std::pair{t.C, "C"}, {t.H, "H"}, {t.W, "W"}})
    if (v < 1 || v > maxDim)
      return tensorError(
          i, t, Twine(what) + " = " + Twine(v) + " out of range [1, 2^31]");
  u128 bytes = t.isFloat()
                   ? u128(uint64_t(t.C)) * uint64_t(t.H) * uint64_t(t.W) * 4
                   : u128((uint64_t(t.C) + p.target.L - 1) / p.target.L) *
                         uint64_t(t.H) * uint64_t(t.W) * p.target.L;
  if (u128(t.ddrOffset) + bytes > p.dataBytes)
    return tensorError(
        i, t,
        "bytes [" + Twine(t.ddrOffset) + ", +" + Twine(uint64_t(bytes)) +
            ") exceed DDR region data (" + Twine(p.dataBytes) + " bytes)");
  if (t.shape.empty() || t.shape.size() > 8)
    return tensorError(i, t,
                       "rank " + Twine(t.shape.size()) + " (expected 1 to 8)");
  u128 elems = 1;
  for (int64_t d : t.shape) {
    if (d < 1 || d > maxDim)
      return tensorError(
          i, t, "logical dimension " + Twine(d) + " out of range [1, 2^31]");
    elems *= uint64_t(d);
    if (elems > u128(UINT64_MAX))
      break;
  }
  u128 storage = u128(uint64_t(t.C)) * uint64_t(t.H) * uint64_t(t.W);
  if (elems != storage)
    return tensorError(i, t,
                       "logical shape has a different element count "
                       "than storage C x H x W = " +
                           Twine(t.C) + " x " + Twine(t.H) + " x " +
                           Twine(t.W));
  if (t.isFloat()) {
    if (!t.frac.empty() || t.fracBlock != 1 || t.H != 1 || t.W != 1)
      return tensorError(i, t,
                         "a float32 tensor has storage C x 1 x 1, frac "
                         "block 1 and no frac bits");
    return Error::success();
  }
  if (t.fracBlock < 1 || t.fracBlock > t.C)
    return tensorError(
        i, t, "frac block " + Twine(t.fracBlock) + " out of range [1, C]");
  uint64_t want = (uint64_t(t.C) + t.fracBlock - 1) / uint64_t(t.fracBlock);
  if (t.frac.size() != want)
    return tensorError(i, t,
                       Twine(t.frac.size()) +
                           " frac entries, expected "
                           "ceil(C / frac block) = " +
                           Twine(want));
  for (int32_t f : t.frac)
    if (f < num::kMinFrac || f > num::kMaxFrac)
      return tensorError(i, t,
                         "frac bits " + Twine(f) + " out of range [-32, 31]");
  return Error::success();
}

Error checkIO(const Program &p) {
  for (auto [list, what] :
       {std::pair{&p.inputs, "input"}, {&p.outputs, "output"}})
    for (size_t i = 0; i < list->size(); ++i)
      if ((*list)[i] >= p.tensors.size())
        return createStringError(inconvertibleErrorCode(),
                                 "section IO: %s %zu: tensor index %u out of "
                                 "range (%zu tensors)",
                                 what, i, (*list)[i], p.tensors.size());
  return Error::success();
}

Error checkDebug(const Program &p) {
  for (size_t i = 0; i < p.debug.size(); ++i)
    if (p.debug[i].begin > p.debug[i].end || p.debug[i].end > p.code.size())
      return createStringError(inconvertibleErrorCode(),
                               "section DEBUG: record %zu ('%s'): range [%u, "
                               "%u) outside the %zu instructions",
                               i, p.debug[i].node.c_str(), p.debug[i].begin,
                               p.debug[i].end, p.code.size());
  return Error::success();
}

} // namespace

Error validateProgram(const Program &p) {
  // The target must be one parseTargetConfig accepts (an in-memory program
  // may carry any struct).
  Expected<TargetConfig> t =
      parseTargetConfig(p.target.toJSON(), "program target");
  if (!t)
    return t.takeError();
  if (p.dataBytes > kMaxDataBytes)
    return createStringError(inconvertibleErrorCode(),
                             "section MEMORY: data size %llu exceeds the "
                             "runtime's limit %llu",
                             (unsigned long long)p.dataBytes,
                             (unsigned long long)kMaxDataBytes);
  for (size_t i = 0; i < p.tensors.size(); ++i)
    if (Error e = checkTensor(p, i))
      return e;
  if (Error e = checkIO(p))
    return e;
  for (size_t i = 0; i < p.host.size(); ++i)
    if (Error e = checkHostSegment(p, i))
      return e;
  if (Error e = checkDebug(p))
    return e;
  if (p.code.empty())
    return createStringError(inconvertibleErrorCode(),
                             "section CODE: no instructions (END missing)");
  for (size_t i = 0; i < p.code.size(); ++i)
    if (Error e = detail::checkInstr(p, i))
      return e;
  Expected<std::vector<uint32_t>> order = tokenSchedule(p.code);
  if (!order)
    return order.takeError();
  return Error::success();
}

} // namespace dlprt

//===- ImporterContext.cpp - ONNX importer node helpers -------------------===//

#include "ImporterContext.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

using namespace mlir;
using namespace dlp::onnximport;
using onnx::TensorProto;

//===----------------------------------------------------------------------===//
// ConstTensor
//===----------------------------------------------------------------------===//

bool ConstTensor::isInteger() const {
  switch (dtype) {
  case TensorProto::INT64:
  case TensorProto::INT32:
  case TensorProto::INT16:
  case TensorProto::INT8:
  case TensorProto::UINT8:
  case TensorProto::UINT16:
  case TensorProto::UINT32:
  case TensorProto::UINT64:
  case TensorProto::BOOL:
    return true;
  default:
    return false;
  }
}

int64_t ConstTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

std::shared_ptr<ConstTensor>
ConstTensor::fromInts(ArrayRef<int64_t> dims, std::vector<int64_t> values) {
  auto t = std::make_shared<ConstTensor>();
  t->dtype = TensorProto::INT64;
  t->dims.assign(dims.begin(), dims.end());
  t->ints = std::move(values);
  return t;
}

std::shared_ptr<ConstTensor>
ConstTensor::fromFloats(ArrayRef<int64_t> dims, std::vector<float> values) {
  auto t = std::make_shared<ConstTensor>();
  t->dtype = TensorProto::FLOAT;
  t->dims.assign(dims.begin(), dims.end());
  auto storage = std::make_shared<std::vector<float>>(std::move(values));
  t->floats = *storage;
  t->owner = storage;
  return t;
}

int64_t dlp::onnximport::broadcastOffset(ArrayRef<int64_t> s,
                                         ArrayRef<int64_t> out, int64_t i) {
  int64_t off = 0, stride = 1;
  for (int64_t d = int64_t(out.size()) - 1, sd = int64_t(s.size()) - 1;
       d >= 0; --d, --sd) {
    int64_t idx = i % out[d];
    i /= out[d];
    if (sd >= 0) {
      if (s[sd] != 1)
        off += idx * stride;
      stride *= s[sd];
    }
  }
  return off;
}

std::string dlp::onnximport::dtypeName(int32_t dtype) {
  if (TensorProto::DataType_IsValid(dtype))
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(dtype));
  return "dtype#" + std::to_string(dtype);
}

/// Reads little-endian fixed-size integers from raw_data.
template <typename T>
static void readRawInts(const std::string &raw, std::vector<int64_t> &out) {
  size_t n = raw.size() / sizeof(T);
  out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<int64_t>(v);
  }
}

std::string dlp::onnximport::decodeTensor(TensorProto &proto,
                                          ConstTensor &out) {
  out.dtype = proto.data_type();
  out.dims.assign(proto.dims().begin(), proto.dims().end());
  for (int64_t d : out.dims)
    if (d < 0)
      return "tensor '" + proto.name() + "' has a negative dimension";
  if (proto.data_location() == TensorProto::EXTERNAL)
    return "tensor '" + proto.name() +
           "' uses external data, which is not supported";
  int64_t n = out.numElements();
  bool hasRaw = proto.has_raw_data();
  switch (out.dtype) {
  case TensorProto::FLOAT: {
    if (hasRaw) {
      if (proto.raw_data().size() != static_cast<size_t>(n) * 4)
        return "tensor '" + proto.name() + "' holds " +
               std::to_string(proto.raw_data().size()) + " bytes, expected " +
               std::to_string(n * 4);
      // Move the bytes out of the protobuf: no copy of large weights.
      auto bytes = std::make_shared<std::string>(
          std::move(*proto.mutable_raw_data()));
      proto.clear_raw_data();
      out.floats = ArrayRef<float>(
          reinterpret_cast<const float *>(bytes->data()), n);
      out.owner = bytes;
    } else {
      if (proto.float_data_size() != n)
        return "tensor '" + proto.name() + "' holds " +
               std::to_string(proto.float_data_size()) +
               " floats, expected " + std::to_string(n);
      auto storage = std::make_shared<std::vector<float>>(
          proto.float_data().begin(), proto.float_data().end());
      out.floats = *storage;
      out.owner = storage;
    }
    return {};
  }
  case TensorProto::INT64:
    if (hasRaw)
      readRawInts<int64_t>(proto.raw_data(), out.ints);
    else
      out.ints.assign(proto.int64_data().begin(), proto.int64_data().end());
    break;
  case TensorProto::UINT32: // ONNX keeps non-raw uint32 in uint64_data
  case TensorProto::UINT64: // (values past INT64_MAX wrap)
    if (hasRaw && out.dtype == TensorProto::UINT32)
      readRawInts<uint32_t>(proto.raw_data(), out.ints);
    else if (hasRaw)
      readRawInts<uint64_t>(proto.raw_data(), out.ints);
    else
      out.ints.assign(proto.uint64_data().begin(), proto.uint64_data().end());
    break;
  case TensorProto::INT32:
  case TensorProto::INT16:
  case TensorProto::INT8:
  case TensorProto::UINT8:
  case TensorProto::UINT16:
  case TensorProto::BOOL:
    if (hasRaw) {
      switch (out.dtype) {
      case TensorProto::INT32:
        readRawInts<int32_t>(proto.raw_data(), out.ints);
        break;
      case TensorProto::INT16:
        readRawInts<int16_t>(proto.raw_data(), out.ints);
        break;
      case TensorProto::INT8:
        readRawInts<int8_t>(proto.raw_data(), out.ints);
        break;
      case TensorProto::UINT16:
        readRawInts<uint16_t>(proto.raw_data(), out.ints);
        break;
      default:
        readRawInts<uint8_t>(proto.raw_data(), out.ints);
        break;
      }
    } else {
      out.ints.assign(proto.int32_data().begin(), proto.int32_data().end());
    }
    break;
  case TensorProto::DOUBLE: {
    // Only small double constants (e.g. Clip bounds) are meaningful; they
    // are narrowed to float32 like every other float in the nn dialect.
    std::vector<float> vals;
    if (hasRaw) {
      size_t cnt = proto.raw_data().size() / 8;
      for (size_t i = 0; i < cnt; ++i) {
        double v;
        std::memcpy(&v, proto.raw_data().data() + i * 8, 8);
        vals.push_back(static_cast<float>(v));
      }
    } else {
      for (double v : proto.double_data())
        vals.push_back(static_cast<float>(v));
    }
    if (static_cast<int64_t>(vals.size()) != n)
      return "tensor '" + proto.name() + "' has the wrong element count";
    auto c = ConstTensor::fromFloats(out.dims, std::move(vals));
    out = *c;
    return {};
  }
  default:
    return "tensor '" + proto.name() + "' has unsupported element type " +
           dtypeName(out.dtype);
  }
  if (static_cast<int64_t>(out.ints.size()) != n)
    return "tensor '" + proto.name() + "' holds " +
           std::to_string(out.ints.size()) + " elements, expected " +
           std::to_string(n);
  return {};
}

//===----------------------------------------------------------------------===//
// GraphState
//===----------------------------------------------------------------------===//

FailureOr<Value> GraphState::materialize(StringRef name, Slot &slot,
                                         Location loc) {
  if (slot.value)
    return slot.value;
  ConstTensor &c = *slot.constant;
  if (!c.isFloat())
    return emitError(loc) << "tensor '" << name << "' of type "
                          << dtypeName(c.dtype)
                          << " is used as data; the nn dialect computes in "
                             "float32 only";
  auto type = RankedTensorType::get(c.dims, builder.getF32Type());
  if (!c.materialized) {
    // Hand the bytes to a resource blob that keeps `owner` alive.
    auto *keep = new std::shared_ptr<void>(c.owner);
    ArrayRef<char> bytes(reinterpret_cast<const char *>(c.floats.data()),
                         c.floats.size() * sizeof(float));
    AsmResourceBlob blob(
        bytes, alignof(float),
        [keep](void *, size_t, size_t) { delete keep; },
        /*dataIsMutable=*/false);
    std::string key = name.str();
    for (char &ch : key)
      if (!llvm::isAlnum(ch) && ch != '_' && ch != '.')
        ch = '_';
    c.materialized =
        DenseResourceElementsAttr::get(type, key, std::move(blob));
  }
  slot.value = arith::ConstantOp::create(constBuilder, loc, type,
                                         cast<TypedAttr>(c.materialized));
  return slot.value;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

Location NodeContext::makeLoc() {
  return NameLoc::get(b.getStringAttr(name),
                      FileLineColLoc::get(g.ctx, g.sourceName, 0, 0));
}

Location NodeContext::partLoc(StringRef part) {
  return NameLoc::get(b.getStringAttr(name + "/" + part.str()),
                      FileLineColLoc::get(g.ctx, g.sourceName, 0, 0));
}

InFlightDiagnostic NodeContext::error() {
  return emitError(loc) << "node '" << name << "' (" << node.op_type()
                        << ", opset " << g.opset << "): ";
}

FailureOr<Value> NodeContext::input(int i) {
  if (!hasInput(i))
    return error() << "missing required input #" << i;
  auto it = g.slots.find(node.input(i));
  if (it == g.slots.end())
    return error() << "input '" << node.input(i) << "' is not defined";
  return g.materialize(node.input(i), it->second, loc);
}

FailureOr<Value> NodeContext::floatInput(int i) {
  std::shared_ptr<ConstTensor> c = constInput(i);
  if (!c || !c->isInteger())
    return input(i);
  if (c->hasSymbolicBatch())
    return error() << "input #" << i << " depends on the dynamic batch; pin "
                   << "it with --input-shape NAME=D0xD1x... (dlpc, dlp-eval)";
  std::string key = node.input(i) + ".as_f32";
  Slot &slot = g.slots[key];
  if (!slot.constant && !slot.value)
    slot.constant = ConstTensor::fromFloats(
        c->dims, std::vector<float>(c->ints.begin(), c->ints.end()));
  return g.materialize(key, slot, loc);
}

FailureOr<Value> NodeContext::floatConstant(StringRef suffix,
                                           ArrayRef<int64_t> dims,
                                           std::vector<float> values) {
  std::string key = name + "." + suffix.str();
  Slot &slot = g.slots[key];
  if (!slot.constant && !slot.value)
    slot.constant = ConstTensor::fromFloats(dims, std::move(values));
  return g.materialize(key, slot, loc);
}

std::shared_ptr<ConstTensor> NodeContext::constInput(int i) {
  if (!hasInput(i))
    return nullptr;
  auto it = g.slots.find(node.input(i));
  return it == g.slots.end() ? nullptr : it->second.constant;
}

FailureOr<SmallVector<int64_t>>
NodeContext::constInts(int i, StringRef what, bool allowBatch) {
  std::shared_ptr<ConstTensor> c = constInput(i);
  if (!c)
    return error() << what << " (input #" << i
                   << ") must be a constant known at import time";
  if (!c->isInteger())
    return error() << what << " must be an integer tensor, found "
                   << dtypeName(c->dtype);
  if (!allowBatch && c->hasSymbolicBatch())
    return error() << what << " depends on the dynamic batch (Shape of a "
                   << "tensor with a dynamic axis 0); pin it with "
                   << "--input-shape NAME=D0xD1x... (dlpc, dlp-eval)";
  return SmallVector<int64_t>(c->ints.begin(), c->ints.end());
}

FailureOr<double> NodeContext::constScalar(int i, StringRef what) {
  std::shared_ptr<ConstTensor> c = constInput(i);
  if (!c)
    return error() << what << " (input #" << i
                   << ") must be a constant known at import time";
  if (c->numElements() != 1)
    return error() << what << " must be a scalar, found "
                   << c->numElements() << " elements";
  return c->at(0);
}

const onnx::AttributeProto *NodeContext::attr(StringRef attrName) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == attrName)
      return &a;
  return nullptr;
}

int64_t NodeContext::attrInt(StringRef attrName, int64_t dflt) const {
  const onnx::AttributeProto *a = attr(attrName);
  return a ? a->i() : dflt;
}

float NodeContext::attrFloat(StringRef attrName, float dflt) const {
  const onnx::AttributeProto *a = attr(attrName);
  return a ? a->f() : dflt;
}

std::string NodeContext::attrString(StringRef attrName,
                                    StringRef dflt) const {
  const onnx::AttributeProto *a = attr(attrName);
  return a ? a->s() : dflt.str();
}

SmallVector<int64_t> NodeContext::attrInts(StringRef attrName) const {
  const onnx::AttributeProto *a = attr(attrName);
  if (!a)
    return {};
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

LogicalResult NodeContext::checkAttrs(ArrayRef<StringRef> known) {
  for (const onnx::AttributeProto &a : node.attribute())
    if (!llvm::is_contained(known, StringRef(a.name())))
      return error() << "attribute '" << a.name() << "' is not supported";
  return success();
}

FailureOr<int64_t> NodeContext::normAxis(int64_t axis, int64_t rank,
                                         StringRef what) {
  if (axis < -rank || axis >= rank)
    return error() << what << " " << axis << " is out of range for rank "
                   << rank;
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>> NodeContext::normAxes(ArrayRef<int64_t> axes,
                                                      int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    FailureOr<int64_t> n = normAxis(a, rank);
    if (failed(n))
      return failure();
    out.push_back(*n);
  }
  llvm::sort(out);
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    return error() << "axes name an axis twice";
  return out;
}

FailureOr<Value> NodeContext::finishInference(Operation *op) {
  SmallVector<std::string> messages;
  SmallVector<Type> types;
  LogicalResult ok = success();
  {
    ScopedDiagnosticHandler capture(g.ctx, [&](Diagnostic &d) {
      messages.push_back(d.str());
      return success();
    });
    auto iface = cast<InferTypeOpInterface>(op);
    ok = iface.inferReturnTypes(g.ctx, op->getLoc(), op->getOperands(),
                                op->getRawDictionaryAttrs(),
                                op->getPropertiesStorage(), op->getRegions(),
                                types);
    if (succeeded(ok)) {
      op->getResult(0).setType(types[0]);
      ok = mlir::verify(op, /*verifyRecursively=*/false);
    }
  }
  if (failed(ok)) {
    op->erase();
    InFlightDiagnostic d = error();
    if (messages.empty())
      d << "cannot infer the result type";
    llvm::interleave(messages, [&](const std::string &m) { d << m; },
                     [&] { d << "; "; });
    return failure();
  }
  return op->getResult(0);
}

void NodeContext::setOutput(int i, Value v) {
  if (i < node.output_size() && !node.output(i).empty())
    g.slots[node.output(i)] = Slot{v, nullptr};
}

void NodeContext::setOutput(int i, std::shared_ptr<ConstTensor> c) {
  if (i < node.output_size() && !node.output(i).empty())
    g.slots[node.output(i)] = Slot{Value(), std::move(c)};
}

//===- ImporterContext.h - State shared by the ONNX importer ----*- C++ -*-===//
//
// Internal to lib/Import/ONNX. `GraphState` maps ONNX value names to MLIR
// values or import-time constants; `NodeContext` is what one table builder
// sees: typed access to the node's inputs and attributes, op creation with
// result-type inference that reports failures as node diagnostics, and
// output binding.
//
//===----------------------------------------------------------------------===//
#ifndef DLP_LIB_IMPORT_ONNX_IMPORTERCONTEXT_H
#define DLP_LIB_IMPORT_ONNX_IMPORTERCONTEXT_H

#include "NN/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlp::onnximport {

/// A tensor whose value is known at import time: an initializer, a Constant
/// node, or the result of folding a shape subgraph.
/// The value `Shape` folds a dynamic batch (axis 0) extent to: copied by
/// Gather / Concat / Unsqueeze / Squeeze / Slice / Cast like any integer,
/// accepted by Reshape as "copy the input's axis 0" (its 0 rule), refused
/// by every other consumer and by shape arithmetic with a message that
/// says to pin it with --input-shape.
constexpr int64_t kSymbolicBatch = INT64_MIN + 7;

struct ConstTensor {
  int32_t dtype = onnx::TensorProto::UNDEFINED;
  llvm::SmallVector<int64_t> dims;
  /// Decoded values for integer/bool tensors.
  std::vector<int64_t> ints;
  /// Float32 data, in place (points into `owner` or into the protobuf).
  llvm::ArrayRef<float> floats;
  /// Keeps `floats` alive when it was moved out of the protobuf or computed.
  std::shared_ptr<void> owner;
  /// The dense_resource attribute once materialized (shared by all users).
  mlir::ElementsAttr materialized;

  bool isFloat() const { return dtype == onnx::TensorProto::FLOAT; }
  bool isInteger() const;
  /// Whether an integer element is the dynamic batch (kSymbolicBatch).
  bool hasSymbolicBatch() const {
    return std::find(ints.begin(), ints.end(), kSymbolicBatch) != ints.end();
  }
  int64_t numElements() const;
  /// Element `i` as a double (any supported dtype).
  double at(int64_t i) const {
    return isFloat() ? static_cast<double>(floats[i])
                     : static_cast<double>(ints[i]);
  }
  static std::shared_ptr<ConstTensor> fromInts(llvm::ArrayRef<int64_t> dims,
                                               std::vector<int64_t> values);
  static std::shared_ptr<ConstTensor> fromFloats(llvm::ArrayRef<int64_t> dims,
                                                 std::vector<float> values);
};

/// Offset into a tensor of shape `s` (aligned at the end of `out`, size-1
/// axes repeating) of the row-major element `i` of `out`.
int64_t broadcastOffset(llvm::ArrayRef<int64_t> s, llvm::ArrayRef<int64_t> out,
                        int64_t i);

/// Folds fn(values) over integer constants with numpy broadcasting; null
/// when an operand is not an integer constant (or is the dynamic batch) or
/// the shapes do not broadcast.
template <typename Fn>
std::shared_ptr<ConstTensor>
foldInts(llvm::ArrayRef<std::shared_ptr<ConstTensor>> in, Fn fn) {
  llvm::SmallVector<int64_t, 6> out;
  for (const auto &c : in) {
    if (!c || !c->isInteger() || c->hasSymbolicBatch())
      return nullptr;
    size_t rank = std::max(out.size(), c->dims.size());
    llvm::SmallVector<int64_t, 6> next(rank, 1);
    for (size_t d = 0; d < rank; ++d) {
      int64_t a = d + out.size() >= rank ? out[d + out.size() - rank] : 1;
      int64_t b = d + c->dims.size() >= rank ? c->dims[d + c->dims.size() - rank]
                                             : 1;
      if (a != b && a != 1 && b != 1)
        return nullptr;
      next[d] = a == 1 ? b : a;
    }
    out = next;
  }
  int64_t n = 1;
  for (int64_t d : out)
    n *= d;
  std::vector<int64_t> v(n);
  llvm::SmallVector<int64_t, 3> args(in.size());
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < in.size(); ++k)
      args[k] = in[k]->ints[broadcastOffset(in[k]->dims, out, i)];
    v[i] = fn(llvm::ArrayRef<int64_t>(args));
  }
  return ConstTensor::fromInts(out, std::move(v));
}

/// Decodes a TensorProto into a ConstTensor. Float32 `raw_data` is moved out
/// of the proto (no copy). Returns an error string on unsupported dtypes or
/// inconsistent sizes.
std::string decodeTensor(onnx::TensorProto &proto, ConstTensor &out);

std::string dtypeName(int32_t dtype);

/// What an ONNX value name is bound to.
struct Slot {
  mlir::Value value;
  std::shared_ptr<ConstTensor> constant;
};

struct GraphState {
  mlir::MLIRContext *ctx;
  mlir::OpBuilder builder;
  /// Constants are created at the top of the entry block, in order.
  mlir::OpBuilder constBuilder;
  llvm::StringMap<Slot> slots;
  std::string sourceName;
  int opset = 0;

  GraphState(mlir::MLIRContext *ctx) : ctx(ctx), builder(ctx), constBuilder(ctx) {}

  /// Returns the SSA value for a slot, materializing constants as
  /// `arith.constant` (float: dense_resource blob; integer: not allowed).
  mlir::FailureOr<mlir::Value> materialize(llvm::StringRef name, Slot &slot,
                                           mlir::Location loc);
};

class NodeContext {
public:
  NodeContext(GraphState &g, const onnx::NodeProto &node, std::string name)
      : g(g), node(node), name(std::move(name)), b(g.builder),
        loc(makeLoc()) {}

  GraphState &g;
  const onnx::NodeProto &node;
  /// node.name(), or "<OpType>#<index>" for unnamed nodes.
  std::string name;
  mlir::OpBuilder &b;
  mlir::Location loc;

  int opset() const { return g.opset; }
  mlir::MLIRContext *ctx() const { return g.ctx; }

  /// Emits "node 'NAME' (OpType, opset N): " followed by the message.
  mlir::InFlightDiagnostic error();
  /// The node's inputs; an empty name is an omitted optional input.
  int numInputs() const { return node.input_size(); }
  bool hasInput(int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  /// Value of input `i` (constants are materialized).
  mlir::FailureOr<mlir::Value> input(int i);
  /// Value of input `i` where an integer / bool constant is taken as float
  /// data: it is converted to a float constant of its own (named
  /// "<input>.as_f32"; other users, e.g. shapes, keep the integers).
  mlir::FailureOr<mlir::Value> floatInput(int i);
  /// Import-time constant of input `i`, or null.
  std::shared_ptr<ConstTensor> constInput(int i);
  /// A float constant the node's decomposition needs, named after the node
  /// ("<node>.<suffix>"), materialized as an `arith.constant`.
  mlir::FailureOr<mlir::Value> floatConstant(llvm::StringRef suffix,
                                             llvm::ArrayRef<int64_t> dims,
                                             std::vector<float> values);
  /// Integer vector from a constant input; diagnoses when not constant.
  /// A value that depends on the dynamic batch (kSymbolicBatch) is refused
  /// unless `allowBatch`.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  constInts(int i, llvm::StringRef what, bool allowBatch = false);
  /// Scalar from a constant input; diagnoses when not constant/scalar.
  mlir::FailureOr<double> constScalar(int i, llvm::StringRef what);

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t attrInt(llvm::StringRef name, int64_t dflt) const;
  float attrFloat(llvm::StringRef name, float dflt) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef dflt) const;
  llvm::SmallVector<int64_t> attrInts(llvm::StringRef name) const;
  /// Diagnoses attributes outside `known` (an unknown attribute changes
  /// semantics we do not model).
  mlir::LogicalResult checkAttrs(llvm::ArrayRef<llvm::StringRef> known);

  /// Type helpers.
  static llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
    return mlir::cast<mlir::RankedTensorType>(v.getType()).getShape();
  }
  mlir::FloatAttr f32(double v) { return b.getF32FloatAttr(v); }
  mlir::DenseI64ArrayAttr i64s(llvm::ArrayRef<int64_t> v) {
    return b.getDenseI64ArrayAttr(v);
  }
  /// Normalizes axis into [0, rank) or diagnoses.
  mlir::FailureOr<int64_t> normAxis(int64_t axis, int64_t rank,
                                    llvm::StringRef what = "axis");
  /// normAxis of each, sorted; diagnoses an axis named twice.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  normAxes(llvm::ArrayRef<int64_t> axes, int64_t rank);

  /// Creates `OpTy` with a placeholder result type, infers the real one and
  /// either fixes it up or erases the op and re-emits the inference
  /// diagnostic with the node's context.
  template <typename OpTy, typename... Args>
  mlir::FailureOr<mlir::Value> create(Args &&...args) {
    auto placeholder = mlir::RankedTensorType::get({}, b.getF32Type());
    auto op = OpTy::create(b, loc, placeholder, std::forward<Args>(args)...);
    return finishInference(op.getOperation());
  }

  /// As create, for an intermediate op of a node imported as several: its
  /// location (the name its layer, calibration entry and dumps go by) is
  /// "<node>/<part>", so that its range is not mixed with the result's.
  template <typename OpTy, typename... Args>
  mlir::FailureOr<mlir::Value> createPart(llvm::StringRef part,
                                          Args &&...args) {
    mlir::Location saved = loc;
    loc = partLoc(part);
    mlir::FailureOr<mlir::Value> v = create<OpTy>(std::forward<Args>(args)...);
    loc = saved;
    return v;
  }
  mlir::Location partLoc(llvm::StringRef part);

  /// Binds output `i` (empty names are skipped).
  void setOutput(int i, mlir::Value v);
  void setOutput(int i, std::shared_ptr<ConstTensor> c);

private:
  mlir::Location makeLoc();
  mlir::FailureOr<mlir::Value> finishInference(mlir::Operation *op);
};

using NodeBuilder = mlir::LogicalResult (*)(NodeContext &);

struct OpTableEntry {
  llvm::StringLiteral opType;
  int minOpset;
  int maxOpset;
  NodeBuilder build;
};

/// The table, split by topic over several files.
llvm::ArrayRef<OpTableEntry> tensorOpTable();    // conv, pool, norm, matmul
llvm::ArrayRef<OpTableEntry> elementwiseOpTable(); // activations, arithmetic
llvm::ArrayRef<OpTableEntry> shapeOpTable();     // reshape, slice, pad, ...
llvm::ArrayRef<OpTableEntry> foldOpTable();      // constant-only shape ops
llvm::ArrayRef<OpTableEntry> reduceLogicOpTable(); // reduce, compare, where
llvm::ArrayRef<OpTableEntry> resampleOpTable();  // resize, expand, split

/// Looks up `opType` at `opset`; null when unsupported.
const OpTableEntry *lookupOp(llvm::StringRef opType, int opset);

} // namespace dlp::onnximport

#endif // DLP_LIB_IMPORT_ONNX_IMPORTERCONTEXT_H

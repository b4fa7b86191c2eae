//===- ONNXImporter.cpp - ONNX model to nn dialect ------------------------===//
//
// Loads and validates the ModelProto (checker, strict shape inference; both
// throw, so this file is built with -fexceptions), then walks the graph in
// topological order dispatching every node through the op table.
//
//===----------------------------------------------------------------------===//

#include "dlp/Import/ONNX/ONNXImporter.h"
#include "ModelReader.h"
#include "ImporterContext.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <unistd.h>

using namespace mlir;
using namespace dlp;
using namespace dlp::onnximport;

//===----------------------------------------------------------------------===//
// Op table
//===----------------------------------------------------------------------===//

static const std::vector<OpTableEntry> &fullTable() {
  static const std::vector<OpTableEntry> table = [] {
    std::vector<OpTableEntry> t;
    for (auto part : {tensorOpTable(), elementwiseOpTable(), shapeOpTable(),
                      foldOpTable(), reduceLogicOpTable(), resampleOpTable()})
      t.insert(t.end(), part.begin(), part.end());
    std::sort(t.begin(), t.end(), [](const auto &a, const auto &b) {
      return a.opType < b.opType ||
             (a.opType == b.opType && a.minOpset < b.minOpset);
    });
    return t;
  }();
  return table;
}

const OpTableEntry *dlp::onnximport::lookupOp(StringRef opType, int opset) {
  for (const OpTableEntry &e : fullTable())
    if (e.opType == opType && e.minOpset <= opset && opset <= e.maxOpset)
      return &e;
  return nullptr;
}

ArrayRef<ONNXOpSupport> dlp::getSupportedONNXOps() {
  static const std::vector<ONNXOpSupport> ops = [] {
    std::vector<ONNXOpSupport> r;
    for (const OpTableEntry &e : fullTable()) {
      if (!r.empty() && r.back().opType == e.opType) {
        r.back().minOpset = std::min(r.back().minOpset, e.minOpset);
        r.back().maxOpset = std::max(r.back().maxOpset, e.maxOpset);
        continue;
      }
      bool foldOnly = e.opType == "Shape" ||
                      e.opType == "ConstantOfShape";
      r.push_back({e.opType, e.minOpset, e.maxOpset, foldOnly});
    }
    return r;
  }();
  return ops;
}

//===----------------------------------------------------------------------===//
// Graph import
//===----------------------------------------------------------------------===//

namespace {
/// Converts a graph input/output TypeProto into a tensor type.
FailureOr<RankedTensorType> convertType(const onnx::ValueInfoProto &info,
                                        Location loc, StringRef what,
                                        bool integerOk = false) {
  if (!info.type().has_tensor_type())
    return emitError(loc) << what << " '" << info.name()
                          << "' is not a tensor (sequence/map/optional types "
                             "are not supported)";
  const auto &tt = info.type().tensor_type();
  bool integer = tt.elem_type() == onnx::TensorProto::INT64 ||
                 tt.elem_type() == onnx::TensorProto::INT32;
  if (tt.elem_type() != onnx::TensorProto::FLOAT && !(integerOk && integer))
    return emitError(loc) << what << " '" << info.name() << "' has element type "
                          << dtypeName(tt.elem_type())
                          << "; only float32 is supported";
  if (!tt.has_shape())
    return emitError(loc) << what << " '" << info.name()
                          << "' has no shape (rank must be known)";
  SmallVector<int64_t> dims;
  for (const auto &d : tt.shape().dim())
    dims.push_back(d.has_dim_value() && d.dim_value() >= 0
                       ? d.dim_value()
                       : ShapedType::kDynamic);
  return RankedTensorType::get(dims, Float32Type::get(loc.getContext()));
}

std::string supportedList() {
  std::string s;
  for (const ONNXOpSupport &op : getSupportedONNXOps()) {
    if (!s.empty())
      s += ", ";
    s += op.opType.str();
  }
  return s;
}

std::string nodeName(const onnx::NodeProto &node, int index) {
  return node.name().empty() ? node.op_type() + "#" + std::to_string(index)
                             : node.name();
}

OwningOpRef<ModuleOp> importModel(onnx::ModelProto &model, StringRef source,
                                  MLIRContext *ctx,
                                  const ONNXImportOptions &options) {
  ctx->loadDialect<nn::NNDialect, func::FuncDialect, arith::ArithDialect>();
  Location fileLoc = FileLineColLoc::get(ctx, source, 0, 0);

  if (model.ir_version() <= 0 || !model.has_graph())
    return emitError(fileLoc) << "not an ONNX model: "
                              << (model.has_graph() ? "no ir_version"
                                                    : "no graph"),
           nullptr;

  int opset = -1;
  for (const auto &imp : model.opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = static_cast<int>(imp.version());
  if (opset < 0)
    return emitError(fileLoc) << "model imports no opset of the default ONNX "
                                 "domain",
           nullptr;
  if (opset < kMinONNXOpset || opset > kMaxONNXOpset)
    return emitError(fileLoc) << "model uses opset " << opset
                              << "; supported opsets are " << kMinONNXOpset
                              << " through " << kMaxONNXOpset,
           nullptr;

  // Every node must be in the table before anything else is attempted.
  const onnx::GraphProto &graph = model.graph();
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    if (!defaultDomain || !lookupOp(node.op_type(), opset))
      return emitError(NameLoc::get(StringAttr::get(ctx, nodeName(node, i)),
                                    fileLoc))
                 << "node '" << nodeName(node, i) << "': unsupported op '"
                 << (defaultDomain ? "" : node.domain() + "::")
                 << node.op_type() << "' at opset " << opset
                 << "; supported ops: " << supportedList(),
             nullptr;
  }

  // --input-shape: pin graph input dimensions before the checker and shape
  // inference, so that shape subgraphs of dynamic dimensions fold.
  for (const auto &[name, dims] : options.inputShapes) {
    onnx::ValueInfoProto *in = nullptr;
    std::string names;
    for (onnx::ValueInfoProto &vi : *model.mutable_graph()->mutable_input()) {
      bool isInit = false;
      for (const onnx::TensorProto &t : graph.initializer())
        isInit |= t.name() == vi.name();
      if (isInit)
        continue;
      names += (names.empty() ? "" : ", ") + vi.name();
      if (vi.name() == name)
        in = &vi;
    }
    if (!in)
      return emitError(fileLoc) << "--input-shape names '" << name
                                << "', which is not a graph input (inputs: "
                                << names << ")",
             nullptr;
    if (!in->type().has_tensor_type() ||
        !in->type().tensor_type().has_shape() ||
        in->type().tensor_type().shape().dim_size() != int(dims.size()))
      return emitError(fileLoc)
                 << "--input-shape gives input '" << name << "' "
                 << dims.size() << " dimensions; the model declares "
                 << (in->type().tensor_type().has_shape()
                         ? std::to_string(
                               in->type().tensor_type().shape().dim_size())
                         : std::string("no shape")),
             nullptr;
    auto *shape = in->mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int i = 0; i < shape->dim_size(); ++i) {
      onnx::TensorShapeProto::Dimension *d = shape->mutable_dim(i);
      if (d->has_dim_value() && d->dim_value() != dims[i])
        return emitError(fileLoc)
                   << "--input-shape gives input '" << name << "' extent "
                   << dims[i] << " on axis " << i << "; the model fixes it at "
                   << d->dim_value(),
               nullptr;
      d->set_dim_value(dims[i]);
    }
  }

  if (options.runChecker) {
    try {
      onnx::checker::check_model(model);
    } catch (const std::exception &e) {
      return emitError(fileLoc) << "ONNX checker rejected the model: "
                                << e.what(),
             nullptr;
    }
  }
  if (options.runShapeInference) {
    try {
      onnx::ShapeInferenceOptions siOptions(/*check_type=*/true,
                                            /*error_mode=*/1);
      onnx::shape_inference::InferShapes(
          model, onnx::OpSchemaRegistry::Instance(), siOptions);
    } catch (const std::exception &e) {
      return emitError(fileLoc) << "ONNX shape inference failed: " << e.what(),
             nullptr;
    }
  }

  OpBuilder topBuilder(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  GraphState g(ctx);
  g.sourceName = source.str();
  g.opset = opset;

  // Initializers first: they are constants, even if listed as inputs.
  onnx::GraphProto *mgraph = model.mutable_graph();
  for (onnx::TensorProto &init : *mgraph->mutable_initializer()) {
    auto c = std::make_shared<ConstTensor>();
    if (std::string err = decodeTensor(init, *c); !err.empty())
      return emitError(fileLoc) << "initializer: " << err, nullptr;
    g.slots[init.name()] = Slot{Value(), std::move(c)};
  }

  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    if (g.slots.count(in.name()))
      continue;
    FailureOr<RankedTensorType> t = convertType(in, fileLoc, "graph input");
    if (failed(t))
      return nullptr;
    argTypes.push_back(*t);
    argNames.push_back(in.name());
  }

  topBuilder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(topBuilder, fileLoc, options.functionName,
                                   topBuilder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    g.slots[name] = Slot{entry->getArgument(i), nullptr};
    func.setArgAttr(i, "onnx.name", topBuilder.getStringAttr(name));
  }
  g.builder.setInsertionPointToEnd(entry);
  g.constBuilder.setInsertionPointToStart(entry);

  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    NodeContext nc(g, node, nodeName(node, i));
    const OpTableEntry *entryRow = lookupOp(node.op_type(), opset);
    if (failed(entryRow->build(nc)))
      return nullptr;
    for (const std::string &out : node.output())
      if (!out.empty() && !g.slots.count(out))
        return nc.error() << "output '" << out << "' was not produced",
               nullptr;
  }

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    auto it = g.slots.find(out.name());
    if (it == g.slots.end())
      return emitError(fileLoc) << "graph output '" << out.name()
                                << "' is not produced by any node",
             nullptr;
    FailureOr<Value> v = g.materialize(out.name(), it->second, fileLoc);
    if (failed(v))
      return nullptr;
    // The declared output type should agree with what we computed. Where
    // it does not, the computed one stands, as in onnxruntime: exporters
    // write shape inference's sizes, which for a ceil-mode pool whose last
    // window would start in the padding count a window torch and
    // onnxruntime drop.
    // An integer output (ArgMax's indices) is computed in float32, exact
    // for integers up to 2^24, and written as such.
    FailureOr<RankedTensorType> declared =
        convertType(out, fileLoc, "graph output", /*integerOk=*/true);
    if (failed(declared))
      return nullptr;
    if (out.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT)
      emitWarning(fileLoc) << "graph output '" << out.name() << "' has element type "
                           << dtypeName(out.type().tensor_type().elem_type())
                           << "; its values are computed and written as "
                              "float32";
    auto ours = cast<RankedTensorType>(v->getType());
    bool agree = ours.getRank() == declared->getRank();
    for (int64_t d = 0; agree && d < ours.getRank(); ++d)
      agree = ShapedType::isDynamic(declared->getDimSize(d)) ||
              ShapedType::isDynamic(ours.getDimSize(d)) ||
              declared->getDimSize(d) == ours.getDimSize(d);
    if (!agree)
      emitWarning(fileLoc) << "graph output '" << out.name()
                           << "' is declared as " << *declared
                           << " but computes " << ours
                           << "; the computed type is used";
    results.push_back(*v);
  }
  func::ReturnOp::create(g.builder, fileLoc, results);
  func.setType(topBuilder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "onnx.name", topBuilder.getStringAttr(out.name()));
  return module;
}
} // namespace

OwningOpRef<ModuleOp> dlp::importONNXBuffer(StringRef bytes,
                                            StringRef sourceName,
                                            MLIRContext *context,
                                            const ONNXImportOptions &options) {
  onnx::ModelProto model;
  google::protobuf::io::ArrayInputStream stream(bytes.data(),
                                                static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  if (!model.ParseFromCodedStream(&coded) ||
      !coded.ConsumedEntireMessage())
    return emitError(FileLineColLoc::get(context, sourceName, 0, 0))
               << "not a valid ONNX model: the protobuf cannot be parsed "
                  "(truncated or not an ONNX file)",
           nullptr;
  return importModel(model, sourceName, context, options);
}

OwningOpRef<ModuleOp> dlp::importONNXFile(StringRef path,
                                          MLIRContext *context,
                                          const ONNXImportOptions &options) {
  Location loc = FileLineColLoc::get(context, path, 0, 0);
  int fd = -1;
  if (std::error_code ec = llvm::sys::fs::openFileForRead(path, fd))
    return emitError(loc) << "cannot open '" << path << "': " << ec.message(),
           nullptr;
  onnx::ModelProto model;
  bool parsed = readONNXModel(fd, model);
  ::close(fd);
  if (!parsed)
    return emitError(loc) << "not a valid ONNX model: the protobuf cannot be "
                             "parsed (truncated or not an ONNX file)",
           nullptr;
  return importModel(model, path, context, options);
}

void dlp::registerONNXImportTranslation() {
  static TranslateToMLIRRegistration reg(
      "import-onnx", "import an ONNX model into the nn dialect",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *ctx) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buf =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        return importONNXBuffer(buf->getBuffer(), buf->getBufferIdentifier(),
                                ctx);
      },
      [](DialectRegistry &registry) {
        registry.insert<nn::NNDialect, func::FuncDialect,
                        arith::ArithDialect>();
      });
}

std::string dlp::parseInputShape(
    StringRef spec, std::pair<std::string, std::vector<int64_t>> &out) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty() || !spec.contains('='))
    return "--input-shape '" + spec.str() +
           "': expected NAME=D0xD1x... (e.g. input=1x3x224x224)";
  out.first = name.str();
  out.second.clear();
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t v;
    if (p.getAsInteger(10, v) || v < 1)
      return "--input-shape '" + spec.str() + "': extent '" + p.str() +
             "' is not an integer >= 1";
    out.second.push_back(v);
  }
  return "";
}

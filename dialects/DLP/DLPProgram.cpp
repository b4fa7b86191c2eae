//===- DLPProgram.cpp - dlp.program <-> dlprt::Program --------------------===//

#include "DLP/DLPProgram.h"
#include "dlp/Support/Constants.h"

#include "mlir/IR/Location.h"

using namespace mlir;
using namespace dlp::device;
namespace risa = dlprt::isa;

std::string dlp::device::locationName(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location l : fused.getLocations())
      if (auto n = dyn_cast<NameLoc>(l))
        return n.getName().str();
    return "";
  }
  if (auto n = dyn_cast<NameLoc>(loc))
    return n.getName().str();
  return "";
}

risa::Instr dlp::device::encodeInstruction(Operation *op) {
  risa::Opcode opc = *opcodeOf(op);
  uint8_t tokens = 0;
  static const uint8_t bits[] = {risa::PopPrev, risa::PopNext, risa::PushPrev,
                                 risa::PushNext};
  for (auto [i, name] : llvm::enumerate(tokenAttrNames()))
    if (op->hasAttr(name))
      tokens |= bits[i];
  risa::Instr in = risa::Instr::make(opc, tokens);
  for (risa::Field f : risa::fieldsOf(opc))
    in.set(f, cast<IntegerAttr>(op->getAttr(risa::fieldInfo(f).name)).getInt());
  return in;
}

FailureOr<dlprt::Program> dlp::device::toProgram(ProgramOp prog) {
  dlprt::Program p;
  auto target = dlprt::parseTargetConfig(prog.getTarget(), "dlp.program");
  if (!target)
    return prog.emitOpError() << llvm::toString(target.takeError());
  p.target = std::move(*target);
  p.dataBytes = prog.getDataBytes();
  p.inputs.assign(prog.getInputs().begin(), prog.getInputs().end());
  p.outputs.assign(prog.getOutputs().begin(), prog.getOutputs().end());
  std::string lastName;
  for (Operation &op : prog.getBlock()) {
    if (auto c = dyn_cast<ConstDataOp>(op)) {
      auto data = dlp::readI8Constant(c.getValue());
      if (!data)
        return c.emitOpError("cannot read the constant bytes (missing blob?)");
      p.constData.assign(reinterpret_cast<const uint8_t *>(data->data.data()),
                         reinterpret_cast<const uint8_t *>(data->data.data()) +
                             data->data.size());
      continue;
    }
    if (auto t = dyn_cast<TensorOp>(op)) {
      dlprt::TensorDesc d;
      d.name = t.getName().str();
      d.shape.assign(t.getShape().begin(), t.getShape().end());
      d.ddrOffset = t.getDdrOffset();
      if (t.getStorage().size() != 3)
        return t.emitOpError("storage must be C, H, W");
      d.C = t.getStorage()[0];
      d.H = t.getStorage()[1];
      d.W = t.getStorage()[2];
      d.frac.assign(t.getFrac().begin(), t.getFrac().end());
      d.fracBlock = t.getFracBlock();
      d.type = dlprt::TensorType(t.getType());
      p.tensors.push_back(std::move(d));
      continue;
    }
    if (auto h = dyn_cast<HostSegmentOp>(op)) {
      dlprt::HostSegment s;
      s.kind = dlprt::HostOpKind(h.getKind());
      s.inputs.assign(h.getInputs().begin(), h.getInputs().end());
      s.outputs.assign(h.getOutputs().begin(), h.getOutputs().end());
      s.params.assign(h.getParams().begin(), h.getParams().end());
      s.constOffset = h.getConstOffset();
      s.constBytes = h.getConstBytes();
      p.host.push_back(std::move(s));
      continue;
    }
    if (!opcodeOf(&op))
      return op.emitOpError("is not part of a dlp program");
    uint32_t index = p.code.size();
    p.code.push_back(encodeInstruction(&op));
    std::string name = locationName(op.getLoc());
    if (!name.empty() && !p.debug.empty() && p.debug.back().end == index &&
        name == lastName) {
      p.debug.back().end = index + 1;
    } else if (!name.empty()) {
      p.debug.push_back({index, index + 1, name});
    }
    lastName = name;
  }
  return p;
}

ProgramOp dlp::device::fromProgram(OpBuilder &b, Location loc,
                                const dlprt::Program &p) {
  MLIRContext *ctx = b.getContext();
  std::vector<int32_t> ins(p.inputs.begin(), p.inputs.end()),
      outs(p.outputs.begin(), p.outputs.end());
  auto prog = ProgramOp::create(b, loc, b.getStringAttr(p.target.toJSON()),
                                b.getI64IntegerAttr(p.dataBytes),
                                b.getDenseI32ArrayAttr(ins),
                                b.getDenseI32ArrayAttr(outs));
  Block *body = new Block();
  prog.getBody().push_back(body);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(body);
  ConstDataOp::create(
      b, loc,
      dlp::createI8ResourceAttr(
          ctx, {int64_t(p.constData.size())}, "dlp_const",
          [&](llvm::MutableArrayRef<int8_t> out) {
            std::memcpy(out.data(), p.constData.data(), p.constData.size());
          }));
  for (const dlprt::TensorDesc &d : p.tensors) {
    std::vector<int32_t> frac(d.frac.begin(), d.frac.end());
    TensorOp::create(b, loc, d.name, d.shape, int64_t(d.ddrOffset),
                     {d.C, d.H, d.W}, frac, d.fracBlock, uint32_t(d.type));
  }
  for (const dlprt::HostSegment &s : p.host) {
    std::vector<int32_t> i(s.inputs.begin(), s.inputs.end()),
        o(s.outputs.begin(), s.outputs.end());
    HostSegmentOp::create(b, loc, uint32_t(s.kind), i, o, s.params,
                          int64_t(s.constOffset), int64_t(s.constBytes));
  }
  size_t dbg = 0;
  for (auto [index, in] : llvm::enumerate(p.code)) {
    while (dbg < p.debug.size() && p.debug[dbg].end <= index)
      ++dbg;
    Location l = UnknownLoc::get(ctx);
    if (dbg < p.debug.size() && p.debug[dbg].begin <= index)
      l = NameLoc::get(b.getStringAttr(p.debug[dbg].node));
    const risa::OpcodeInfo *info = risa::opcodeInfo(in.opcodeValue());
    OperationState st(l, ("dlp." + std::string(info->mnemonic)));
    static const uint8_t bits[] = {risa::PopPrev, risa::PopNext,
                                   risa::PushPrev, risa::PushNext};
    for (auto [i, name] : llvm::enumerate(tokenAttrNames()))
      if (in.tokens() & bits[i])
        st.addAttribute(name, b.getUnitAttr());
    for (risa::Field f : risa::fieldsOf(in.opcode()))
      st.addAttribute(risa::fieldInfo(f).name,
                      b.getI64IntegerAttr(in.get(f)));
    b.create(st);
  }
  return prog;
}

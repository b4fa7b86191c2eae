//===- DLPOps.cpp - dlp instruction and program verifiers -----------------===//
//
// Instruction ops are checked against the encoding table (Isa.def); the
// program op against the target with the runtime's own validator.
//
//===----------------------------------------------------------------------===//

#include "DLP/DLPOps.h"
#include "DLP/DLPProgram.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace dlp::device;
namespace risa = dlprt::isa;

#define GET_OP_CLASSES
#include "DLP/DLPOps.cpp.inc"

std::optional<risa::Opcode> dlp::device::opcodeOf(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<risa::Opcode>>(op)
      .Case([](EndOp) { return risa::Opcode::End; })
      .Case([](LoadOp) { return risa::Opcode::Load; })
      .Case([](StoreOp) { return risa::Opcode::Store; })
      .Case([](GemmOp) { return risa::Opcode::Gemm; })
      .Case([](GemmCsrOp) { return risa::Opcode::GemmCsr; })
      .Case([](GemmWinOp) { return risa::Opcode::GemmWin; })
      .Case([](PoolOp) { return risa::Opcode::Pool; })
      .Case([](AddOp) { return risa::Opcode::Add; })
      .Case([](HostOp) { return risa::Opcode::Host; })
      .Case([](SyncOp) { return risa::Opcode::Sync; })
      .Default([](Operation *) { return std::nullopt; });
}

ArrayRef<StringRef> dlp::device::tokenAttrNames() {
  static const StringRef names[] = {"pop_prev", "pop_next", "push_prev",
                                    "push_next"};
  return names;
}

LogicalResult dlp::device::verifyInstruction(Operation *op, risa::Opcode opc) {
  const risa::OpcodeInfo *info = risa::opcodeInfo(uint8_t(opc));
  std::vector<risa::Field> fields = risa::fieldsOf(opc);
  for (NamedAttribute a : op->getAttrs()) {
    StringRef name = a.getName().getValue();
    if (llvm::is_contained(tokenAttrNames(), name)) {
      if (!isa<UnitAttr>(a.getValue()))
        return op->emitOpError() << "token flag '" << name
                                 << "' must be a unit attribute";
      bool prev = name.ends_with("prev");
      bool ok = info->queue == risa::Queue::Compute ||
                (info->queue == risa::Queue::Load && !prev) ||
                (info->queue == risa::Queue::Store && prev);
      if (!ok)
        return op->emitOpError()
               << "token flag '" << name << "' names a neighbour the "
               << (info->queue == risa::Queue::Barrier ? "barrier"
                   : info->queue == risa::Queue::Load  ? "load queue"
                                                       : "store queue")
               << " does not have";
      continue;
    }
    std::optional<risa::Field> f = risa::findField(opc, name);
    if (!f) {
      std::string list;
      for (risa::Field g : fields)
        list += (list.empty() ? "" : ", ") +
                std::string(risa::fieldInfo(g).name);
      return op->emitOpError() << "has no field '" << name << "' (fields: "
                               << (list.empty() ? "none" : list) << ")";
    }
    auto ia = dyn_cast<IntegerAttr>(a.getValue());
    if (!ia)
      return op->emitOpError() << "field '" << name << "' must be an integer";
    const risa::FieldInfo &fi = risa::fieldInfo(*f);
    APInt v = ia.getValue();
    if (v.isNegative() || v.getActiveBits() > fi.width)
      return op->emitOpError()
             << "field '" << name << "' = " << v.getSExtValue()
             << " does not fit its " << unsigned(fi.width) << " bits";
  }
  for (risa::Field g : fields)
    if (!op->hasAttr(risa::fieldInfo(g).name))
      return op->emitOpError()
             << "missing field '" << risa::fieldInfo(g).name << "'";
  return success();
}

#define DLP_INSTR_VERIFIER(Op, Name)                                           \
  LogicalResult Op::verify() {                                                 \
    return verifyInstruction(*this, risa::Opcode::Name);                       \
  }
DLP_INSTR_VERIFIER(EndOp, End)
DLP_INSTR_VERIFIER(LoadOp, Load)
DLP_INSTR_VERIFIER(StoreOp, Store)
DLP_INSTR_VERIFIER(GemmOp, Gemm)
DLP_INSTR_VERIFIER(GemmCsrOp, GemmCsr)
DLP_INSTR_VERIFIER(GemmWinOp, GemmWin)
DLP_INSTR_VERIFIER(PoolOp, Pool)
DLP_INSTR_VERIFIER(AddOp, Add)
DLP_INSTR_VERIFIER(HostOp, Host)
DLP_INSTR_VERIFIER(SyncOp, Sync)
#undef DLP_INSTR_VERIFIER

LogicalResult ConstDataOp::verify() {
  auto type = dyn_cast<RankedTensorType>(getValue().getType());
  if (!type || type.getRank() != 1 || !type.getElementType().isInteger(8))
    return emitOpError("value must be a 1-D tensor of i8");
  return success();
}

LogicalResult ProgramOp::verifyRegions() {
  // Structure: at most one const_data; every other op is a tensor, a host
  // segment or an instruction (each verified on its own first).
  unsigned consts = 0;
  for (Operation &op : getBlock()) {
    if (isa<ConstDataOp>(op) && ++consts > 1)
      return op.emitOpError("a program holds at most one const_data");
    if (!isa<ConstDataOp, TensorOp, HostSegmentOp>(op) && !opcodeOf(&op))
      return op.emitOpError("is not part of a dlp program");
  }
  FailureOr<dlprt::Program> p = toProgram(*this);
  if (failed(p))
    return failure();
  if (llvm::Error err = dlprt::validateProgram(*p)) {
    std::string msg = llvm::toString(std::move(err));
    // Attach the diagnostic to the instruction the validator names: the
    // blocked queue head of a deadlock, else the instruction it starts with.
    StringRef rest = msg;
    size_t head = rest.find("head instruction #");
    bool named = head != StringRef::npos
                     ? (rest = rest.drop_front(head + 18), true)
                     : rest.consume_front("instruction #");
    unsigned index;
    if (named && !rest.consumeInteger(10, index)) {
      unsigned i = 0;
      for (Operation &op : getBlock())
        if (opcodeOf(&op) && i++ == index)
          return op.emitOpError() << "invalid for the program's target: "
                                  << msg;
    }
    return emitOpError() << "invalid for its target: " << msg;
  }
  return success();
}

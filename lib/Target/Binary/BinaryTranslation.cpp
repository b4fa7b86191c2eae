//===- BinaryTranslation.cpp - .dlpb emitter and disassembler -------------===//
//
// Both directions go through the runtime's program (dlprt/Program.h): the
// emitter converts the dlp.program and calls writeBinary, the disassembler
// calls readBinary (the loader, with all its validation) and rebuilds the
// dlp.program. Binary -> dlp -> binary is byte-identical.
//
//===----------------------------------------------------------------------===//

#include "dlp/Target/Binary.h"
#include "DLP/DLPProgram.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace dlp;
namespace risa = dlprt::isa;

namespace {
FailureOr<dlprt::Program> programOf(ModuleOp module) {
  SmallVector<device::ProgramOp> progs(module.getOps<device::ProgramOp>());
  if (progs.size() != 1)
    return module.emitError() << "expected one dlp.program, found "
                              << progs.size();
  return device::toProgram(progs.front());
}
} // namespace

LogicalResult dlp::writeDLPBinary(ModuleOp module, llvm::raw_ostream &os) {
  FailureOr<dlprt::Program> p = programOf(module);
  if (failed(p))
    return failure();
  // The dlp.program verifier already ran the runtime's validator.
  std::vector<uint8_t> bytes = dlprt::writeBinary(*p);
  os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return success();
}

LogicalResult dlp::writeDLPHex(ModuleOp module, llvm::raw_ostream &os) {
  FailureOr<dlprt::Program> p = programOf(module);
  if (failed(p))
    return failure();
  os << "// target " << p->target.name << " fingerprint "
     << llvm::format_hex(p->target.fingerprint(), 18) << " code "
     << p->code.size() << " const " << p->constData.size() << " data "
     << p->dataBytes << "\n";
  for (auto [i, in] : llvm::enumerate(p->code)) {
    const risa::OpcodeInfo *info = risa::opcodeInfo(in.opcodeValue());
    os << llvm::format("%5u ", unsigned(i))
       << llvm::left_justify(info ? info->mnemonic : "?", 6);
    for (int w = risa::kInstrWords - 1; w >= 0; --w)
      os << " " << llvm::format_hex_no_prefix(in.w[w], 16);
    os << "\n";
  }
  return success();
}

void dlp::registerBinaryTranslations() {
  auto dialects = [](DialectRegistry &registry) {
    registry.insert<device::DLPDialect>();
  };
  static TranslateFromMLIRRegistration toBinary(
      "dlp-to-binary", "write a dlp.program as a .dlpb binary",
      [](Operation *op, llvm::raw_ostream &os) {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return LogicalResult(op->emitError("expected a module"));
        return writeDLPBinary(module, os);
      },
      dialects);
  static TranslateFromMLIRRegistration toHex(
      "dlp-to-hex", "print a dlp.program's instruction words in hex",
      [](Operation *op, llvm::raw_ostream &os) {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return LogicalResult(op->emitError("expected a module"));
        return writeDLPHex(module, os);
      },
      dialects);
  static TranslateToMLIRRegistration fromBinary(
      "binary-to-dlp", "disassemble a .dlpb binary into a dlp.program",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *ctx) -> OwningOpRef<Operation *> {
        ctx->loadDialect<device::DLPDialect>();
        const llvm::MemoryBuffer *buf =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        llvm::ArrayRef<uint8_t> bytes(
            reinterpret_cast<const uint8_t *>(buf->getBufferStart()),
            buf->getBufferSize());
        Location loc = FileLineColLoc::get(ctx, buf->getBufferIdentifier(), 0,
                                           0);
        auto p = dlprt::readBinary(bytes);
        if (!p) {
          emitError(loc) << llvm::toString(p.takeError());
          return nullptr;
        }
        OpBuilder b(ctx);
        OwningOpRef<ModuleOp> module = ModuleOp::create(b, loc);
        b.setInsertionPointToEnd(module->getBody());
        device::fromProgram(b, loc, *p);
        return OwningOpRef<Operation *>(module.release());
      },
      dialects);
}

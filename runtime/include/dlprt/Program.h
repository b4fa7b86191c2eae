//===- Program.h - A DLP program (the contents of a .dlpb) --------*- C++ -*-===//
//
// The in-memory form of a binary (docs/binary-format.md): what the compiler
// fills and writeBinary serializes, and what readBinary parses and the
// loader validates before anything runs.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_PROGRAM_H
#define DLPRT_PROGRAM_H

#include "dlprt/Isa.h"
#include "dlprt/Target.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlprt {

constexpr char kMagic[4] = {'D', 'L', 'P', 'B'};
constexpr uint16_t kFormatVersion = 2;
/// Largest DDR region `data` the runtime accepts (each simulator thread
/// holds one): a binary declaring more is refused, never allocated.
constexpr uint64_t kMaxDataBytes = uint64_t(1) << 32;

/// Section kinds (docs/binary-format.md).
enum class SectionKind : uint32_t {
  Target = 1,
  Code = 2,
  Const = 3,
  Memory = 4,
  Tensors = 5,
  IO = 6,
  Host = 7,
  Debug = 8,
};

/// Element types of tensors in DDR region `data`.
enum class TensorType : uint32_t {
  /// int8 feature map, channel-blocked (docs/isa.md section 1).
  Int8 = 0,
  /// float32 in logical row-major order (host float segments; C = the
  /// element count, H = W = 1, no frac bits).
  Float32 = 1,
};

/// A feature map in DDR region `data`, one image, channel-blocked
/// (docs/isa.md section 1): storage C x H x W in blocks of L channels.
/// `shape` is the logical shape of one image (N x C x H x W with N = 1, or
/// N x K after a flatten: logical feature k = (c * H + y) * W + x; a float
/// tensor of a program that runs a whole static batch as one image keeps
/// that batch as N). A Float32 tensor is
/// plain row-major float32 instead.
struct TensorDesc {
  std::string name;
  TensorType type = TensorType::Int8;
  std::vector<int64_t> shape;
  uint64_t ddrOffset = 0;
  int64_t C = 0, H = 0, W = 0;
  /// Fractional bits of storage channel c: frac[c / fracBlock].
  std::vector<int32_t> frac;
  int64_t fracBlock = 1;
  bool isFloat() const { return type == TensorType::Float32; }
  uint64_t bytes(uint32_t L) const {
    if (isFloat())
      return uint64_t(C) * H * W * 4;
    return uint64_t((C + L - 1) / L) * H * W * L;
  }
};

/// Host fallback ops (runtime/include/dlprt/HostOps.h).
enum class HostOpKind : uint32_t {
  /// Grouped / depthwise convolution, direct int32. params: group, k_h, k_w,
  /// stride_h, stride_w, pad_t, pad_l, dil_h, dil_w. const data at
  /// constOffset: O*(C/group)*k_h*k_w int32 term multipliers (numerics
  /// section 3: +-2^sh or q_w*2^sh), then int32 bias[O], int8
  /// out_shift[O], act_min[O], act_max[O].
  Conv = 1,
  /// Concatenation along channels of the inputs, in order. No params.
  Concat = 2,
  /// Host float segments (docs/binary-format.md): int8 -> float32 of the
  /// same logical shape (x = q * 2^-f).
  Dequantize = 3,
  /// float32 -> int8 (q = sat8(floor(x * 2^f + 1/2)), numerics section 1).
  Quantize = 4,
  /// Element-wise float function; params: the FloatUnaryOp, then its
  /// float parameters as IEEE-754 bit patterns (alpha / lo, hi).
  FloatUnary = 5,
  /// Broadcasting (numpy rules) float add / sub / mul / div / max / min;
  /// params: the FloatBinaryOp.
  FloatBinary = 6,
  /// Softmax along one axis (params: the axis, 0 <= axis < rank).
  Softmax = 7,
  /// Float transpose (params: the permutation; output axis d = input axis
  /// perm[d]).
  FloatTranspose = 8,
  /// Float concatenation of the inputs along an axis (params: the axis).
  FloatConcat = 9,
  /// Float strided slice (params: per axis of the input the start, then
  /// per axis the step; the output shape gives the counts).
  FloatSlice = 10,
  /// The float operators below (dlprt/kernels/FloatConv.h, FloatLinalg.h)
  /// take every operand as a float32 tensor; a constant operand (weights,
  /// biases, normalization parameters) is copied into its tensor by a
  /// FloatConst segment first: float32 data in CONST, 4 bytes per element
  /// of the output, no inputs, no params.
  FloatConst = 11,
  /// Float convolution: inputs x (1 x C x spatial, 1-3 spatial axes), the
  /// weight (M x C/group x kernel) and optionally the bias (M). params:
  /// group, then per spatial axis the stride, the begin pad, the end pad
  /// and the dilation (HostFloatWindowParam).
  FloatConv = 12,
  /// Float pooling of 1 x C x spatial: params[0] the FloatPoolOp; unless
  /// GlobalAvg, then per spatial axis the kernel, the stride, the begin
  /// pad, the end pad and the dilation (1 for average pools).
  FloatPool = 13,
  /// Numpy matmul of inputs a and b (1-D operands promoted, batch axes
  /// broadcast). No params.
  FloatMatMul = 14,
  /// ONNX Gemm: inputs a, b and optionally c (rank <= 2, broadcasting to
  /// the output). params: trans_a, trans_b, alpha and beta (IEEE-754 bits).
  FloatGemm = 15,
  /// Fully-connected: inputs x (N x K after flattening), the weight
  /// (P x K) and optionally the bias (P). No params.
  FloatFullyConnected = 16,
  /// Local response normalization across axis 1. params: size, then alpha,
  /// beta and bias (IEEE-754 bits).
  FloatLRN = 17,
  /// Inference batch normalization over axis 1: inputs x, scale, bias,
  /// mean, var (C elements each). params: epsilon (IEEE-754 bits).
  FloatBatchNorm = 18,
  /// Padding: params: the FloatPadMode, the value (IEEE-754 bits), then
  /// per axis the begin pad, then per axis the end pad (negative crops).
  FloatPad = 19,
  /// Taps of a conv packed into channels (int8 -> int8), so a first layer
  /// with few input channels fills the array's lanes: output channel
  /// kx * C + c, row y, column x is input channel c, row y, column
  /// x * stride + kx * dilation - pad (0 outside the input), for kx < k
  /// (the output has k * C channels, the input's rows). params: k, stride,
  /// dilation, pad (of the width axis).
  PackTaps = 20,
  /// Float sum / mean / max / min over axes (dlprt/kernels/FloatVision.h):
  /// params: the FloatReduceOp (0 sum, 1 mean, 2 max, 3 min), 1 to keep
  /// the reduced axes (0 to drop them), then the axes, ascending.
  FloatReduce = 21,
  /// Float broadcast of the input (numpy rules) to the output's shape. No
  /// params.
  FloatExpand = 22,
  /// Float select: inputs the mask c, a and b (numpy broadcasting); y = c
  /// != 0 ? a : b. No params.
  FloatWhere = 23,
  /// Float resize (ONNX Resize, opset 11+): params: the ResizeMode, the
  /// ResizeCoord, the ResizeNearest, cubic_coeff_a (IEEE-754 double bits),
  /// exclude_outside, the extrapolation value (IEEE-754 float bits), the
  /// number of roi values (0 or twice the rank), then per axis the scale
  /// (double bits), then the roi (double bits). The output shape gives the
  /// extents.
  FloatResize = 24,
  /// Float transposed convolution: inputs x (1 x C x spatial, 1-3 spatial
  /// axes), the weight (C x M/group x kernel) and optionally the bias (M).
  /// params: group, then per spatial axis the stride, the begin pad, the
  /// end pad and the dilation (HostFloatWindowParam); the output extents
  /// (which include output_padding) are the output tensor's.
  FloatConvTranspose = 25,
  /// Element-wise int8 -> int8 lookup (dlprt/kernels/Table.h): an
  /// activation between quantized maps of the same shape and storage. No
  /// params; const: 256 int8 entries per fractional-bits entry of the
  /// input (code q at q + 128), the element of storage channel c using
  /// table c / fracBlock.
  Table = 26,
  /// Per-channel scaling of an int8 feature map (squeeze-and-excitation,
  /// dlprt/kernels/ChannelMul.h): inputs x (C x H x W) and gate (C x 1 x
  /// 1), output the shape and storage of x; params: one requantizing shift
  /// per channel of x (f_x + f_gate - f_out, in [-32, 63]); no const.
  ChannelMul = 27,
  /// int8 pooling (what a POOL instruction computes, docs/isa.md 3.4) of a
  /// whole feature map, for a target without a pool unit or a window the
  /// POOL fields cannot hold: input and output C x H x W of the same C.
  /// params (HostPoolParam): mode (the PoolMode), k_h, k_w, stride_h,
  /// stride_w, pad_t, pad_l, pad_b, pad_r, dil_h, dil_w; the output tensor
  /// gives the output extents. No const.
  Pool = 28,
  /// int8 residual add, requantize or clamp (what an ADD instruction
  /// computes, docs/isa.md 3.5) of whole maps, for a target without an
  /// element-wise unit: inputs a and b (the same C x H x W; a alone for a
  /// requantize / clamp), output of that shape and storage. params: per
  /// channel of the output its alignment (f_a - f_b, in [-22, 22]; 0 for
  /// one input), its requantizing shift (in [-32, 63]), its clamp's lower
  /// and upper bounds (int8), four per channel. No const.
  Add = 29,
};

struct HostSegment {
  HostOpKind kind = HostOpKind::Conv;
  std::vector<uint32_t> inputs, outputs; ///< indices into Program::tensors
  std::vector<int64_t> params;
  uint64_t constOffset = 0, constBytes = 0;
};

/// Instructions [begin, end) implement the ONNX node `node`.
struct DebugEntry {
  uint32_t begin = 0, end = 0;
  std::string node;
};

struct Program {
  TargetConfig target;
  std::vector<isa::Instr> code;
  std::vector<uint8_t> constData; ///< DDR region `const`
  uint64_t dataBytes = 0;         ///< size of DDR region `data`
  std::vector<TensorDesc> tensors;
  std::vector<uint32_t> inputs, outputs; ///< model I/O, indices into tensors
  std::vector<HostSegment> host;
  std::vector<DebugEntry> debug;
};

/// Serializes (docs/binary-format.md). Deterministic: equal programs give
/// equal bytes.
std::vector<uint8_t> writeBinary(const Program &p);

/// Parses and fully validates a binary: header, versions, section bounds,
/// the embedded target, every instruction's opcode and fields, buffer and
/// DDR bounds of everything an instruction can touch, token balance and
/// freedom from deadlock, tensor descriptors, host segments. With
/// `expected`, a binary compiled for another target (fingerprint) is
/// refused by name. Errors name the section / instruction index and field.
llvm::Expected<Program> readBinary(llvm::ArrayRef<uint8_t> bytes,
                                   const TargetConfig *expected = nullptr);

/// readBinary of bytes the caller gives up: the const region is moved into
/// the program, not copied (a binary's bytes are held once while loading).
llvm::Expected<Program> readBinary(std::vector<uint8_t> &&bytes,
                                   const TargetConfig *expected = nullptr);

/// The instruction-level checks of readBinary on an in-memory program.
llvm::Error validateProgram(const Program &p);

} // namespace dlprt

#endif // DLPRT_PROGRAM_H

//===- ModelReader.h - Read an ONNX file without transient copies -*- C++ -*-===//
#ifndef DLP_LIB_IMPORT_ONNX_MODELREADER_H
#define DLP_LIB_IMPORT_ONNX_MODELREADER_H

#include <onnx/onnx_pb.h>

namespace dlp {

/// Parses the ONNX model in the open file `fd` (read from its start) into
/// `model`, reading large initializer weights straight into place. Returns
/// false when the bytes are not a well-formed ModelProto.
bool readONNXModel(int fd, onnx::ModelProto &model);

} // namespace dlp

#endif // DLP_LIB_IMPORT_ONNX_MODELREADER_H

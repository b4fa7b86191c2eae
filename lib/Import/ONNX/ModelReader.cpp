//===- ModelReader.cpp - Read an ONNX file without transient copies -------===//
//
// protobuf grows a bytes field longer than 50 MB by appending, so parsing a
// model with a 400 MB weight (vgg16's first fully-connected layer) briefly
// holds ~2x that weight. This reader scans the file once with the wire-format
// API, copies everything except the large `raw_data` fields of the graph's
// initializers into a skeleton message, parses the skeleton, then reads each
// large field straight into its exactly-sized string with pread(). Peak
// memory is the file size plus the (small) skeleton.
//
//===----------------------------------------------------------------------===//

#include "ModelReader.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <climits>
#include <unistd.h>
#include <vector>

namespace pbio = google::protobuf::io;
using google::protobuf::internal::WireFormatLite;

namespace {
/// Field numbers of onnx.proto on the path to an initializer's bytes.
constexpr int kModelGraph = 7;        // ModelProto.graph
constexpr int kGraphInitializer = 5;  // GraphProto.initializer
constexpr int kTensorRawData = 9;     // TensorProto.raw_data
/// raw_data fields at least this long are read after the parse.
constexpr uint32_t kDeferredBytes = 1 << 20;

enum class Level { Model, Graph, Tensor };

struct Deferred {
  int initializer; // index in GraphProto.initializer
  int64_t offset;  // file offset of the bytes
  uint32_t size;
};

class Scanner {
public:
  explicit Scanner(pbio::CodedInputStream &in) : in(in) {}
  std::vector<Deferred> deferred;

  /// Copies the message at the current position (up to the current limit)
  /// to `out`, leaving out deferred raw_data fields.
  bool copy(Level level, pbio::CodedOutputStream &out) {
    while (uint32_t tag = in.ReadTag()) {
      int field = WireFormatLite::GetTagFieldNumber(tag);
      bool lengthDelimited = WireFormatLite::GetTagWireType(tag) ==
                             WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
      bool descend =
          lengthDelimited &&
          ((level == Level::Model && field == kModelGraph) ||
           (level == Level::Graph && field == kGraphInitializer));
      if (descend) {
        uint32_t size;
        if (!in.ReadVarint32(&size))
          return false;
        int index = initializers;
        if (level == Level::Graph)
          ++initializers;
        pbio::CodedInputStream::Limit limit = in.PushLimit(size);
        std::string sub;
        {
          pbio::StringOutputStream subStream(&sub);
          pbio::CodedOutputStream subOut(&subStream);
          Level inner = level == Level::Model ? Level::Graph : Level::Tensor;
          current = index;
          if (!copy(inner, subOut))
            return false;
        }
        in.PopLimit(limit);
        out.WriteTag(tag);
        out.WriteVarint32(sub.size());
        out.WriteString(sub);
        continue;
      }
      if (level == Level::Tensor && field == kTensorRawData &&
          lengthDelimited) {
        uint32_t size;
        if (!in.ReadVarint32(&size))
          return false;
        if (size >= kDeferredBytes) {
          deferred.push_back({current, in.CurrentPosition(), size});
          if (!in.Skip(size))
            return false;
          continue;
        }
        std::string bytes;
        if (!in.ReadString(&bytes, size))
          return false;
        out.WriteTag(tag);
        out.WriteVarint32(size);
        out.WriteString(bytes);
        continue;
      }
      if (!WireFormatLite::SkipField(&in, tag, &out))
        return false;
    }
    // ReadTag returned 0: at a limit or the end of the file (a legitimate
    // end), or on a malformed tag.
    return in.ConsumedEntireMessage();
  }

private:
  pbio::CodedInputStream &in;
  int initializers = 0; // initializers seen so far
  int current = 0;      // index of the initializer being copied
};
} // namespace

bool dlp::readONNXModel(int fd, onnx::ModelProto &model) {
  std::string skeleton;
  std::vector<Deferred> deferred;
  {
    pbio::FileInputStream file(fd);
    pbio::CodedInputStream in(&file);
    in.SetTotalBytesLimit(INT_MAX);
    Scanner scanner(in);
    pbio::StringOutputStream skeletonStream(&skeleton);
    pbio::CodedOutputStream out(&skeletonStream);
    if (!scanner.copy(Level::Model, out) || file.GetErrno() != 0)
      return false;
    deferred = std::move(scanner.deferred);
  }
  if (!model.ParseFromString(skeleton))
    return false;
  onnx::GraphProto *graph = model.mutable_graph();
  for (const Deferred &d : deferred) {
    if (d.initializer >= graph->initializer_size())
      return false;
    std::string *bytes = graph->mutable_initializer(d.initializer)
                             ->mutable_raw_data();
    bytes->resize(d.size);
    for (uint32_t done = 0; done < d.size;) {
      ssize_t n = ::pread(fd, bytes->data() + done, d.size - done,
                          d.offset + done);
      if (n <= 0)
        return false;
      done += n;
    }
  }
  return true;
}

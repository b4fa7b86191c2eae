//===- CApi.cpp - The C API (dlprt/dlprt.h) over dlprt::Session -----------===//

#include "dlprt/dlprt.h"

#include "dlprt/Runtime.h"

#include <string>

using namespace dlprt;

struct dlprt_session {
  std::unique_ptr<Session> session;
};

namespace {

thread_local std::string lastError;

int fail(std::string msg) {
  lastError = std::move(msg);
  return -1;
}

const TensorDesc *tensorAt(const dlprt_session *s, int isOutput, int index) {
  const std::vector<uint32_t> &list =
      isOutput ? s->session->program().outputs : s->session->program().inputs;
  if (index < 0 || size_t(index) >= list.size())
    return nullptr;
  return &s->session->program().tensors[list[index]];
}

} // namespace

extern "C" {

dlprt_session *dlprt_load(const char *path, const char *targetJson) {
  if (!path) {
    fail("dlprt_load: path is NULL");
    return nullptr;
  }
  std::optional<TargetConfig> target;
  if (targetJson) {
    llvm::Expected<TargetConfig> t = loadTargetConfig(targetJson);
    if (!t) {
      fail(llvm::toString(t.takeError()));
      return nullptr;
    }
    target = std::move(*t);
  }
  llvm::Expected<std::unique_ptr<Session>> s =
      Session::load(path, target ? &*target : nullptr);
  if (!s) {
    fail(llvm::toString(s.takeError()));
    return nullptr;
  }
  return new dlprt_session{std::move(*s)};
}

int dlprt_num_inputs(const dlprt_session *s) {
  return s ? int(s->session->program().inputs.size()) : fail("NULL session");
}

int dlprt_num_outputs(const dlprt_session *s) {
  return s ? int(s->session->program().outputs.size()) : fail("NULL session");
}

int dlprt_tensor_info(const dlprt_session *s, int isOutput, int index,
                      const char **name, int *rank, const int64_t **dims) {
  if (!s)
    return fail("NULL session");
  const TensorDesc *t = tensorAt(s, isOutput, index);
  if (!t)
    return fail(
        "dlprt_tensor_info: " + std::string(isOutput ? "output" : "input") +
        " index " + std::to_string(index) + " out of range");
  if (name)
    *name = t->name.c_str();
  if (rank)
    *rank = int(t->shape.size());
  if (dims)
    *dims = t->shape.data();
  return 0;
}

int dlprt_run(dlprt_session *s, int64_t batch, const float *const *inputs,
              float *const *outputs, int numThreads) {
  if (!s)
    return fail("NULL session");
  const Program &p = s->session->program();
  if ((!inputs && !p.inputs.empty()) || (!outputs && !p.outputs.empty()))
    return fail("dlprt_run: NULL input or output array");
  if (numThreads < 0)
    return fail("dlprt_run: negative thread count");
  llvm::Error e = s->session->run(
      batch, llvm::ArrayRef<const float *>(inputs, p.inputs.size()),
      llvm::ArrayRef<float *>(outputs, p.outputs.size()), unsigned(numThreads));
  if (e)
    return fail(llvm::toString(std::move(e)));
  return 0;
}

const char *dlprt_last_error(void) { return lastError.c_str(); }

void dlprt_free(dlprt_session *s) { delete s; }

} // extern "C"

/*===- CApiTest.c - The C API from C ---------------------------------------===*\
|* Usage: DLPRuntimeCApiTest <target.json>. Writes a sample binary with the   *|
|* C++ helper (MakeSample.cpp), then loads and runs it through dlprt.h only.  *|
\*===----------------------------------------------------------------------===*/
#include "dlprt/dlprt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dlprt_test_write_sample(const char *path);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s (%s)\n", __FILE__, __LINE__,   \
              #cond, dlprt_last_error());                                      \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main(int argc, char **argv) {
  const char *path = "capi-sample.dlpb";
  CHECK(argc == 2);
  CHECK(dlprt_load("/nonexistent.dlpb", NULL) == NULL);
  CHECK(strstr(dlprt_last_error(), "/nonexistent.dlpb") != NULL);
  CHECK(dlprt_test_write_sample(path) == 0);
  /* The sample is built for the "tiny" target: small.json is refused. */
  CHECK(dlprt_load(path, argv[1]) == NULL);
  CHECK(strstr(dlprt_last_error(), "'small'") != NULL);
  dlprt_session *s = dlprt_load(path, NULL);
  CHECK(s != NULL);
  CHECK(dlprt_num_inputs(s) == 1);
  CHECK(dlprt_num_outputs(s) == 2);
  const char *name;
  int rank;
  const int64_t *dims;
  CHECK(dlprt_tensor_info(s, 0, 0, &name, &rank, &dims) == 0);
  CHECK(strcmp(name, "x") == 0 && rank == 4 && dims[1] == 16);
  CHECK(dlprt_tensor_info(s, 1, 5, &name, &rank, &dims) == -1);
  CHECK(strstr(dlprt_last_error(), "out of range") != NULL);
  float in[2 * 256], out0[2 * 256], out1[2 * 128];
  for (int i = 0; i < 2 * 256; ++i)
    in[i] = (float)((i % 17) - 8) / 4.0f;
  const float *ins[1] = {in};
  float *outs[2] = {out0, out1};
  CHECK(dlprt_run(s, 2, ins, outs, 2) == 0);
  CHECK(dlprt_run(s, 0, ins, outs, 1) == -1);
  int nonzero = 0;
  for (int i = 0; i < 2 * 256; ++i)
    nonzero += out0[i] != 0.0f;
  CHECK(nonzero > 0);
  dlprt_free(s);
  remove(path);
  printf("C API: ok\n");
  return 0;
}

/*===- dlprt.h - The DLP runtime's C API -------------------------*- C -*-===*\
|*                                                                            *|
|* A thin wrapper of dlprt::Session (dlprt/Runtime.h). Functions returning   *|
|* int give 0 on success and -1 on failure; dlprt_last_error() then returns   *|
|* the message (per thread, valid until the next failing call).              *|
\*===----------------------------------------------------------------------===*/
#ifndef DLPRT_DLPRT_H
#define DLPRT_DLPRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dlprt_session dlprt_session;

/* Loads and validates a .dlpb; `target_json` (a config file path) may be
   NULL, else a binary compiled for another target is refused. NULL on
   failure. */
dlprt_session *dlprt_load(const char *path, const char *target_json);

int dlprt_num_inputs(const dlprt_session *s);
int dlprt_num_outputs(const dlprt_session *s);

/* Name and logical shape of one image of input / output `index`
   (is_output 0 / 1): dims[0] is 1, or the whole static batch of a float
   model that runs as one image (docs/lowering.md). The pointers stay valid
   while the session lives. */
int dlprt_tensor_info(const dlprt_session *s, int is_output, int index,
                      const char **name, int *rank, const int64_t **dims);

/* Runs `batch` images (runs of the program: samples / dims[0]):
   inputs[i] / outputs[i] hold batch x (product of the tensor's dims)
   floats, image-major; an output that is a constant of the
   model (its values do not depend on the inputs) is written once, in its
   first (product of its dims) floats. num_threads 0: all cores. */
int dlprt_run(dlprt_session *s, int64_t batch, const float *const *inputs,
              float *const *outputs, int num_threads);

const char *dlprt_last_error(void);

void dlprt_free(dlprt_session *s);

#ifdef __cplusplus
}
#endif

#endif /* DLPRT_DLPRT_H */

//===- Pool.h - Max / average pooling of int8 planes -------------*- C++ -*-===//
//
// One plane: ih x iw pixels of `lanes` contiguous int8 values each (the
// evaluator's NCHW planes have lanes = 1; the simulator's channel blocks
// have lanes = L), pooled per lane into oh x ow pixels. docs/numerics.md
// section 4, docs/isa.md 3.4.
//
//===----------------------------------------------------------------------===//
#ifndef DLPRT_KERNELS_POOL_H
#define DLPRT_KERNELS_POOL_H

#include "dlprt/kernels/Conv.h"

#include <cstdint>

namespace dlprt::kernels {

/// Max over the window's elements inside the plane (dilations dh, dw);
/// -128 where a window holds none. `rowMax` is scratch of iw * lanes.
void maxPoolPlane(const int8_t *x, int64_t lanes, const Window2D &w,
                  int8_t *rowMax, int8_t *y);

/// Average over the window's elements inside the plane (dilations must be
/// 1): avgDivide(sum, max(count, 1)) with count the number of those
/// elements or, with `includePad`, the window clipped to the padded extent
/// (bottom / right padding padB, padR), each factor at least 0.
void avgPoolPlane(const int8_t *x, int64_t lanes, const Window2D &w,
                  bool includePad, int64_t padB, int64_t padR, int8_t *y);

/// What a POOL instruction computes on one plane: maxPoolPlane (`max`,
/// with its scratch) or avgPoolPlane.
void poolPlane(const int8_t *x, int64_t lanes, const Window2D &w, bool max,
               bool includePad, int64_t padB, int64_t padR, int8_t *y);

} // namespace dlprt::kernels

#endif // DLPRT_KERNELS_POOL_H

"""Power-of-two 4-bit weight quantizer (the numeric contract shared with the compiler).

Windows are per OUTPUT CHANNEL (row of a Linear weight, output channel of a
Conv weight, i.e. index 0 of the weight tensor). For channel c:

    m  = max |W_c|
    m == 0  ->  the channel quantizes to all zeros (no window)
    n1 = floor(log2(4*m/3)),  n2 = n1 - 6        (7 exponents n2 .. n1)

A weight w of the channel quantizes to

    q = 0                           if |w| < 2^(n2-1)
    e = floor(log2|w|)
    e = e + 1                       if |w| >= 2^e * sqrt(2)   (rounding in the log domain)
    e = clamp(e, n2, n1)
    q = sign(w) * 2^e

The 4-bit code is a sign plus a 3-bit magnitude field whose value 0 is the
weight zero, leaving 7 magnitudes for 2^n2 .. 2^n1: ``c = s*8 + k``, value
``(-1)^s * 2^(n2 + k - 1)`` for k = 1..7 (:func:`pow2_encode` /
:func:`pow2_decode`). This is section 2.1 of ``docs/numerics.md`` and mirrors
``pow2WindowTop`` / ``pow2Exponent`` / ``pow2Encode`` of
``runtime/include/dlprt/Numerics.h`` (which reports n1 = 0 for an all-zero
channel; here such a channel has ``n1 = ZERO_CHANNEL``, the values are the same).

Arithmetic: everything is done in float64 on the float32 inputs and stored as
float32 (the results are exact powers of two). ``floor(log2(x))`` is taken
exactly from the binary exponent (``np.frexp``), never from a rounded
``log2``; ``4*m/3`` is evaluated as ``(4.0 * m) / 3.0`` (``4.0 * m`` is exact,
so this is the correctly rounded value of 4m/3); the rounding threshold is
``ldexp(sqrt(2) as float64, e)``, which no float32 weight can equal.

Consequences used by INQ: the channel maximum m always quantizes to exactly
2^n1 (m lies in [0.75 * 2^n1, 1.5 * 2^n1) and 0.75 > 1/sqrt(2)). A channel whose
weights are all in {0, +-2^n : n2 <= n <= n1} for a FIXED n1 (INQ's windows
come from the weights before retraining) is a fixed point of the quantizer with
windows recomputed from the channel itself -- what the compiler does with the
exported model: the recomputed n1' is its largest exponent k <= n1, and
k - 6 <= n1 - 6 <= every exponent present. :func:`check_pow2` checks both.

Self-test: ``PYTHONPATH=python /usr/bin/python3 -m dlp_kit.pow2`` runs
:func:`self_test` (zero channel, the 2^(n2-1) zero threshold, log-domain
rounding on both sides of sqrt(2), clamping at n1 and n2, negative weights,
the 4m/3 power-of-two edge, fixed points) and prints ``pow2 self-test: ok``.
"""

import math
import sys

import numpy as np

#: n1 entry of a channel whose weights are all zero (it has no window).
ZERO_CHANNEL = np.iinfo(np.int64).min

#: Number of exponents in a window (n2 = n1 - (LEVELS - 1)).
LEVELS = 7

_SQRT2 = math.sqrt(2.0)


def _floor_log2(x):
    """Exact floor(log2(x)) for positive float64 ``x`` (array)."""
    _, e = np.frexp(x)  # x = f * 2^e, f in [0.5, 1)
    return e.astype(np.int64) - 1


def window_n1(W):
    """Per-output-channel n1 = floor(log2(4*max|W_c|/3)) (int64 array);
    ``ZERO_CHANNEL`` where the channel is all zeros."""
    a = np.abs(_as_f64(W).reshape(len(W), -1)) if np.ndim(W) > 1 else np.abs(_as_f64(W))[:, None]
    m = a.max(axis=1) if a.shape[1] else np.zeros(len(a))
    n1 = np.full(len(m), ZERO_CHANNEL, dtype=np.int64)
    nz = m > 0
    n1[nz] = _floor_log2((4.0 * m[nz]) / 3.0)
    return n1


def _as_f64(W):
    if hasattr(W, "detach"):  # torch tensor
        W = W.detach().cpu().numpy()
    W = np.asarray(W)
    if W.dtype != np.float32 and W.dtype != np.float64:
        raise TypeError("pow2_quantize expects float32/float64 weights, got %s" % W.dtype)
    return W.astype(np.float64)


def pow2_quantize(W, n1=None):
    """Quantize ``W`` (numpy array or torch tensor, output channels on axis 0)
    to powers of two with per-output-channel windows.

    ``n1``: None to compute the windows from ``W`` (:func:`window_n1`), or a
    sequence of one int per output channel (``None``/``ZERO_CHANNEL`` = the
    channel quantizes to zeros) to use fixed windows, as INQ does.

    Returns ``(Q, n1)``: ``Q`` float32 with W's shape (a torch tensor if ``W``
    was one), ``n1`` an int64 numpy array.
    """
    is_torch = hasattr(W, "detach")
    w = _as_f64(W)
    if w.ndim == 0:
        raise ValueError("pow2_quantize needs at least one (channel) dimension")
    C = w.shape[0]
    flat = w.reshape(C, -1)
    if n1 is None:
        n1 = window_n1(w)
    else:
        n1 = np.array([ZERO_CHANNEL if v is None else int(v) for v in n1], dtype=np.int64)
        if n1.shape != (C,):
            raise ValueError("n1 has %d entries, weight has %d output channels" % (len(n1), C))
    live = n1 != ZERO_CHANNEL
    n1c = np.where(live, n1, 0)[:, None]
    n2c = n1c - (LEVELS - 1)

    a = np.abs(flat)
    pos = a > 0
    e = _floor_log2(np.where(pos, a, 1.0))
    e = e + (a >= np.ldexp(_SQRT2, e))
    e = np.clip(e, n2c, n1c)
    q = np.sign(flat) * np.ldexp(1.0, e)
    zero = (a < np.ldexp(1.0, n2c - 1)) | ~pos | ~live[:, None]
    q = np.where(zero, 0.0, q)
    q32 = q.astype(np.float32)
    if not np.array_equal(q32.astype(np.float64), q):
        raise OverflowError("power-of-two levels not representable in float32 (n1 %s)"
                            % sorted(set(n1[live].tolist())))
    q32 = q32.reshape(w.shape)
    if is_torch:
        import torch
        q32 = torch.from_numpy(q32)
    return q32, n1


def pow2_encode(W, n1=None):
    """4-bit codes (uint8, ``s*8 + k``) of ``W`` quantized with windows ``n1``
    (None: computed from ``W``); returns ``(codes, n1)``. Code 8 is never produced."""
    q, n1 = pow2_quantize(W if not hasattr(W, "detach") else W.detach().cpu().numpy(), n1)
    C = q.shape[0]
    flat = q.reshape(C, -1).astype(np.float64)
    n2 = np.where(n1 != ZERO_CHANNEL, n1, 0)[:, None] - (LEVELS - 1)
    nz = flat != 0
    k = np.where(nz, _floor_log2(np.where(nz, np.abs(flat), 1.0)) - n2 + 1, 0)
    codes = (np.where(flat < 0, 8, 0) + k).astype(np.uint8)
    return codes.reshape(q.shape), n1


def pow2_decode(codes, n1):
    """float32 weights of 4-bit ``codes`` (output channels on axis 0) in windows ``n1``."""
    codes = np.asarray(codes, dtype=np.uint8)
    C = codes.shape[0]
    flat = codes.reshape(C, -1).astype(np.int64)
    n1 = np.asarray([ZERO_CHANNEL if v is None else int(v) for v in n1], dtype=np.int64)
    if (((flat & 7) == 0) & (flat != 0)).any() or (flat > 15).any():
        raise ValueError("invalid pow2-4 code (8 or > 15)")
    n2 = np.where(n1 != ZERO_CHANNEL, n1, 0)[:, None] - (LEVELS - 1)
    k = flat & 7
    v = np.where(flat & 8, -1.0, 1.0) * np.ldexp(1.0, n2 + k - 1)
    return np.where(k == 0, 0.0, v).astype(np.float32).reshape(codes.shape)


def check_pow2(W, n1=None):
    """Return a list of problems (empty if none) with ``W`` as a pow2 weight.

    Checks that every weight of channel c is 0 or +-2^n with n2 <= n <= n1
    (``n1`` given: those windows; None: windows computed from ``W``), and that
    ``W`` is a fixed point of :func:`pow2_quantize` with windows recomputed
    from ``W`` itself, which is what the compiler does with the exported model.
    """
    w = _as_f64(W)
    C = w.shape[0]
    flat = w.reshape(C, -1)
    own = window_n1(w)
    n1 = own if n1 is None else np.array(
        [ZERO_CHANNEL if v is None else int(v) for v in n1], dtype=np.int64)
    problems = []
    for c in range(C):
        row = flat[c]
        nz = row[row != 0]
        if n1[c] == ZERO_CHANNEL:
            if nz.size:
                problems.append("channel %d: no window but %d nonzero weights" % (c, nz.size))
            continue
        mant, ex = np.frexp(np.abs(nz))
        if nz.size and not np.all(mant == 0.5):
            problems.append("channel %d: %d weights are not powers of two"
                            % (c, int((mant != 0.5).sum())))
            continue
        ex = ex - 1
        lo, hi = n1[c] - (LEVELS - 1), n1[c]
        if nz.size and (ex.min() < lo or ex.max() > hi):
            problems.append("channel %d: exponents %d..%d outside window %d..%d"
                            % (c, ex.min(), ex.max(), lo, hi))
    q, _ = pow2_quantize(w.astype(np.float32))
    if not np.array_equal(q.astype(np.float64), w):
        bad = np.flatnonzero((q.astype(np.float64) != w).reshape(C, -1).any(axis=1))
        problems.append("not a fixed point of pow2_quantize with its own windows "
                        "(channels %s, e.g. own n1 %s vs %s)"
                        % (bad[:8].tolist(), own[bad[:4]].tolist(), n1[bad[:4]].tolist()))
    return problems


def exponent_histogram(W, n1):
    """Counts of ``{"zero": k, "n1-0": k, "n1-1": k, ..., "n1-6": k}`` over ``W``."""
    w = _as_f64(W)
    C = w.shape[0]
    flat = w.reshape(C, -1)
    hist = {"zero": int((flat == 0).sum())}
    for d in range(LEVELS):
        hist["n1-%d" % d] = 0
    for c in range(C):
        nz = np.abs(flat[c][flat[c] != 0])
        if nz.size:
            d = n1[c] - (np.frexp(nz)[1] - 1)
            for k, v in zip(*np.unique(d, return_counts=True)):
                hist["n1-%d" % k] = hist.get("n1-%d" % k, 0) + int(v)
    return hist


def self_test():
    """Hand-checked cases of the contract; raises AssertionError on a mismatch."""
    f32 = np.float32

    def q1(row, n1=None):
        q, n = pow2_quantize(np.array([row], dtype=f32), n1)
        return q[0].tolist(), int(n[0])

    # Zero channel: all zeros, no window; with a fixed "no window" n1 as well.
    q, n = pow2_quantize(np.zeros((2, 3), f32))
    assert q.tolist() == [[0.0] * 3] * 2 and (n == ZERO_CHANNEL).all(), (q, n)
    q, n = pow2_quantize(np.array([[0.5, -0.2]], f32), [None])
    assert q.tolist() == [[0.0, 0.0]] and n[0] == ZERO_CHANNEL

    # m = 1: 4/3 -> n1 = 0, n2 = -6, zero threshold 2^-7 = 0.0078125.
    t = 2.0 ** -7
    row = [1.0, t, np.nextafter(f32(t), f32(0)), -t, 0.0]
    assert q1(row) == ([1.0, 2.0 ** -6, 0.0, -(2.0 ** -6), 0.0], 0), q1(row)

    # Log-domain rounding on both sides of sqrt(2) (e = -2: threshold 0.25*sqrt 2):
    # lo / hi are the float32 neighbours just below / at-or-above it.
    thr = 0.25 * math.sqrt(2.0)
    s = f32(thr)
    lo, hi = (np.nextafter(s, f32(0)), s) if s >= thr else (s, np.nextafter(s, f32(1)))
    assert lo < 0.25 * math.sqrt(2.0) <= hi
    got, n = q1([1.0, lo, hi, -lo, -hi])
    assert got == [1.0, 0.25, 0.5, -0.25, -0.5], got
    # Rounding is in the log domain, not to the nearest value: 0.36 -> 0.5
    # (nearest would be 0.25), 0.35 -> 0.25.
    assert q1([1.0, 0.36, 0.35])[0] == [1.0, 0.5, 0.25]

    # Clamping at n1: m = 1.4 -> n1 = floor(log2 1.8667) = 0; 1.4 < sqrt 2 -> 1;
    # with a fixed window n1 = -1 the same weights clamp to 0.5.
    assert q1([1.4, 1.0]) == ([1.0, 1.0], 0)
    assert q1([1.45, 1.0]) == ([1.0, 1.0], 0)  # 1.45 >= sqrt 2 rounds up to 2, clamps to 1
    assert q1([1.4, 1.0], n1=[-1]) == ([0.5, 0.5], -1)
    # Clamping at n2: n1 = 0, n2 = -6; 2^-7 * 1.2 is above the zero threshold
    # 2^-7 but rounds to e = -7 < n2, so it clamps up to 2^-6.
    assert q1([1.0, 1.2 * 2.0 ** -7, -1.2 * 2.0 ** -7])[0] == [1.0, 2.0 ** -6, -(2.0 ** -6)]

    # Window edge: m = 0.75 * 2^k makes 4m/3 exactly 2^k -> n1 = k; just below
    # gives k - 1. The maximum itself always maps to 2^n1.
    assert q1([0.75, 0.1]) == ([1.0, 0.125], 0)
    m = float(np.nextafter(f32(0.75), f32(0)))
    got, n = q1([m])
    assert n == -1 and got == [0.5], (got, n)
    # Negative maxima define the window too; signs are kept.
    # m = 2.5: n1 = floor(log2 3.33) = 1, n2 = -5, zero below 2^-6; -0.02 rounds
    # to e = -6 and clamps to n2.
    assert q1([-2.5, 0.3, -0.02, 0.015]) == ([-2.0, 0.25, -(2.0 ** -5), 0.0], 1)
    assert q1([-3.0, 0.3, -0.02]) == ([-4.0, 0.25, 0.0], 2)  # 3 >= 2*sqrt 2 -> 4

    # Worked example of docs/numerics.md section 6: max|W| = 0.9 -> n1 = 0; -0.3
    # -> -0.25, code s = 1, k = 5 -> 13.
    assert q1([0.9, -0.3]) == ([1.0, -0.25], 0)
    codes, _ = pow2_encode(np.array([[0.9, -0.3, 0.0, -1.0, 2.0 ** -6]], f32))
    assert codes.tolist() == [[7, 13, 0, 15, 1]], codes
    assert pow2_decode(codes, [0]).tolist() == [[1.0, -0.25, 0.0, -1.0, 2.0 ** -6]]

    # Per-channel windows on a Conv-shaped tensor (torch-free) and fixed points.
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((8, 4, 3, 3)) * np.logspace(-3, 1, 8)[:, None, None, None])
    W = W.astype(f32)
    W[3] = 0
    Q, n1 = pow2_quantize(W)
    assert Q.dtype == np.float32 and Q.shape == W.shape
    assert n1[3] == ZERO_CHANNEL and not Q[3].any()
    for c in (0, 1, 2, 4, 5, 6, 7):
        assert np.abs(Q[c]).max() == 2.0 ** n1[c]  # the maximum maps to 2^n1
    assert check_pow2(Q) == [] and check_pow2(Q, n1) == []
    Q2, n1b = pow2_quantize(Q)
    assert np.array_equal(Q2, Q) and np.array_equal(n1b, n1)
    codes, n1c = pow2_encode(W)
    assert codes.max() <= 15 and not (codes == 8).any() and not codes[3].any()
    assert np.array_equal(pow2_decode(codes, n1c), Q)
    # Exponents inside some window are a fixed point even if the channel lost
    # its 2^n1 level (its own, smaller window still covers them) ...
    half = Q.copy()
    half[0][np.abs(half[0]) == 2.0 ** n1[0]] /= 2
    assert check_pow2(half, n1) == [] and check_pow2(half) == []
    # ... but exponents outside the given window, or non-powers of two, are not.
    wide = Q.copy()
    wide[1, 0, 0, 0] = 2.0 ** (n1[1] - 7)
    assert check_pow2(wide, n1) and check_pow2(wide)
    assert check_pow2(Q * np.float32(1.5))
    # Linear-shaped (2-D) weights and torch tensors when torch is importable.
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    if torch is not None:
        Wt = torch.from_numpy(W.reshape(8, -1))
        Qt, n1t = pow2_quantize(Wt)
        assert isinstance(Qt, torch.Tensor) and np.array_equal(Qt.numpy(), Q.reshape(8, -1))
        assert np.array_equal(n1t, n1)
    return True


if __name__ == "__main__":
    self_test()
    print("pow2 self-test: ok")
    sys.exit(0)

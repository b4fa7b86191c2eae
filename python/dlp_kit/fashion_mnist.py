"""Fashion-MNIST loader for the IDX files shipped by Debian's dataset-fashion-mnist.

Files live in ``/usr/share/datasets/fashion-mnist/`` (override with the
``FASHION_MNIST_DIR`` environment variable or the ``root`` argument):

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz   (60000 samples)
    t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz    (10000 samples)

Images are returned as float32 arrays of shape N x 1 x 28 x 28 scaled to [0, 1]
(pixel / 255). Labels are int64 in [0, 9].

Optional normalization: ``load_images(..., normalize=True)`` additionally applies
``(x - FMNIST_MEAN) / FMNIST_STD`` with the training-set statistics below
(computed over the 60000 training images after the /255 scaling). The CNN in
``train_fmnist_cnn.py`` does NOT use this; it consumes the plain [0, 1] images,
so that is what ``images.npy`` written by the CLI contains.

CLI (run with PYTHONPATH=python):

    /usr/bin/python3 -m dlp_kit.fashion_mnist --split test --out DIR [--limit N]

writes ``DIR/images.npy`` (float32, N x 1 x 28 x 28, in [0, 1]) and
``DIR/labels.npy`` (int64, N).
"""

import argparse
import gzip
import os
import sys

import numpy as np

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"

#: Mean / std of the training images after scaling to [0, 1].
FMNIST_MEAN = 0.2860
FMNIST_STD = 0.3530

CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

_SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}

# IDX magic: 0x00 0x00 <type code> <ndim>; type 0x08 = unsigned byte.
_IDX_UBYTE = 0x08
_MAGIC_IMAGES = 0x00000803  # ubyte, 3 dims
_MAGIC_LABELS = 0x00000801  # ubyte, 1 dim


class IdxFormatError(ValueError):
    """Raised when an IDX file is malformed (bad magic, dims or size)."""


def _root(root=None):
    return root or os.environ.get("FASHION_MNIST_DIR") or DEFAULT_ROOT


def _find(root, stem):
    """Return the path of ``stem`` or ``stem.gz`` in ``root``."""
    for name in (stem + ".gz", stem):
        p = os.path.join(root, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(
        "Fashion-MNIST file %r(.gz) not found in %s (install Debian package "
        "dataset-fashion-mnist or set FASHION_MNIST_DIR)" % (stem, root))


def _read_bytes(path):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise IdxFormatError("%s: cannot read/decompress: %s" % (path, e)) from e


def read_idx(path, expected_magic=None, expected_shape=None):
    """Read an unsigned-byte IDX file and return a uint8 ndarray.

    Validates the magic number (optionally against ``expected_magic``), that
    the payload size equals the product of the header dims exactly, and
    (optionally) the dims against ``expected_shape`` (``None`` entries match
    anything). Raises :class:`IdxFormatError` with a clear message otherwise.
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise IdxFormatError("%s: file too short for an IDX header (%d bytes)"
                             % (path, len(data)))
    magic = int.from_bytes(data[0:4], "big")
    zero, dtype_code, ndim = magic >> 16, (magic >> 8) & 0xFF, magic & 0xFF
    if zero != 0 or dtype_code != _IDX_UBYTE or ndim == 0:
        raise IdxFormatError(
            "%s: bad IDX magic 0x%08x (expected 0x0000080N for unsigned-byte data)"
            % (path, magic))
    if expected_magic is not None and magic != expected_magic:
        raise IdxFormatError("%s: IDX magic 0x%08x, expected 0x%08x"
                             % (path, magic, expected_magic))
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxFormatError("%s: truncated IDX header (%d dims need %d bytes, have %d)"
                             % (path, ndim, header, len(data)))
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    count = 1
    for d in dims:
        count *= d
    payload = len(data) - header
    if payload != count:
        raise IdxFormatError("%s: IDX dims %s need %d data bytes, file has %d"
                             % (path, dims, count, payload))
    if expected_shape is not None:
        ok = len(dims) == len(expected_shape) and all(
            e is None or e == d for d, e in zip(dims, expected_shape))
        if not ok:
            raise IdxFormatError("%s: IDX dims %s, expected %s"
                                 % (path, dims, tuple(expected_shape)))
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _check_split(split):
    if split not in _SPLITS:
        raise ValueError("split must be one of %s, got %r" % (sorted(_SPLITS), split))
    return _SPLITS[split]


def load_images_uint8(split="test", root=None):
    """Raw images, uint8, shape N x 28 x 28."""
    img_stem, _, n = _check_split(split)
    return read_idx(_find(_root(root), img_stem), _MAGIC_IMAGES, (n, 28, 28))


def load_images(split="test", root=None, limit=None, normalize=False):
    """Images as float32 N x 1 x 28 x 28 in [0, 1].

    With ``normalize=True`` returns ``(x - FMNIST_MEAN) / FMNIST_STD`` instead.
    ``limit`` keeps only the first ``limit`` samples.
    """
    raw = load_images_uint8(split, root)
    if limit is not None:
        raw = raw[:limit]
    x = raw.astype(np.float32)[:, None, :, :] / np.float32(255.0)
    if normalize:
        x = (x - np.float32(FMNIST_MEAN)) / np.float32(FMNIST_STD)
    return np.ascontiguousarray(x, dtype=np.float32)


def load_labels(split="test", root=None, limit=None):
    """Labels as int64, shape N, values 0..9."""
    _, lbl_stem, n = _check_split(split)
    y = read_idx(_find(_root(root), lbl_stem), _MAGIC_LABELS, (n,))
    if limit is not None:
        y = y[:limit]
    if y.size and int(y.max()) > 9:
        raise IdxFormatError("label file for split %r has label %d > 9" % (split, int(y.max())))
    return y.astype(np.int64)


def load(split="test", root=None, limit=None, normalize=False):
    """Return ``(images, labels)``; see :func:`load_images` / :func:`load_labels`."""
    return (load_images(split, root, limit, normalize),
            load_labels(split, root, limit))


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python3 -m dlp_kit.fashion_mnist",
        description="Write Fashion-MNIST images.npy (float32 Nx1x28x28 in [0,1]) "
                    "and labels.npy (int64 N).")
    ap.add_argument("--split", choices=sorted(_SPLITS), default="test")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--limit", type=int, default=None, help="keep the first N samples")
    ap.add_argument("--root", default=None,
                    help="dataset directory (default $FASHION_MNIST_DIR or %s)" % DEFAULT_ROOT)
    ap.add_argument("--normalize", action="store_true",
                    help="apply (x-%.4f)/%.4f (default: plain [0,1])" % (FMNIST_MEAN, FMNIST_STD))
    args = ap.parse_args(argv)
    if args.limit is not None and args.limit < 0:
        ap.error("--limit must be >= 0")
    try:
        x, y = load(args.split, args.root, args.limit, args.normalize)
    except (IdxFormatError, FileNotFoundError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "images.npy"), x)
    np.save(os.path.join(args.out, "labels.npy"), y)
    print("wrote %d %s samples to %s (images %s %s, labels %s %s)"
          % (len(y), args.split, args.out, x.shape, x.dtype, y.shape, y.dtype))
    return 0


if __name__ == "__main__":
    sys.exit(main())

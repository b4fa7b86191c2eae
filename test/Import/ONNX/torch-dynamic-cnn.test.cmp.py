"""Compares pairs OURS.npy TORCH.npy: shapes equal and
max |ours - torch| <= 1e-4 * max(1, max |torch|) (float arithmetic in another
order); prints "<shape> ok" or the worst difference per pair."""
import sys

import numpy as np

ok = True
for ours_path, ref_path in zip(sys.argv[1::2], sys.argv[2::2]):
    ours, ref = np.load(ours_path), np.load(ref_path)
    bound = 1e-4 * max(1.0, float(np.abs(ref).max()))
    diff = float(np.abs(ours.astype(np.float64) - ref).max()) \
        if ours.shape == ref.shape else float("inf")
    good = diff <= bound
    ok &= good
    print(ref.shape, "ok" if good else "FAIL: ours %s max |diff| %g > %g"
          % (ours.shape, diff, bound))
sys.exit(0 if ok else 1)

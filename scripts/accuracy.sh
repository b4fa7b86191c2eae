#!/usr/bin/env bash
# accuracy.sh - set up, build, and print the Fashion-MNIST accuracy table:
# every bundled model (float, post-training quantized, INQ, sparse) through
# our evaluators and, compiled for the DLP, on the functional simulator, on
# the 10,000 test images (python/dlp_kit/accuracy_table.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh dlpc dlp-eval dlp-run
BUILD=${BUILD_DIR:-build}
PYTHONPATH=python exec /usr/bin/python3 -m dlp_kit.accuracy_table \
  --bin "$BUILD/bin" --work "$BUILD/accuracy" "$@"

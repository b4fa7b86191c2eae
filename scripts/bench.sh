#!/bin/bash
# Benchmarks (printed tables, nothing asserted):
#   scripts/bench.sh [float_bench.py options, e.g. --models resnet18,squeezenet1_1]
# Builds the tools, installs the onnxruntime-node peer into $BUILD_DIR/bench-node
# (its post-install download is skipped: the package ships the Linux x64
# binaries), exports the torchvision models on first use, then runs
# bench/float_bench.py, bench/quant_bench.py and bench/dlp_bench.py (dlpc
# compile time and simulator latency / RSS on hw/configs/large.json).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="$(realpath -m "${BUILD_DIR:-build}")"
bash "$ROOT/scripts/build.sh" dlp-eval dlpc dlp-run
NODE_DIR="$BUILD_DIR/bench-node"
if [ ! -f "$NODE_DIR/node_modules/onnxruntime-node/package.json" ] ||
   ! cmp -s "$ROOT/bench/package.json" "$NODE_DIR/package.json"; then
  mkdir -p "$NODE_DIR"
  cp "$ROOT/bench/package.json" "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error)
fi
/usr/bin/python3 "$ROOT/bench/float_bench.py" --build "$BUILD_DIR" "$@"
/usr/bin/python3 "$ROOT/bench/quant_bench.py" --build "$BUILD_DIR" "$@"
exec /usr/bin/python3 "$ROOT/bench/dlp_bench.py" --build "$BUILD_DIR" "$@"

#!/usr/bin/env bash
# build.sh [TARGET...] - install what is missing, configure and build (all
# targets by default) in ${BUILD_DIR:-build}. Shared by run-main.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD=${BUILD_DIR:-build}
cmake -G Ninja -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null
ninja -C "$BUILD" "$@"

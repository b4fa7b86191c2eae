#!/bin/bash
# The large config's RTL core (hw/configs/large.json, 64x64 PEs), opt-in:
# configures a build directory of its own (default build-rtl-large) whose
# RTL package and dlp-run --backend=rtl are generated from large.json
# (DLP_HW_CONFIG, hw/CMakeLists.txt), builds the tools and the Verilated
# core, and runs the `rtl` tests there: the bundled Fashion-MNIST models
# (dense and CSR) on the 64x64 core, every tensor bit-identical with the
# functional simulator and every layer's cycles within 5 % of the cycle
# model, and the lint of hw/rtl with large's package.
#
#   bash scripts/test-rtl-large.sh [build dir]
#
# Slow: the Verilated core is about 86 MB of C++ (compiled at -O1 with
# DLP_RTL_BUILD_JOBS jobs, default 2); the unit testbenches are left out
# (DLP_RTL_UNIT_TESTS=OFF: hw/README.md says which ran on large.json).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-rtl-large}
command -v verilator >/dev/null || { echo "test-rtl-large: verilator not found" >&2; exit 1; }
cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
  -DDLP_HW_CONFIG="$ROOT/hw/configs/large.json" -DDLP_RTL_UNIT_TESTS=OFF \
  -DDLP_RTL_CXX_OPT=-O1 -DDLP_RTL_BUILD_JOBS="${DLP_RTL_BUILD_JOBS:-2}" >/dev/null
ninja -C "$BUILD" dlpc dlp-run dlp-translate dlp-eval dlp-hwgen
ctest --test-dir "$BUILD" -L rtl --output-on-failure

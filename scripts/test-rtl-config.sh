#!/bin/bash
# The RTL core of any target config, opt-in: configures a build directory
# of its own (default build-rtl-<config name>) whose RTL package and
# dlp-run --backend=rtl are generated from the config (DLP_HW_CONFIG,
# hw/CMakeLists.txt), builds the tools and the Verilated core, and runs the
# `rtl` tests there: the bundled Fashion-MNIST models (dense and CSR, and
# on a window-sparse target pruned balanced for it, as GEMM_WIN) on that
# core, every tensor bit-identical with the functional simulator and every
# layer's cycles within 5 % of the cycle model, and the lint of hw/rtl with
# the config's package. The unit testbenches and the second core for
# small-win.json are left out (DLP_RTL_UNIT_TESTS=OFF, DLP_RTL_WIN_CORE=OFF:
# the default build runs them).
#
#   bash scripts/test-rtl-config.sh hw/configs/small-win.json [build dir]
#
# Environment: DLP_RTL_CXX_OPT (C++ optimization of the Verilated core,
# default -O2), DLP_RTL_BUILD_JOBS (its compile jobs, default 2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONFIG=${1:?usage: test-rtl-config.sh CONFIG.json [build dir]}
CONFIG=$(cd "$(dirname "$CONFIG")" && pwd)/$(basename "$CONFIG")
NAME=$(basename "$CONFIG" .json)
BUILD=${2:-$ROOT/build-rtl-$NAME}
command -v verilator >/dev/null || { echo "test-rtl-config: verilator not found" >&2; exit 1; }
cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
  -DDLP_HW_CONFIG="$CONFIG" -DDLP_RTL_UNIT_TESTS=OFF -DDLP_RTL_WIN_CORE=OFF \
  -DDLP_RTL_CXX_OPT="${DLP_RTL_CXX_OPT:--O2}" \
  -DDLP_RTL_BUILD_JOBS="${DLP_RTL_BUILD_JOBS:-2}" >/dev/null
ninja -C "$BUILD" dlpc dlp-run dlp-translate dlp-eval dlp-hwgen dlp-cfg-pkg
ctest --test-dir "$BUILD" -L rtl --output-on-failure

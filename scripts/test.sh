#!/usr/bin/env bash
# test.sh - configure, build and run every test suite (the README's test
# command). Ends with ctest's summary line, which counts every suite:
# lit (dialect, passes, importer), unit tests, ONNX node tests, and the
# torchvision model tests. Set DLP_TEST_SLOW=1 to include the `slow` label
# (resnet50, alexnet, vgg16).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
BUILD=${BUILD_DIR:-build}
cd "$BUILD"
if [[ "${DLP_TEST_SLOW:-0}" == 1 ]]; then
  ctest --output-on-failure
else
  ctest --output-on-failure -LE slow
fi

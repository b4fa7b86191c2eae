#!/usr/bin/env bash
# run-main.sh - set up, build, and run the main job on bundled data: import the
# bundled Fashion-MNIST CNN (python/models/fmnist_cnn.onnx) and evaluate it with
# the float reference evaluator on the 10,000 test images of Debian's
# dataset-fashion-mnist, printing accuracy and latency.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh dlp-eval dlp-translate dlp-opt
BUILD=${BUILD_DIR:-build}
WORK="$BUILD/main-job"
mkdir -p "$WORK"
PYTHONPATH=python /usr/bin/python3 -m dlp_kit.fashion_mnist --split test \
  --out "$WORK" >/dev/null
MODEL=python/models/fmnist_cnn.onnx
"$BUILD/bin/dlp-translate" --import-onnx "$MODEL" -o "$WORK/model.mlir"
echo "imported $MODEL -> $WORK/model.mlir ($(grep -c ' nn\.' "$WORK/model.mlir") nn ops)"
"$BUILD/bin/dlp-eval" "$MODEL" --input "$WORK/images.npy" \
  --output "$WORK/logits.npy" --time
/usr/bin/python3 - "$WORK" <<'PY'
import sys, numpy as np
w = sys.argv[1]
logits = np.load(w + "/logits.npy"); labels = np.load(w + "/labels.npy")
acc = (logits.argmax(1) == labels).mean() * 100
print(f"Fashion-MNIST test accuracy (float evaluator, {len(labels)} images): {acc:.2f} %")
PY

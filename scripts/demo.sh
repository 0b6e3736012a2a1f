#!/usr/bin/env bash
# The main job, from a fresh clone: install, compile a bundled example to one ONNX file holding
# every width configuration, show what it holds, then run it under a budget. Then a trained model:
# MultiMNIST compiled from the shipped weights and measured profile (examples/trained/multimnist/),
# real test digit pairs under two budgets, predictions next to the true digits.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
[ -d node_modules ] || npm ci --no-fund --no-audit
mkdir -p out
node cli/bin.js check examples/nyud.mtl
node cli/bin.js compile examples/nyud.mtl -o out/nyud.onnx
node cli/bin.js info out/nyud.onnx | head -30
node cli/bin.js run out/nyud.onnx --random --budget 50% --prefer semseg=3,depth=1,normals=1

# The trained model: weights and the accuracy profile measured on 10,000 test pairs go into one file.
shipped=examples/trained/multimnist
node cli/bin.js compile examples/multimnist.mtl -o out/multimnist.onnx \
  --weights $shipped/weights.safetensors --profile $shipped/profile.json
node cli/bin.js run out/multimnist.onnx --input $shipped/digits/test/image/0000.png --budget 30%
node_modules/.bin/tsx scripts/demo-digits.ts out/multimnist.onnx $shipped/digits 12 30% 100%

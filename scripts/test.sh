#!/usr/bin/env bash
# The test command: installs what the tests need (npm packages; Debian's python3-onnx,
# python3-torch, python3-torchvision and chromium for the independent checks), then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test

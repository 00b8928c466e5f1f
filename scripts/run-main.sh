#!/usr/bin/env bash
# Command 1 of the README: install what is needed, build, run the main job on the embedded
# default (Debian's fortunes corpus, a small GPT-2 from scratch; no download, no GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
LATHE_CMAKE_ARGS="${LATHE_CMAKE_ARGS:--DLATHE_BUILD_TESTS=OFF -DLATHE_BUILD_BENCH=OFF}" \
  LATHE_BUILD_DIR="${LATHE_BUILD_DIR:-build-main}" bash scripts/build.sh --target lathe-train
"${LATHE_BUILD_DIR:-build-main}/app/lathe-train" "$@"

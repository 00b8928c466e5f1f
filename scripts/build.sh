#!/usr/bin/env bash
# Configures and builds into build/ (or $LATHE_BUILD_DIR). Extra arguments go to `cmake --build`,
# e.g. `--target lathe-train`. Two jobs: the reference machine has two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${LATHE_BUILD_DIR:-build}"
JOBS="${LATHE_JOBS:-2}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${LATHE_CMAKE_ARGS:-}
fi
cmake --build "$BUILD_DIR" -j "$JOBS" "$@"

#!/usr/bin/env bash
# Command 2 of the README: install what is needed, build everything, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd "${LATHE_BUILD_DIR:-build}"
ctest --output-on-failure -j "${LATHE_JOBS:-2}" "$@"

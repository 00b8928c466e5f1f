#!/usr/bin/env bash
# "Install on host" (docs/remote.md): run on a Debian/Ubuntu node from an unpacked source tree.
# Installs the packages a worker needs (scripts/setup.sh --headless), builds lathe-train and
# lathe-supervisor without Qt and copies them into PREFIX/bin. Lines "@@lathe phase NAME" mark
# the steps for the studio's progress view.
#   LATHE_INSTALL_TARGETS  what to build and install (default: lathe-train lathe-supervisor)
#   LATHE_JOBS             parallel compile jobs (default: the node's CPU count)
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${1:?usage: scripts/install-node.sh PREFIX}"
TARGETS="${LATHE_INSTALL_TARGETS:-lathe-train lathe-supervisor}"
JOBS="${LATHE_JOBS:-$(nproc)}"
BUILD_DIR=build-node

echo "@@lathe phase setup"
bash scripts/setup.sh --headless

echo "@@lathe phase configure"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATHE_BUILD_UI=OFF \
    -DLATHE_BUILD_TESTS=OFF -DLATHE_BUILD_BENCH=OFF
fi

echo "@@lathe phase build"
# shellcheck disable=SC2086 # TARGETS is a list of words
cmake --build "$BUILD_DIR" -j "$JOBS" --target $TARGETS

echo "@@lathe phase install"
mkdir -p "$PREFIX/bin"
for target in $TARGETS; do
  # Copied then renamed: a run starting meanwhile sees the old binary or the new one, whole.
  install -m 755 "$BUILD_DIR/app/$target" "$PREFIX/bin/.$target.new"
  mv -f "$PREFIX/bin/.$target.new" "$PREFIX/bin/$target"
  echo "installed $PREFIX/bin/$target"
done

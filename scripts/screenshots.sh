#!/usr/bin/env bash
# Regenerates the README's screenshot of the studio (docs/images/studio.png) under Xvfb: trains a
# short run to the end and starts a longer one in a throwaway registry, then lets lathe-studio
# grab its own window. Needs a build (scripts/build.sh) and xvfb (scripts/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${LATHE_BUILD_DIR:-build}"
LATHE="$BUILD_DIR/app/lathe"
STUDIO="$BUILD_DIR/app/lathe-studio"
work="$(mktemp -d)"
export LATHE_REGISTRY="$work/registry.sqlite3"
# A fresh QSettings: the window opens at its default size, not at the last one used here.
export XDG_CONFIG_HOME="$work/config"
cleanup() {
  for id in $("$LATHE" --json runs list | sed -n 's/^ *"id": "\(.*\)",$/\1/p'); do
    "$LATHE" runs kill "$id" > /dev/null 2>&1 || true
  done
  sleep 2  # the supervisors record the kills before the folder goes
  rm -rf "$work" || true
}
trap cleanup EXIT

first=$("$LATHE" train --name short-run --max_steps 60 --logging_steps 2 --eval_strategy steps \
  --eval_steps 20 --save_steps 20)
"$LATHE" runs logs -f "$first" > /dev/null
second=$("$LATHE" train --name embedded-default --max_steps 600 --logging_steps 2 \
  --eval_strategy steps --eval_steps 20 --save_steps 40 --learning_rate 1e-3)
sleep 40  # let the second run log a few dozen steps

mkdir -p docs/images
xvfb-run -a -s "-screen 0 1600x1000x24" "$STUDIO" --select "$second" \
  --screenshot docs/images/studio.png --screenshot-delay-ms 6000
echo "wrote docs/images/studio.png"

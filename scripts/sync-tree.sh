#!/usr/bin/env bash
# Makes the tree DEST hold exactly the files of SRC, touching only what differs: a changed file
# is copied with a fresh mtime, a file gone from SRC is deleted, an unchanged one is left alone,
# so that the build folder inside DEST (build-node/, kept) rebuilds only what changed. Used by
# "Install on host" (remote/runs/host_install.cpp) after unpacking a new source archive, whose
# files all carry mtime 0 (the archive is reproducible) and so cannot be trusted by make/ninja.
#   scripts/sync-tree.sh SRC DEST
set -euo pipefail
SRC="${1:?usage: sync-tree.sh SRC DEST}"
DEST="${2:?usage: sync-tree.sh SRC DEST}"
mkdir -p "$DEST"
changed=0
while IFS= read -r -d '' f; do
  if ! cmp -s "$SRC/$f" "$DEST/$f"; then
    mkdir -p "$DEST/$(dirname "$f")"
    cp -f "$SRC/$f" "$DEST/$f.lathe-new"
    chmod --reference="$SRC/$f" "$DEST/$f.lathe-new"
    mv -f "$DEST/$f.lathe-new" "$DEST/$f"
    changed=$((changed + 1))
  fi
done < <(cd "$SRC" && find . -type f -print0)
removed=0
while IFS= read -r -d '' f; do
  if [ ! -e "$SRC/$f" ]; then
    rm -f "$DEST/$f"
    removed=$((removed + 1))
  fi
done < <(cd "$DEST" && find . -path ./build-node -prune -o -type f -print0)
echo "source: $changed file(s) new or changed, $removed removed"

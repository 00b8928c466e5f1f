#!/usr/bin/env bash
# Lathe's tokenizer against Python `tokenizers` 0.20.3 on the embedded corpus, same run, same text.
# Python's side runs in bench/.venv (created here from PyPI on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${LATHE_BUILD_DIR:-build}"
bash scripts/build.sh --target bench_tokenizer >/dev/null
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q "tokenizers==0.20.3"
fi
out=$(mktemp -d)
for tok in gpt2-style llama3-style; do
  json=tests/fixtures/tokenizer/$tok/tokenizer.json
  lathe=$("$BUILD_DIR/bench/bench_tokenizer" "$json" "$out/docs.json")
  python=$(bench/.venv/bin/python bench/tokenizer_bench.py "$json" "$out/docs.json")
  python3 - "$tok" "$lathe" "$python" <<'PY'
import json, sys
name, lathe, py = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
mb = lathe["bytes"] / 1e6
print(f"{name}: {lathe['documents']} documents, {mb:.2f} MB")
for mode in ("single", "batch"):
    l, p = lathe[f"{mode}_seconds"], py[f"{mode}_seconds"]
    same = "same token count" if lathe[f"{mode}_tokens"] == py[f"{mode}_tokens"] else \
        f"TOKEN COUNTS DIFFER {lathe[f'{mode}_tokens']} vs {py[f'{mode}_tokens']}"
    print(f"  {mode:6s} lathe {mb / l:7.2f} MB/s   tokenizers {mb / p:7.2f} MB/s   "
          f"ratio {p / l:5.2f}   ({same})")
PY
done
rm -rf "$out"

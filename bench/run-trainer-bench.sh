#!/usr/bin/env bash
# Training throughput of lathe's Trainer against Hugging Face's Trainer: same model, initial
# weights, data and arguments, same CPU, same run. Python's side uses Debian's python3-torch
# (the same libtorch 1.13 kernels as lathe) with transformers 4.46.3 in bench/.venv-trainer.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${LATHE_BUILD_DIR:-build}"
bash scripts/build.sh --target bench_trainer >/dev/null
if ! dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q "install ok installed"; then
  apt-get install -y -qq python3-torch python3-venv >/dev/null
fi
if [ ! -x bench/.venv-trainer/bin/python ]; then
  /usr/bin/python3 -m venv --system-site-packages bench/.venv-trainer
  bench/.venv-trainer/bin/pip install -q "transformers==4.46.3" "accelerate==1.1.1" "safetensors==0.4.5"
fi
dir=$(mktemp -d)
# 40 steps; the last 35 are also timed alone (steady state, after 5 warm-up steps).
bench/.venv-trainer/bin/python bench/trainer_bench.py prepare "$dir" --warmup 5
for i in 1 2 3; do
  lathe=$("$BUILD_DIR/bench/bench_trainer" "$dir")
  hf=$(bench/.venv-trainer/bin/python bench/trainer_bench.py run "$dir" 2>/dev/null | tail -1)
  python3 - "$lathe" "$hf" <<'PY'
import json, sys
l, h = json.loads(sys.argv[1]), json.loads(sys.argv[2])
lt, ht = l["tokens"] / l["seconds"], h["tokens"] / h["seconds"]
ls, hs = l["timed_tokens"] / l["timed_seconds"], h["timed_tokens"] / h["timed_seconds"]
print(f"GPT-2 4x128, 40 steps x 16 x 128 tokens: lathe {lt:8.0f} tok/s   HF Trainer {ht:8.0f} tok/s   "
      f"ratio {lt / ht:.2f}   steps 6-40 alone: {ls:8.0f} vs {hs:8.0f} tok/s, ratio {ls / hs:.2f}   "
      f"(threads {l['torch_threads']}/{h['torch_threads']})")
PY
done
rm -rf "$dir"

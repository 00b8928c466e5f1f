#!/usr/bin/env bash
# Single-GPU training throughput and MFU (issue 7): GPT-2 124M from scratch in bf16, blocks of
# 1024 tokens, lathe's Trainer against Hugging Face's Trainer on the same GPU, initial weights,
# data and arguments, in the same run, alternated twice. Both are timed over the steps after a
# warm-up, between two CUDA synchronisations.
#
#   bench/run-gpu-bench.sh PYTHON [BUILD_DIR]
#
# PYTHON has torch with CUDA and transformers (the GPU machine's own); lathe is built against
# that torch's libtorch (scripts/configure-libtorch2.sh). Without a GPU it says so and exits 0.
# MFU = tokens/s x FLOPs per token / the GPU's peak dense bf16 FLOP/s; FLOPs per token are
# 6 N + 12 L H T (N parameters, L layers, H hidden size, T block: PaLM's appendix B count, as
# nanoGPT's estimate_mfu). The peak comes from the device name (H100 SXM/H200 989 TFLOP/s, H100
# PCIe 756, A100 312,
# L40S 362, RTX 4090 165) or PEAK_TFLOPS. Sizes: STEPS (30), WARMUP (10), BATCH (16), BLOCK (1024).
# LATHE_BENCH_SIZE=tiny LATHE_BENCH_DEVICE=cpu runs the same plumbing on a CPU (checked so).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:?usage: bench/run-gpu-bench.sh PYTHON [BUILD_DIR]}
BUILD_DIR=${2:-build-gpu-bench}
DEVICE=${LATHE_BENCH_DEVICE:-cuda}
SIZE=${LATHE_BENCH_SIZE:-124m}
if [ "$DEVICE" = cuda ] && ! "$PYTHON" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
  echo "run-gpu-bench: no CUDA device visible to $PYTHON's torch; nothing to measure"
  exit 0
fi
# One GPU for both sides: Transformers' Trainer would wrap the model in DataParallel over every
# visible GPU and take a batch per GPU.
export CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-0}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  bash scripts/configure-libtorch2.sh "$PYTHON" "$BUILD_DIR" -DLATHE_BUILD_BENCH=ON
else
  cmake -DLATHE_BUILD_BENCH=ON "$BUILD_DIR" >/dev/null
fi
ninja -C "$BUILD_DIR" -j "${JOBS:-$(nproc)}" bench/bench_trainer >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$PYTHON" bench/trainer_bench.py prepare "$dir" --size "$SIZE" --steps "${STEPS:-30}" \
  --warmup "${WARMUP:-10}" --batch "${BATCH:-16}" --block "${BLOCK:-1024}"
for attempt in 1 2; do
  lathe=$("$BUILD_DIR/bench/bench_trainer" "$dir" --device "$DEVICE" --bf16)
  if ! hf=$("$PYTHON" bench/trainer_bench.py run "$dir" --device "$DEVICE" --bf16 2>"$dir/hf.log"); then
    cat "$dir/hf.log" >&2
    exit 1
  fi
  hf=$(printf '%s\n' "$hf" | tail -1)
  "$PYTHON" - "$dir" "$lathe" "$hf" <<'PY'
import json, os, sys
bench = json.load(open(os.path.join(sys.argv[1], "bench.json")))
model = json.load(open(os.path.join(sys.argv[1], "model", "config.json")))
lathe, hf = json.loads(sys.argv[2]), json.loads(sys.argv[3])
assert lathe["parameters"] == hf["parameters"], (lathe["parameters"], hf["parameters"])
n, layers, hidden, block = hf["parameters"], model["n_layer"], model["n_embd"], bench["block"]
flops_per_token = 6 * n + 12 * layers * hidden * block
name = hf["device"]
peaks = {"H200": 989, "H100 PCIe": 756, "H100": 989, "A100": 312, "L40S": 362, "4090": 165}
peak = float(os.environ.get("PEAK_TFLOPS", 0)) or next(
    (v for k, v in peaks.items() if k in name), 0)
def figures(side):
    tps = side["timed_tokens"] / side["timed_seconds"]
    mfu = f"MFU {100 * tps * flops_per_token / (peak * 1e12):5.1f}%" if peak else "MFU ? (set PEAK_TFLOPS)"
    return tps, mfu
lt, lmfu = figures(lathe)
ht, hmfu = figures(hf)
print(f"GPT-2 {n / 1e6:.0f}M bf16, {bench['batch']} x {block} tokens, steps {bench['warmup_steps'] + 1}-"
      f"{bench['steps']} on {name}: lathe {lt:9.0f} tok/s {lmfu}   HF Trainer {ht:9.0f} tok/s {hmfu}   "
      f"ratio {lt / ht:.2f}   (torch {hf['torch']}, transformers {hf['transformers']})")
PY
done

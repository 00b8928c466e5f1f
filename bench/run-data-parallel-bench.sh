#!/usr/bin/env bash
# Data-parallel scaling on CPU (issue 7): tokens/s of lathe-train with 1 rank against 2 Gloo ranks
# (--nproc-per-node 2), each rank one thread and the same per-rank batch, in the same run.
# Efficiency = tokens/s(2 ranks) / (2 x tokens/s(1 rank)); 1.0 is perfect scaling. The reference
# of a 2-core machine: both ranks share the cores with the gradient all-reduce.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${LATHE_BUILD_DIR:-build}"
bash scripts/build.sh --target lathe-train >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
with open(f"{d}/corpus.txt", "w") as f:
    for i in range(6000):
        f.write(f"Paragraph {i}: the quick brown fox jumps over the lazy dog {i % 7} times, "
                f"and the {i % 13} cats watch it from the {i % 5} walls.\n\n")
json.dump({"name": "dp-bench",
           "model": {"preset": "gpt2-tiny",
                     "config_overrides": {"n_embd": 128, "n_layer": 4, "n_head": 4,
                                          "n_positions": 128}},
           "tokenizer": {"byte_level": True},
           "dataset": {"train_files": ["corpus.txt"], "block_size": 128},
           "training_args": {"max_steps": 30, "per_device_train_batch_size": 8,
                             "logging_steps": 10, "save_strategy": "no", "seed": 1,
                             "use_cpu": True}},
          open(f"{d}/run.json", "w"))
PY
tokens_per_second() {  # run dir -> tokens/s over the steps after the first log (warm-up excluded)
  python3 - "$1" <<'PY'
import json, sys
logs = [json.loads(l) for l in open(sys.argv[1] + "/events.jsonl")]
logs = [e for e in logs if e["type"] == "log"]
print(sum(e["tokens_per_second"] for e in logs[1:]) / len(logs[1:]))
PY
}
for attempt in 1 2; do
  OMP_NUM_THREADS=1 "$BUILD_DIR/app/lathe-train" --no-progress --config "$dir/run.json" \
    --run-dir "$dir/one-$attempt" >/dev/null
  OMP_NUM_THREADS=1 "$BUILD_DIR/app/lathe-train" --no-progress --config "$dir/run.json" \
    --run-dir "$dir/two-$attempt" --nproc-per-node 2 >/dev/null
  one=$(tokens_per_second "$dir/one-$attempt")
  two=$(tokens_per_second "$dir/two-$attempt")
  python3 - "$one" "$two" <<'PY'
import sys
one, two = float(sys.argv[1]), float(sys.argv[2])
print(f"GPT-2 4x128, 8 x 128 tokens per rank, 1 thread per rank: 1 rank {one:8.0f} tok/s   "
      f"2 ranks (Gloo) {two:8.0f} tok/s   speed-up {two / one:.2f}   efficiency {two / (2 * one):.2f}")
PY
done

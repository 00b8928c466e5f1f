#!/usr/bin/env bash
# Builds lathe-train against a libtorch 2.x (a pip-installed torch's, with CUDA) and smoke-tests
# it on the CPU (use_cpu): training with evaluation and checkpoints, an exact resume, and two Gloo
# ranks; then a bf16 run on the GPU where there is one (on the CPU otherwise).
#
#   scripts/check-libtorch2.sh PYTHON [BUILD_DIR]
#
# PYTHON is an interpreter whose `import torch` works (e.g. a venv with torch==2.5.1). Debian's
# libtorch 1.13 stays the default build; this checks the 2.x side of LATHE_TORCH_AT_LEAST.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:?usage: scripts/check-libtorch2.sh PYTHON [BUILD_DIR]}
BUILD_DIR=${2:-build-torch2}
bash scripts/configure-libtorch2.sh "$PYTHON" "$BUILD_DIR"
ninja -C "$BUILD_DIR" -j "${JOBS:-2}" lathe-train
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import json, sys
d = sys.argv[1]
with open(f"{d}/corpus.txt", "w") as f:
    for i in range(600):
        f.write(f"Paragraph {i}: the quick brown fox jumps over the lazy dog {i % 7} times.\n\n")
run = {"name": "torch2-check",
       "model": {"preset": "gpt2-tiny",
                 "config_overrides": {"n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 64}},
       "tokenizer": {"byte_level": True},
       "dataset": {"train_files": [f"{d}/corpus.txt"], "block_size": 64,
                   "validation_split_percent": 10},
       "training_args": {"max_steps": 8, "per_device_train_batch_size": 4, "logging_steps": 2,
                         "eval_strategy": "steps", "eval_steps": 4, "save_steps": 4, "seed": 1}}
json.dump(run, open(f"{d}/run.json", "w"))
run["training_args"]["bf16"] = True
json.dump(run, open(f"{d}/run-bf16.json", "w"))
PY
train="$BUILD_DIR/app/lathe-train --no-progress"
# Bitwise resume holds on the CPU (a GPU's embedding backward adds with atomics).
$train --config "$work/run.json" --run-dir "$work/whole" --use_cpu >/dev/null
$train --config "$work/run.json" --run-dir "$work/resumed" --use_cpu \
  --resume_from_checkpoint "$work/whole/trainer_output/checkpoint-4" >/dev/null
$train --config "$work/run-bf16.json" --run-dir "$work/bf16" >/dev/null
OMP_NUM_THREADS=1 $train --config "$work/run.json" --run-dir "$work/two-ranks" --use_cpu \
  --nproc-per-node 2 >/dev/null
python3 - "$work" <<'PY'
import json, sys
d = sys.argv[1]
def logs(run):
    events = [json.loads(l) for l in open(f"{d}/{run}/events.jsonl")]
    assert events[-1]["type"] == "run_finished", (run, events[-1])
    return {e["step"]: (e["loss"], e["grad_norm"]) for e in events
            if e["type"] == "log" and "loss" in e}
whole, resumed = logs("whole"), logs("resumed")
tail = {s: v for s, v in whole.items() if s > 4}
assert tail == {s: v for s, v in resumed.items() if s > 4}, (tail, resumed)
for run in ("bf16", "two-ranks"):
    got = logs(run)
    assert got[8][0] < got[2][0], (run, got)
started = [json.loads(l) for l in open(f"{d}/whole/events.jsonl")][0]
bf16 = [json.loads(l) for l in open(f"{d}/bf16/events.jsonl")][0]
print("libtorch", started.get("versions", {}).get("libtorch", "?"),
      "- trained, resumed exactly and ran 2 Gloo ranks on the cpu; bf16 on", bf16.get("device"),
      "; losses", whole)
PY

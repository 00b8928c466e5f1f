"""Reference side of the trainer benchmark: Hugging Face Trainer on the same model, data and
arguments as bench_trainer, on the same device and torch kernels.

  trainer_bench.py prepare DIR [--size tiny|124m] [--steps N] [--warmup W] [--batch B] [--block T]
      writes DIR/model (initial weights), DIR/blocks.safetensors (random token blocks, one batch
      per step) and DIR/bench.json (the sizes, which bench_trainer reads too)
  trainer_bench.py run DIR [--device cpu|cuda] [--bf16]
      trains with transformers.Trainer, prints one JSON line

Sizes: "tiny" is GPT-2 4 layers x 128 with a 257-token vocabulary (the CPU benchmark, where
framework overhead shows); "124m" is GPT-2 small (12 x 768, vocabulary 50257, 124M parameters;
the GPU benchmark). The timed window is the steps after the first `warmup`, between two CUDA
synchronisations on a GPU; `seconds` is the whole train() call.
"""
import argparse
import json
import os
import tempfile
import time

import torch
import transformers
from safetensors.torch import load_file, save_file
from torch.utils.data import Dataset

SIZES = {
    "tiny": dict(vocab_size=257, n_embd=128, n_layer=4, n_head=4),
    "124m": dict(vocab_size=50257, n_embd=768, n_layer=12, n_head=12),
}


class Blocks(Dataset):
    def __init__(self, blocks):
        self.blocks = blocks

    def __len__(self):
        return self.blocks.shape[0]

    def __getitem__(self, i):
        return {"input_ids": self.blocks[i], "labels": self.blocks[i]}


def prepare(d, size, steps, warmup, batch, block):
    if not 0 <= warmup < steps:
        raise SystemExit(f"trainer_bench.py: --warmup {warmup} must be in [0, --steps {steps})")
    torch.manual_seed(0)
    shape = SIZES[size]
    # bos/eos inside the vocabulary (GPT-2's 50256 is outside the tiny one).
    config = transformers.GPT2Config(n_positions=block, bos_token_id=shape["vocab_size"] - 1,
                                     eos_token_id=shape["vocab_size"] - 1, **shape)
    transformers.GPT2LMHeadModel(config).save_pretrained(os.path.join(d, "model"), safe_serialization=True)
    blocks = torch.randint(0, shape["vocab_size"], (steps * batch, block),
                           generator=torch.Generator().manual_seed(1))
    save_file({"train": blocks}, os.path.join(d, "blocks.safetensors"))
    with open(os.path.join(d, "bench.json"), "w") as f:
        json.dump({"size": size, "steps": steps, "warmup_steps": warmup, "batch": batch,
                   "block": block}, f)


class WindowTimer(transformers.TrainerCallback):
    """Wall time of the steps after `warmup`, synchronised with the GPU at both ends."""

    def __init__(self, warmup, cuda):
        self.warmup, self.cuda, self.start, self.end = warmup, cuda, None, None

    def _now(self):
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_train_begin(self, args, state, control, **kwargs):
        if self.warmup == 0:
            self.start = self._now()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.warmup:
            self.start = self._now()
        if state.global_step == state.max_steps:
            self.end = self._now()


def run(d, device, bf16):
    bench = json.load(open(os.path.join(d, "bench.json")))
    steps, warmup, batch, block = bench["steps"], bench["warmup_steps"], bench["batch"], bench["block"]
    cuda = device == "cuda"
    model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(d, "model"))
    blocks = load_file(os.path.join(d, "blocks.safetensors"))["train"]
    timer = WindowTimer(warmup, cuda)
    with tempfile.TemporaryDirectory() as out:
        args = transformers.TrainingArguments(
            output_dir=out, use_cpu=not cuda, bf16=bf16, report_to="none", max_steps=steps,
            per_device_train_batch_size=batch, learning_rate=1e-3 if bench["size"] == "tiny" else 3e-4,
            logging_steps=10, save_strategy="no", seed=42, dataloader_drop_last=True,
            disable_tqdm=True)
        trainer = transformers.Trainer(model=model, args=args, train_dataset=Blocks(blocks),
                                       callbacks=[timer])
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "tokens": steps * batch * block,
                      "timed_seconds": timer.end - timer.start,
                      "timed_tokens": (steps - warmup) * batch * block,
                      "device": torch.cuda.get_device_name() if cuda else "cpu",
                      "parameters": sum(p.numel() for p in model.parameters()),
                      "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
                      "transformers": transformers.__version__}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["prepare", "run"])
    parser.add_argument("dir")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--block", type=int, default=128)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--bf16", action="store_true")
    a = parser.parse_args()
    if a.command == "prepare":
        prepare(a.dir, a.size, a.steps, a.warmup, a.batch, a.block)
    else:
        run(a.dir, a.device, a.bf16)

"""Reference side of the trainer benchmark: Hugging Face Trainer on the same model, data and
arguments as bench_trainer, on this CPU, with the same libtorch (Debian's python3-torch).

  trainer_bench.py prepare DIR   writes DIR/model (initial weights) and DIR/blocks.safetensors
  trainer_bench.py run DIR       trains with transformers.Trainer, prints one JSON line
"""
import json
import os
import sys
import tempfile
import time

import torch
import transformers
from safetensors.torch import load_file, save_file
from torch.utils.data import Dataset

STEPS, BATCH, BLOCK, VOCAB = 40, 16, 128, 257


class Blocks(Dataset):
    def __init__(self, blocks):
        self.blocks = blocks

    def __len__(self):
        return self.blocks.shape[0]

    def __getitem__(self, i):
        return {"input_ids": self.blocks[i], "labels": self.blocks[i]}


def prepare(d):
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=VOCAB, n_positions=BLOCK, n_embd=128, n_layer=4, n_head=4)
    transformers.GPT2LMHeadModel(config).save_pretrained(os.path.join(d, "model"), safe_serialization=True)
    blocks = torch.randint(0, VOCAB, (STEPS * BATCH, BLOCK), generator=torch.Generator().manual_seed(1))
    save_file({"train": blocks}, os.path.join(d, "blocks.safetensors"))


def run(d):
    model = transformers.AutoModelForCausalLM.from_pretrained(os.path.join(d, "model"))
    blocks = load_file(os.path.join(d, "blocks.safetensors"))["train"]
    with tempfile.TemporaryDirectory() as out:
        args = transformers.TrainingArguments(
            output_dir=out, use_cpu=True, report_to="none", max_steps=STEPS,
            per_device_train_batch_size=BATCH, learning_rate=1e-3, logging_steps=10,
            save_strategy="no", seed=42, dataloader_drop_last=True, disable_tqdm=True)
        trainer = transformers.Trainer(model=model, args=args, train_dataset=Blocks(blocks))
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "tokens": STEPS * BATCH * BLOCK,
                      "torch_threads": torch.get_num_threads(), "transformers": transformers.__version__}))


if __name__ == "__main__":
    {"prepare": prepare, "run": run}[sys.argv[1]](sys.argv[2])

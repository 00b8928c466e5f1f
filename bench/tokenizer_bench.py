"""Python `tokenizers` on the same documents as bench_tokenizer (the reference side).

Prints one JSON line with the same keys as the C++ side.
"""
import json
import sys
import time

import tokenizers

tokenizer_path, documents_path = sys.argv[1], sys.argv[2]
documents = json.load(open(documents_path, encoding="utf-8"))
joined = "".join(d + "\n" for d in documents)
best_single = best_batch = 1e9
for _ in range(3):
    # A fresh tokenizer each time, as on the C++ side: no warm cache between repeats.
    tok = tokenizers.Tokenizer.from_file(tokenizer_path)
    t0 = time.perf_counter()
    single = len(tok.encode(joined, add_special_tokens=False).ids)
    best_single = min(best_single, time.perf_counter() - t0)
    tok = tokenizers.Tokenizer.from_file(tokenizer_path)
    t0 = time.perf_counter()
    batch = sum(len(e.ids) for e in tok.encode_batch(documents, add_special_tokens=False))
    best_batch = min(best_batch, time.perf_counter() - t0)
print(json.dumps({"documents": len(documents), "bytes": len(joined.encode()) - len(documents),
                  "single_seconds": best_single, "single_tokens": single,
                  "batch_seconds": best_batch, "batch_tokens": batch,
                  "tokenizers_version": tokenizers.__version__}))

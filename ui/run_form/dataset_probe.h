#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/data/text_source.h"
#include "core/run/run_config.h"

namespace lathe::ui::run_form {

struct ProbeRequest {
    std::vector<std::string> train_files;
    core::data::TextSourceOptions text;
    std::size_t max_samples = 5;
    // The run's tokenizer, by run.json's rule (core::run::tokenizer_file).
    core::run::ModelSpec model;
    core::run::TokenizerSpec tokenizer;
    // Documents are tokenized until this much text has been counted; beyond it the total is
    // extrapolated from the file sizes.
    std::uint64_t count_text_bytes = 16u << 20;
    // Set when the probe's answer is no longer wanted (a newer probe, the dialog closing): it
    // stops between documents.
    std::shared_ptr<std::atomic<bool>> cancelled;
};

// What the dataset picker shows about the train files. Blocking I/O: run it off the UI thread.
struct DatasetProbe {
    std::string format;                // of the first file, as resolved: txt, jsonl, json, ...
    std::vector<std::string> fields;   // of its first record (JSON/JSONL keys, CSV/TSV header)
    std::vector<std::string> samples;  // its first few samples with the chosen options
    std::vector<std::int64_t> sample_tokens;  // tokens of each sample (no special tokens)
    std::string tokenizer;                    // "byte-level" or the tokenizer.json used
    std::int64_t vocab_size = 0;              // of that tokenizer; 0 when it did not load
    // Tokens as run_clm concatenates them (each document + EOS when the tokenizer has one).
    std::int64_t documents_counted = 0;
    std::int64_t tokens_counted = 0;
    std::uint64_t bytes_total = 0;  // of all train files
    // Every document of every train file was counted: document_tokens holds each one's count
    // (EOS included) in file order, and estimated_tokens is exact.
    bool exact = false;
    std::vector<std::int64_t> document_tokens;
    std::int64_t estimated_tokens = 0;
    std::string error;  // the engine's message; empty on success
};

// `text.format` Auto detects the format from the extension (the engine's detect_format).
// Samples and documents are read by the engine's read_documents and tokenized by the run's
// tokenizer, so what is previewed and counted is what is trained on.
DatasetProbe probe_dataset(const ProbeRequest& request);

}  // namespace lathe::ui::run_form

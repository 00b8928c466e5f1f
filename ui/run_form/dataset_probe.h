#pragma once

#include <string>
#include <vector>

#include "core/data/text_source.h"

namespace lathe::ui::run_form {

// What the dataset picker shows about a train file. Blocking I/O: run it off the UI thread.
struct DatasetProbe {
    std::string format;                // as resolved: txt, jsonl, json, csv, tsv
    std::vector<std::string> fields;   // of the first record (JSON/JSONL keys, CSV/TSV header)
    std::vector<std::string> samples;  // the first few samples with the chosen options
    std::string error;                 // the engine's message; empty on success
};

// `options.format` Auto detects the format from the extension (the engine's detect_format).
// Samples are read by the engine's read_documents, so what is previewed is what is trained on.
DatasetProbe probe_dataset(const std::string& path, const core::data::TextSourceOptions& options,
                           std::size_t max_samples);

}  // namespace lathe::ui::run_form

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/clm_dataset.h"
#include "core/training_args/training_arguments.h"

namespace lathe::core::run {

// The model presets a run can start from scratch (core/models' preset_config knows their shapes).
const std::vector<std::string>& model_preset_names();

struct ModelSpec {
    std::string path;  // a Hugging Face model folder, or
    std::string
        preset;  // from scratch: gpt2-tiny, gpt2-small, gpt2-medium, llama-tiny, llama-small
    // Merged into the preset's config.json, e.g. {"n_layer": 2}; presets only.
    nlohmann::json config_overrides = nlohmann::json::object();
    std::string
        dtype;  // "" = as stored (float32 from scratch); float32, bfloat16, float16, float64
};

struct TokenizerSpec {
    // tokenizer.json or a folder holding one; "" = the model folder's tokenizer.json, or the
    // byte-level tokenizer for presets.
    std::string path;
    bool byte_level = false;  // Lathe's 256-byte tokenizer (the default for presets)
};

struct DatasetSpec {
    bool embedded_corpus = false;  // the text of Debian's fortunes package
    std::vector<std::string> train_files;
    std::vector<std::string> eval_files;
    double validation_split_percent = 5.0;  // [0, 100); used when eval_files is empty
    std::string format = "auto";            // auto, txt, jsonl, json, csv, tsv
    std::string text_field = "text";
    std::string txt_sample_by = "paragraph";  // file, line, paragraph, separator
    std::string txt_separator = "%";
    std::int64_t block_size = 128;
    std::string cache_dir;  // "" = the data library's choice (see DatasetOptions::cache_dir)
};

// A generated sample at each evaluation, shown by the studio.
struct SampleSpec {
    std::string prompt;  // empty: no samples
    std::int64_t max_new_tokens = 64;
    double temperature = 0.8;  // 0: greedy
    std::int64_t top_k = 40;   // 0: the whole vocabulary
};

// run.json: everything needed to start a run again (docs/run-directory.md).
struct RunConfig {
    std::string name;
    ModelSpec model;
    TokenizerSpec tokenizer;
    DatasetSpec dataset;
    SampleSpec sample;
    nlohmann::json training_args = nlohmann::json::object();  // TrainingArguments keys, as written
    nlohmann::json target = {{"kind", "local"}};              // {"kind": local|ssh|slurm, ...}
};

struct ParsedRunConfig {
    RunConfig config;
    // config.training_args read by training_args::from_json (not yet validate()d: command-line
    // overrides may still change it).
    training_args::TrainingArguments args;
    // From training_args::from_json: Transformers options Lathe ignores, deprecated aliases.
    std::vector<std::string> warnings;
};

// Checks keys, types and values. Errors start with `source` and name the field the way the file
// spells it, e.g. `run.json: dataset.block_size must be an integer, got 128.5` or
// `run.json: dataset: unknown key "block_sise" (did you mean "block_size"?)`. training_args go
// through training_args::from_json (source "run.json: training_args"), whose warnings are
// passed on.
ParsedRunConfig parse_run_config(const nlohmann::json& j, const std::string& source);

// Reads and parses a run.json; relative paths in it (model.path, tokenizer.path, train_files,
// eval_files, cache_dir) resolve against the folder holding it. Invalid JSON is an Error naming
// path:line:column.
ParsedRunConfig load_run_config(const std::string& path);

// The run.json form: what parse_run_config reads back to the same RunConfig (empty optional
// fields and an empty sample prompt are left out).
nlohmann::json to_json(const RunConfig& config);

// The data library's options. With embedded_corpus: the fortune files and their text options, and
// (when cache_dir is empty) the user's cache directory, since /usr/share is not ours to write.
data::DatasetOptions to_dataset_options(const DatasetSpec& spec, std::uint64_t seed);

// The job `lathe-train` runs with no configuration: a small GPT-2 from scratch on the fortunes
// corpus, sized so that the loss visibly falls within a few minutes on two CPU cores.
RunConfig embedded_default_run_config();

}  // namespace lathe::core::run

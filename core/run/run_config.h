#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/clm_dataset.h"

namespace lathe::core::run {

struct ModelSpec {
    std::string path;    // a Hugging Face model folder, or
    std::string preset;  // from scratch: gpt2-tiny, gpt2-small, gpt2-medium, llama-tiny, llama-small
    nlohmann::json config_overrides = nlohmann::json::object();  // merged into the preset's config.json
    std::string dtype;   // "" = as stored (float32 from scratch)
};

struct TokenizerSpec {
    std::string path;         // tokenizer.json or a folder; "" = the model folder's
    bool byte_level = false;  // Lathe's 256-byte tokenizer (the default for presets)
};

struct DatasetSpec {
    bool embedded_corpus = false;  // the text of Debian's fortunes package
    std::vector<std::string> train_files;
    std::vector<std::string> eval_files;
    double validation_split_percent = 5.0;
    std::string format = "auto";
    std::string text_field = "text";
    std::string txt_sample_by = "paragraph";
    std::string txt_separator = "%";
    std::int64_t block_size = 128;
    std::string cache_dir;
};

// A generated sample at each evaluation, shown by the studio.
struct SampleSpec {
    std::string prompt;  // empty: no samples
    std::int64_t max_new_tokens = 64;
    double temperature = 0.8;
    std::int64_t top_k = 40;
};

// run.json: everything needed to start a run again (docs/run-directory.md).
struct RunConfig {
    std::string name;
    ModelSpec model;
    TokenizerSpec tokenizer;
    DatasetSpec dataset;
    SampleSpec sample;
    nlohmann::json training_args = nlohmann::json::object();  // TrainingArguments keys
    nlohmann::json target = {{"kind", "local"}};
};

struct ParsedRunConfig {
    RunConfig config;
    std::vector<std::string> warnings;
};

// Checks keys and types (errors name "run.json: dataset.block_size"-style paths and suggest the
// closest key); training_args are parsed and checked by training_args::from_json later.
ParsedRunConfig parse_run_config(const nlohmann::json& j, const std::string& source);
// Relative paths resolve against the folder of the run.json.
ParsedRunConfig load_run_config(const std::string& path);
nlohmann::json to_json(const RunConfig& config);

data::DatasetOptions to_dataset_options(const DatasetSpec& spec, std::uint64_t seed);

// The job `lathe-train` runs with no configuration: a small GPT-2 from scratch on the fortunes
// corpus, sized so that the loss visibly falls within a few minutes on two CPU cores.
RunConfig embedded_default_run_config();

}  // namespace lathe::core::run

#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/file_io.h"

namespace lathe::tests {

// A one-layer GPT-2 (byte-level tokenizer) on a small generated corpus: a few seconds per run on
// two cores. Writes corpus.txt and run.json into `dir` and returns run.json's path. The
// arguments log every step, evaluate and save every 4 steps, stop after 8, and train on the CPU
// even on a GPU machine (use_cpu: these tests compare runs bitwise, and run several ranks on one
// machine); `args_overrides` replaces any of them, `model_overrides` adds to the model's
// config_overrides.
inline std::filesystem::path write_tiny_run_config(
    const std::filesystem::path& dir, const std::string& name,
    const nlohmann::json& args_overrides = nlohmann::json::object(),
    const nlohmann::json& model_overrides = nlohmann::json::object()) {
    std::filesystem::create_directories(dir);
    std::ofstream corpus(dir / "corpus.txt");
    for (int i = 0; i < 300; ++i) {
        corpus << "Paragraph " << i << ": the quick brown fox jumps over the lazy dog " << i % 7
               << " times.\n\n";
    }
    corpus.close();
    nlohmann::json args = {{"max_steps", 8},           {"per_device_train_batch_size", 4},
                           {"learning_rate", 1e-3},    {"logging_steps", 1},
                           {"eval_strategy", "steps"}, {"eval_steps", 4},
                           {"save_steps", 4},          {"seed", 3},
                           {"use_cpu", true}};
    for (const auto& item : args_overrides.items()) {
        args[item.key()] = item.value();
    }
    nlohmann::json config = {
        {"name", name},
        {"model",
         {{"preset", "gpt2-tiny"},
          {"config_overrides",
           {{"n_embd", 32}, {"n_layer", 1}, {"n_head", 2}, {"n_positions", 64}}}}},
        {"tokenizer", {{"byte_level", true}}},
        {"dataset",
         {{"train_files", {"corpus.txt"}}, {"block_size", 32}, {"validation_split_percent", 10}}},
        {"training_args", args}};
    for (const auto& item : model_overrides.items())
        config["model"]["config_overrides"][item.key()] = item.value();
    core::util::write_file_atomic((dir / "run.json").string(), config.dump(2));
    return dir / "run.json";
}

}  // namespace lathe::tests

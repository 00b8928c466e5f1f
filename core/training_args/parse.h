#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/training_args/training_arguments.h"

namespace lathe::core::training_args {

struct ParseResult {
    TrainingArguments args;
    std::vector<std::string> warnings;  // each one line, starting with the source
};

// Reads a TrainingArguments JSON object, e.g. run.json's "training_args" or a file written by
// Transformers' TrainingArguments.to_json_string(). `source` starts every message ("run.json
// training_args"). Missing keys keep their defaults. Does not validate (see validate.h).
//  - a supported key with a wrong type: Error naming the key and the expected type;
//  - a Transformers key Lathe does not implement: a warning naming it when its value is not
//    Transformers' default (a default changes nothing, so Transformers' own files read quietly);
//  - "evaluation_strategy" (deprecated): copied into eval_strategy with a warning;
//  - "warmup_ratio" (deprecated): a value > 0 is copied into warmup_steps with a warning, unless
//    warmup_steps > 0, which wins as in Transformers 4.x (also with a warning);
//  - "no_cuda" (deprecated, 4.x): true sets use_cpu with a warning, false changes nothing;
//  - any other key: Error with the closest known name, e.g.
//    `run.json training_args: unknown key "learnig_rate" (did you mean "learning_rate"?)`.
ParseResult from_json(const nlohmann::json& j, const std::string& source);

// Command-line overrides on top of `args`, in order: "--learning_rate 3e-4",
// "--learning-rate=3e-4", "--bf16" (a bool option alone is true), "--bf16 false", "--no_bf16",
// "--report_to wandb tensorboard" or "--report_to wandb,tensorboard",
// "--lr_scheduler_kwargs '{\"num_cycles\": 1}'", "null"/"None" for a null-able option. Bool words
// are Transformers' (true/false, yes/no, t/f, y/n, 1/0). Aliases and unsupported Transformers
// options behave as in from_json (unsupported ones always warn; "--warmup_ratio" always copies).
// Every entry of argv must be consumed: an unknown option is an Error with the closest known name
// (`command line: unknown option --learnig_rate (did you mean --learning_rate?)`), and so is a
// stray value. `warnings` may be null.
void apply_overrides(TrainingArguments& args, const std::vector<std::string>& argv,
                     std::vector<std::string>* warnings);

}  // namespace lathe::core::training_args

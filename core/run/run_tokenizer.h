#pragma once

#include <string>

#include "core/run/run_config.h"
#include "core/tokenizer/tokenizer.h"

namespace lathe::core::run {

// The tokenizer.json a run uses, by run.json's rule: tokenizer.byte_level gives "" (Lathe's
// byte-level tokenizer); else tokenizer.path, or the model folder, where a folder means its
// tokenizer.json; a preset without a tokenizer path gives "" too. Throws Error naming the folder
// when it has no tokenizer.json.
std::string tokenizer_file(const ModelSpec& model, const TokenizerSpec& tokenizer);

// Loads it (the byte-level tokenizer for ""). Throws Error naming the file.
tokenizer::Tokenizer load_tokenizer(const ModelSpec& model, const TokenizerSpec& tokenizer);

}  // namespace lathe::core::run

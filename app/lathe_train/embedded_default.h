#pragma once

#include <cstdint>
#include <string>

namespace lathe::app {

struct EmbeddedDefaultOptions {
    std::string output_dir = "lathe-output/embedded-default";
    std::string preset = "gpt2-tiny";
    std::int64_t block_size = 128;
    std::int64_t eval_blocks = 64;
    std::int64_t sample_tokens = 120;
    std::uint64_t seed = 42;
};

// The job that runs with no configuration at all: the fortunes corpus from Debian, a byte-level
// tokenizer, a small GPT-2 built from a preset. It reports what the engine can do end to end and
// leaves a Hugging Face model folder behind. Returns the process exit code.
int run_embedded_default(const EmbeddedDefaultOptions& options);

}  // namespace lathe::app

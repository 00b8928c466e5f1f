#include "app/lathe_train/embedded_default.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "core/data/clm_dataset.h"
#include "core/data/embedded_corpus.h"
#include "core/models/causal_lm.h"
#include "core/models/generate.h"
#include "core/models/model_factory.h"
#include "core/models/model_folder.h"
#include "core/tokenizer/tokenizer.h"

namespace lathe::app {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Mean next-token loss over the first `max_blocks` validation blocks.
double validation_loss(core::models::CausalLanguageModel& model, const core::data::TokenBlocks& blocks,
                       std::int64_t max_blocks) {
    torch::NoGradGuard no_grad;
    model.eval();
    const std::int64_t n = std::min(max_blocks, blocks.size());
    const std::int64_t batch = 8;
    double total = 0.0;
    std::int64_t batches = 0;
    for (std::int64_t start = 0; start < n; start += batch) {
        const std::int64_t rows = std::min(batch, n - start);
        auto ids = torch::empty({rows, blocks.block_size()}, torch::kLong);
        for (std::int64_t r = 0; r < rows; ++r) {
            auto block = torch::from_blob(const_cast<std::int32_t*>(blocks.block(start + r)),
                                          {blocks.block_size()}, torch::kInt32);
            ids[r].copy_(block);
        }
        total += core::models::causal_lm_loss(model.forward(ids), ids).item<double>();
        ++batches;
    }
    return batches ? total / static_cast<double>(batches) : std::nan("");
}

}  // namespace

int run_embedded_default(const EmbeddedDefaultOptions& options) {
    const auto start = Clock::now();
    std::vector<std::string> skipped;
    core::data::DatasetOptions data;
    data.train_files = core::data::embedded_corpus_files(&skipped);
    data.text = core::data::embedded_corpus_text_options();
    data.block_size = options.block_size;
    data.seed = options.seed;
    data.validation_split_percent = 5.0;
    // Never beside the corpus: /usr/share is not ours to write, even when running as root.
    data.cache_dir = core::data::user_cache_dir();

    auto tokenizer = core::tokenizer::Tokenizer::byte_level();
    auto config = core::models::preset_config(options.preset, tokenizer.vocab_size());
    config.max_position_embeddings = std::max(config.max_position_embeddings, options.block_size);
    data.max_model_positions = config.max_position_embeddings;
    config.bos_token_id = tokenizer.bos_token_id();
    config.eos_token_ids.clear();
    if (auto eos = tokenizer.eos_token_id()) config.eos_token_ids.push_back(*eos);

    std::cout << "Lathe embedded default\n"
              << "  corpus     " << data.train_files.size() << " text files of Debian's fortunes ("
              << core::data::kEmbeddedCorpusDir << ")";
    if (!skipped.empty()) std::cout << ", " << skipped.size() << " skipped";
    std::cout << "\n";

    const auto t_data = Clock::now();
    auto dataset = core::data::prepare_causal_lm(data, tokenizer);
    std::cout << "  dataset    " << dataset.documents << " documents -> " << dataset.train.size()
              << " train / " << dataset.validation.size() << " validation blocks of "
              << options.block_size << " tokens (" << (dataset.from_cache ? "cache hit" : "tokenized")
              << ", " << seconds_since(t_data) << " s)\n";

    auto model = core::models::create_model(config, options.seed);
    std::cout << "  model      " << options.preset << ", " << core::models::count_parameters(config)
              << " parameters, vocab " << config.vocab_size << " (byte-level tokenizer)\n";

    const double loss = validation_loss(*model, dataset.validation, options.eval_blocks);
    std::cout << "  untrained  validation loss " << loss << ", perplexity " << std::exp(loss)
              << " (uniform over the vocabulary would be " << config.vocab_size << ")\n";

    core::models::GenerateOptions gen;
    gen.max_new_tokens = options.sample_tokens;
    gen.temperature = 1.0;
    gen.top_k = 40;
    gen.seed = options.seed;
    auto prompt = tokenizer.encode("Q: What is the meaning of life?\nA:", false);
    std::vector<std::int64_t> prompt64(prompt.begin(), prompt.end());
    auto ids = core::models::generate(*model, prompt64, gen);
    std::vector<std::int32_t> ids32(ids.begin(), ids.end());
    std::cout << "  sample     " << tokenizer.decode(ids32, true) << "\n";

    core::models::save_model(*model, options.output_dir, &tokenizer);
    std::cout << "  saved      " << std::filesystem::absolute(options.output_dir).string()
              << " (config.json, model.safetensors, tokenizer.json: loads with "
                 "AutoModelForCausalLM.from_pretrained)\n"
              << "  total      " << seconds_since(start) << " s\n";
    return 0;
}

}  // namespace lathe::app

// lathe's Trainer on the model, data and arguments bench/trainer_bench.py gives Hugging Face's
// Trainer (GPT-2, 4 layers x 128, blocks of 128, batch 16, 40 AdamW steps). Prints one JSON line;
// bench/run-trainer-bench.sh runs both sides and prints the ratio.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/models/model_folder.h"
#include "core/models/tensor_io.h"
#include "core/safetensors/safetensors.h"
#include "core/trainer/trainer.h"
#include "core/training_args/parse.h"

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    using namespace lathe::core;
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: bench_trainer DIR (prepared by trainer_bench.py prepare DIR)\n");
        return 2;
    }
    const fs::path dir = argv[1];
    auto file = safetensors::File::open((dir / "blocks.safetensors").string());
    auto blocks =
        models::tensor_from_file(file, *file.header().find("train")).to(torch::kInt32).contiguous();
    std::vector<std::int32_t> tokens(blocks.data_ptr<std::int32_t>(),
                                     blocks.data_ptr<std::int32_t>() + blocks.numel());
    const auto block = blocks.size(1);
    const auto n = blocks.size(0);
    const auto out = fs::temp_directory_path() / "lathe-bench-trainer-out";
    fs::remove_all(out);
    trainer::TrainerOptions options;
    options.args = training_args::from_json({{"output_dir", out.string()},
                                             {"max_steps", 40},
                                             {"per_device_train_batch_size", 16},
                                             {"learning_rate", 1e-3},
                                             {"logging_steps", 10},
                                             {"save_strategy", "no"},
                                             {"seed", 42},
                                             {"dataloader_drop_last", true}},
                                            "bench")
                       .args;
    options.output_dir = out.string();
    auto model = models::load_model((dir / "model").string());
    trainer::Trainer t(model, std::nullopt, data::TokenBlocks::owned(std::move(tokens), block), {},
                       options);
    const auto start = std::chrono::steady_clock::now();
    t.train();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"seconds\": %.6f, \"tokens\": %lld, \"torch_threads\": %d}\n", seconds,
                static_cast<long long>(40 * 16 * block), at::get_num_threads());
    (void)n;
    return 0;
}

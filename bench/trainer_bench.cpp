// lathe's Trainer on the model, data and arguments bench/trainer_bench.py gives Hugging Face's
// Trainer (sizes in DIR/bench.json: GPT-2 4 x 128 on the CPU, GPT-2 124M on a GPU). Prints one
// JSON line; bench/run-trainer-bench.sh (CPU) and bench/run-gpu-bench.sh (GPU) run both sides and
// print the ratio.
//
//   bench_trainer DIR [--device cpu|cuda] [--bf16]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/models/model_folder.h"
#include "core/models/tensor_io.h"
#include "core/safetensors/safetensors.h"
#include "core/trainer/trainer.h"
#include "core/training_args/parse.h"

namespace {

using Clock = std::chrono::steady_clock;

// Wall time of the steps after the warm-up, synchronised with the GPU at both ends (as the Python
// side's callback does).
class WindowTimer : public lathe::core::trainer::TrainerCallback {
  public:
    WindowTimer(std::int64_t warmup_steps, bool cuda) : warmup_(warmup_steps), cuda_(cuda) {}

    void on_train_begin(const lathe::core::checkpoints::TrainerState&,
                        lathe::core::trainer::TrainerControl&) override {
        if (warmup_ == 0)
            start = now();
    }
    void on_step_end(const lathe::core::checkpoints::TrainerState& state,
                     lathe::core::trainer::TrainerControl&) override {
        if (state.global_step == warmup_)
            start = now();
        if (state.global_step == state.max_steps)
            end = now();
    }

    Clock::time_point start, end;

  private:
    Clock::time_point now() const {
        if (cuda_)
            torch::cuda::synchronize();
        return Clock::now();
    }
    std::int64_t warmup_;
    bool cuda_;
};

}  // namespace

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    using namespace lathe::core;
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: bench_trainer DIR [--device cpu|cuda] [--bf16] (DIR prepared "
                     "by trainer_bench.py prepare DIR)\n");
        return 2;
    }
    const fs::path dir = argv[1];
    bool cuda = false, bf16 = false;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--bf16") == 0) {
            bf16 = true;
        } else if (std::strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
            cuda = std::strcmp(argv[++i], "cuda") == 0;
        } else {
            std::fprintf(stderr, "bench_trainer: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (cuda && !torch::cuda::is_available()) {
        std::fprintf(stderr, "bench_trainer: --device cuda but this libtorch sees no GPU\n");
        return 2;
    }
    nlohmann::json bench;
    std::ifstream(dir / "bench.json") >> bench;
    const auto steps = bench.at("steps").get<std::int64_t>();
    const auto warmup = bench.at("warmup_steps").get<std::int64_t>();
    const auto batch = bench.at("batch").get<std::int64_t>();
    const bool tiny = bench.at("size") == "tiny";

    auto file = safetensors::File::open((dir / "blocks.safetensors").string());
    auto blocks =
        models::tensor_from_file(file, *file.header().find("train")).to(torch::kInt32).contiguous();
    std::vector<std::int32_t> tokens(blocks.data_ptr<std::int32_t>(),
                                     blocks.data_ptr<std::int32_t>() + blocks.numel());
    const auto block = blocks.size(1);
    const auto out = fs::temp_directory_path() / "lathe-bench-trainer-out";
    fs::remove_all(out);
    trainer::TrainerOptions options;
    options.args = training_args::from_json({{"output_dir", out.string()},
                                             {"max_steps", steps},
                                             {"per_device_train_batch_size", batch},
                                             {"learning_rate", tiny ? 1e-3 : 3e-4},
                                             {"logging_steps", 10},
                                             {"save_strategy", "no"},
                                             {"seed", 42},
                                             {"bf16", bf16},
                                             {"dataloader_drop_last", true}},
                                            "bench")
                       .args;
    options.output_dir = out.string();
    if (cuda)
        options.device = torch::Device(torch::kCUDA, 0);
    auto timer = std::make_shared<WindowTimer>(warmup, cuda);
    options.callbacks.push_back(timer);
    auto model = models::load_model((dir / "model").string());
    std::int64_t parameters = 0;
    for (const auto& p : model->parameters())
        parameters += p.numel();
    trainer::Trainer t(model, std::nullopt, data::TokenBlocks::owned(std::move(tokens), block), {},
                       options);
    const auto start = Clock::now();
    t.train();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double timed = std::chrono::duration<double>(timer->end - timer->start).count();
    std::printf(
        "{\"seconds\": %.6f, \"tokens\": %lld, \"timed_seconds\": %.6f, \"timed_tokens\": "
        "%lld, \"parameters\": %lld, \"torch_threads\": %d}\n",
        seconds, static_cast<long long>(steps * batch * block), timed,
        static_cast<long long>((steps - warmup) * batch * block),
        static_cast<long long>(parameters), at::get_num_threads());
    return 0;
}

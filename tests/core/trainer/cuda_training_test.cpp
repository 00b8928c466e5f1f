// Training on a GPU: fp16 with the gradient scaler, bf16, and exact resume with the CUDA
// generators. Skipped without CUDA (CI has none); run on a machine with a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "core/models/model_factory.h"
#include "core/models/model_folder.h"
#include "core/trainer/python_pickle.h"
#include "core/trainer/trainer.h"
#include "core/trainer/training_device.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/core/trainer/trainer_test_util.h"

namespace lathe::core::trainer {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

#define LATHE_REQUIRE_CUDA()          \
    if (!torch::cuda::is_available()) \
    GTEST_SKIP() << "no CUDA device (the CUDA paths run on a GPU machine)"

json fixture_args(const fs::path& out) {
    auto args = json::parse(util::read_file(tests::fixture("trainer/schedule_args.json")));
    args["output_dir"] = out.string();
    args["save_strategy"] = "no";
    return args;
}

struct Run {
    json history;
    std::vector<torch::Tensor> weights;
    std::optional<float> final_scale;  // fp16 runs: the loss scale at the end
};

Run train(const json& args, torch::Device device,
          std::shared_ptr<models::CausalLanguageModel> model = nullptr) {
    if (!model)
        model = models::load_model(tests::fixture("trainer/tiny-gpt2-init"));
    TrainerOptions options;
    options.args = testing::args_from(args);
    options.output_dir = args["output_dir"].get<std::string>();
    options.shuffle = false;
    options.device = device;
    Trainer trainer(model, std::nullopt, testing::blocks_from_fixture("train"),
                    testing::blocks_from_fixture("eval"), options);
    trainer.train();
    Run run{trainer.state().log_history, {}, std::nullopt};
    if (const auto* scaler = trainer.grad_scaler())
        run.final_scale = scaler->current_scale();
    for (const auto& p : model->parameters()) {
        EXPECT_EQ(p.device(), device);
        run.weights.push_back(p.detach().cpu());
    }
    return run;
}

std::vector<double> losses(const json& history) {
    std::vector<double> out;
    for (const auto& e : history)
        if (e.contains("loss"))
            out.push_back(e["loss"].get<double>());
    return out;
}

void expect_tracks(const json& low_precision, const json& fp32, double tolerance) {
    const auto a = losses(low_precision), b = losses(fp32);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_NEAR(a[i], b[i], tolerance) << "step " << i + 1;
    EXPECT_LT(a.back(), a.front());
}

// Runs everywhere: without a GPU (or with use_cpu) every rank trains on the CPU.
TEST(CudaTraining, TrainingDeviceIsTheLocalRanksGpuOrTheCpu) {
    EXPECT_EQ(training_device(0, /*use_cpu=*/true), torch::Device(torch::kCPU));
    EXPECT_EQ(training_device(5, /*use_cpu=*/true), torch::Device(torch::kCPU));
    if (!torch::cuda::is_available()) {
        EXPECT_EQ(training_device(3, false), torch::Device(torch::kCPU));
        return;
    }
    ::unsetenv("SLURM_LOCALID");
    const auto visible = static_cast<std::int64_t>(torch::cuda::device_count());
    EXPECT_EQ(training_device(visible - 1, false),
              torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(visible - 1)));
    // It became the current device: a tensor made without an index lands there.
    EXPECT_EQ(torch::zeros({1}, torch::kCUDA).device().index(), visible - 1);
    try {
        training_device(visible, false);
        ADD_FAILURE() << "no error for LOCAL_RANK = visible devices";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("LOCAL_RANK = " + std::to_string(visible)),
                  std::string::npos)
            << e.what();
    }
    if (visible == 1) {
        // srun --gpus-per-task=1: every task sees its one GPU as cuda:0.
        ::setenv("SLURM_LOCALID", "3", 1);
        ::unsetenv("LOCAL_RANK");
        EXPECT_EQ(training_device(3, false), torch::Device(torch::kCUDA, 0));
        ::unsetenv("SLURM_LOCALID");
    }
    training_device(0, false);
}

TEST(CudaTraining, Fp16WithTheGradScalerTracksTheFp32Run) {
    LATHE_REQUIRE_CUDA();
    const auto fp32 = train(fixture_args(tests::temp_dir("cuda-fp32")), torch::kCPU);
    auto args = fixture_args(tests::temp_dir("cuda-fp16"));
    args["fp16"] = true;
    const auto fp16 = train(args, torch::Device(torch::kCUDA, 0));
    ASSERT_TRUE(fp16.final_scale.has_value()) << "fp16 ran without a gradient scaler";
    EXPECT_GT(*fp16.final_scale, 0.0f);
    expect_tracks(fp16.history, fp32.history, 0.02);

    // A scale that overflows float16 gradients at once: the scaler backs off, skipping steps
    // (NaN grad norms), until the gradients fit, and training goes on.
    args["output_dir"] = tests::temp_dir("cuda-fp16-overflow").string();
    TrainerOptions options;
    options.args = testing::args_from(args);
    options.output_dir = args["output_dir"].get<std::string>();
    options.shuffle = false;
    options.device = torch::Device(torch::kCUDA, 0);
    options.grad_scaler = GradScalerOptions{};
    options.grad_scaler->init_scale = 1e30;
    Trainer overflowing(models::load_model(tests::fixture("trainer/tiny-gpt2-init")), std::nullopt,
                        testing::blocks_from_fixture("train"), testing::blocks_from_fixture("eval"),
                        options);
    overflowing.train();
    int skipped = 0;
    for (const auto& e : overflowing.state().log_history)
        if (e.contains("grad_norm") && !std::isfinite(e["grad_norm"].get<double>()))
            ++skipped;
    EXPECT_GT(skipped, 0);
    EXPECT_LT(overflowing.grad_scaler()->current_scale(), 1e30f);
}

TEST(CudaTraining, Bf16AndTf32TrackTheFp32Run) {
    LATHE_REQUIRE_CUDA();
    const auto fp32 = train(fixture_args(tests::temp_dir("cuda-fp32-b")), torch::kCPU);
    auto args = fixture_args(tests::temp_dir("cuda-bf16"));
    args["bf16"] = true;
    args["tf32"] = true;
    const auto bf16 = train(args, torch::Device(torch::kCUDA, 0));
    expect_tracks(bf16.history, fp32.history, 0.05);
}

std::shared_ptr<models::CausalLanguageModel> model_with_dropout() {
    auto config = models::preset_config("gpt2-tiny", 96);
    auto j = models::to_hf_config_json(config);
    j["n_embd"] = 32;
    j["n_layer"] = 2;
    j["n_positions"] = 32;  // dropout stays at 0.1: the CUDA generator must be restored
    return models::create_model(models::parse_model_config(j, "test"), 5);
}

TEST(CudaTraining, ResumeWithDropoutContinuesAndTheCheckpointIsHostMemory) {
    LATHE_REQUIRE_CUDA();
    const torch::Device gpu(torch::kCUDA, 0);
    auto args = fixture_args(tests::temp_dir("cuda-resume-full"));
    args["fp16"] = true;
    const auto whole = train(args, gpu, model_with_dropout());
    const auto out = tests::temp_dir("cuda-resume-part");
    args["output_dir"] = out.string();
    args["save_strategy"] = "steps";
    args["save_steps"] = 10;
    train(args, gpu, model_with_dropout());
    const auto checkpoint = out / "checkpoint-10";
    // Every GPU's generator is in the RNG file, and the optimizer state is host memory.
    const auto rng_dict = load_python_dict((checkpoint / "lathe_rng_state.pt").string(), "rng");
    EXPECT_EQ(rng_dict.at("cuda").toList().size(),
              static_cast<std::size_t>(torch::cuda::device_count()));
    const auto state = load_python_dict((checkpoint / "optimizer.pt").string(), "optimizer")
                           .at("state")
                           .toGenericDict();
    EXPECT_EQ(state.at(0).toGenericDict().at("exp_avg").toTensor().device(), torch::kCPU);
    EXPECT_TRUE(fs::exists(checkpoint / "scaler.pt"));

    args["resume_from_checkpoint"] = checkpoint.string();
    const auto resumed = train(args, gpu, model_with_dropout());
    const auto a = losses(whole.history), b = losses(resumed.history);
    ASSERT_EQ(a.size(), b.size());
    // CUDA's embedding backward adds with atomics, so two GPU runs differ in the last bits; a
    // generator that was not restored changes every dropout mask, far beyond these tolerances.
    for (std::size_t i = 10; i < a.size(); ++i)
        EXPECT_NEAR(a[i], b[i], 1e-3) << "step " << i + 1;
    for (std::size_t i = 0; i < whole.weights.size(); ++i)
        EXPECT_TRUE(torch::allclose(whole.weights[i], resumed.weights[i], 1e-3, 1e-4))
            << "parameter " << i;
}

}  // namespace
}  // namespace lathe::core::trainer

// Exact continuation: a run stopped at step k and resumed from its checkpoint ends bitwise
// identical (CPU) to the run that never stopped, with dropout on, shuffling on, gradient
// accumulation and a checkpoint in the middle of an epoch.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/models/model_factory.h"
#include "core/trainer/trainer.h"
#include "core/util/file_io.h"
#include "tests/core/trainer/trainer_test_util.h"

namespace lathe::core::trainer {
namespace {
namespace fs = std::filesystem;

std::shared_ptr<models::CausalLanguageModel> fresh_model() {
    auto config = models::preset_config("gpt2-tiny", 96);
    auto json = models::to_hf_config_json(config);
    json["n_embd"] = 32;
    json["n_layer"] = 2;
    json["n_positions"] = 32;  // dropout stays at 0.1: the RNG state must be restored exactly
    return models::create_model(models::parse_model_config(json, "test"), 5);
}

nlohmann::json base_args(const fs::path& out) {
    return {{"output_dir", out.string()},
            {"max_steps", 14},
            {"per_device_train_batch_size", 3},
            {"gradient_accumulation_steps", 2},
            {"learning_rate", 3e-3},
            {"weight_decay", 0.01},
            {"warmup_steps", 3},
            {"lr_scheduler_type", "cosine"},
            {"logging_steps", 1},
            {"eval_strategy", "steps"},
            {"eval_steps", 4},
            {"save_steps", 5},
            {"seed", 7}};
}

struct Finished {
    nlohmann::json history;
    std::vector<torch::Tensor> weights;
};

Finished run(const nlohmann::json& args, std::optional<std::string> resume = std::nullopt) {
    TrainerOptions options;
    auto a = args;
    if (resume)
        a["resume_from_checkpoint"] = *resume;
    options.args = testing::args_from(a);
    options.output_dir = a["output_dir"].get<std::string>();
    auto model = fresh_model();
    Trainer trainer(model, std::nullopt, testing::blocks_from_fixture("train"),
                    testing::blocks_from_fixture("eval"), options);
    trainer.train();
    Finished f;
    f.history = trainer.state().log_history;
    for (const auto& p : model->parameters())
        f.weights.push_back(p.detach().clone());
    return f;
}

void expect_same_tail(const nlohmann::json& full, const nlohmann::json& resumed,
                      std::int64_t from_step) {
    std::vector<nlohmann::json> a, b;
    for (const auto& e : full) {
        if (e["step"].get<std::int64_t>() > from_step && !e.contains("train_runtime"))
            a.push_back(e);
    }
    for (const auto& e : resumed) {
        if (e["step"].get<std::int64_t>() > from_step && !e.contains("train_runtime"))
            b.push_back(e);
    }
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        for (const auto& key :
             {"loss", "grad_norm", "learning_rate", "eval_loss", "epoch", "step"}) {
            if (a[i].contains(key)) {
                EXPECT_EQ(a[i][key], b[i][key]) << key << " at " << a[i].dump();
            }
        }
    }
}

TEST(ExactResume, MidEpochWithAccumulationDropoutAndShuffleIsBitwiseIdentical) {
    auto full = run(base_args(tests::temp_dir("resume-full")));
    auto out = tests::temp_dir("resume-part");
    auto part_args = base_args(out);
    run(part_args);  // leaves checkpoint-5 and checkpoint-10 (mid-epoch: 7 batches of 3 per epoch)
    const auto checkpoint = (out / "checkpoint-5").string();
    ASSERT_TRUE(fs::exists(fs::path(checkpoint) / "trainer_state.json"));
    auto resumed = run(part_args, checkpoint);
    expect_same_tail(full.history, resumed.history, 5);
    ASSERT_EQ(full.weights.size(), resumed.weights.size());
    for (std::size_t i = 0; i < full.weights.size(); ++i) {
        EXPECT_TRUE(torch::equal(full.weights[i], resumed.weights[i])) << "parameter " << i;
    }
}

TEST(ExactResume, AdafactorStateResumesBitwise) {
    auto with_adafactor = [](const fs::path& out) {
        auto args = base_args(out);
        args["optim"] = "adafactor";
        return args;
    };
    auto full = run(with_adafactor(tests::temp_dir("resume-adafactor-full")));
    auto out = tests::temp_dir("resume-adafactor-part");
    run(with_adafactor(out));
    auto resumed = run(with_adafactor(out), (out / "checkpoint-5").string());
    expect_same_tail(full.history, resumed.history, 5);
    for (std::size_t i = 0; i < full.weights.size(); ++i) {
        EXPECT_TRUE(torch::equal(full.weights[i], resumed.weights[i])) << "parameter " << i;
    }
}

TEST(ExactResume, ResumeFromTrueTakesTheLatestCompleteCheckpoint) {
    auto out = tests::temp_dir("resume-latest");
    auto args = base_args(out);
    run(args);
    // A crash mid-save leaves a checkpoint folder without trainer_state.json: never picked.
    fs::create_directories(out / "checkpoint-99");
    auto a = args;
    a["resume_from_checkpoint"] = true;
    TrainerOptions options;
    options.args = testing::args_from(a);
    options.output_dir = out.string();
    auto model = fresh_model();
    Trainer trainer(model, std::nullopt, testing::blocks_from_fixture("train"),
                    testing::blocks_from_fixture("eval"), options);
    trainer.train();
    // The latest complete checkpoint is checkpoint-14 (the final save): nothing left to train.
    EXPECT_EQ(trainer.state().global_step, 14);
}

TEST(Determinism, TwoRunsOfTheSameConfigAreBitwiseIdentical) {
    auto a = run(base_args(tests::temp_dir("det-a")));
    auto b = run(base_args(tests::temp_dir("det-b")));
    expect_same_tail(a.history, b.history, 0);
    for (std::size_t i = 0; i < a.weights.size(); ++i)
        EXPECT_TRUE(torch::equal(a.weights[i], b.weights[i]));
}

}  // namespace
}  // namespace lathe::core::trainer

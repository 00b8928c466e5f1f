// bf16 autocast, label smoothing and NEFTune as Transformers defines them.
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include "core/models/model_folder.h"
#include "core/trainer/precision.h"
#include "core/trainer/trainer.h"
#include "core/util/file_io.h"
#include "tests/core/trainer/trainer_test_util.h"

namespace lathe::core::trainer {
namespace {

TEST(Precision, Bf16AutocastRunsMatmulsInBf16AndTrains) {
    auto model = models::load_model(tests::fixture("trainer/tiny-gpt2-init"));
    auto ids = torch::randint(0, 96, {2, 16}, torch::kLong);
    torch::Tensor logits;
    {
        AutocastGuard autocast(true, torch::kCPU);
        logits = model->forward(ids);
    }
    EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);
    EXPECT_EQ(model->forward(ids).scalar_type(), torch::kFloat32);  // off again after the guard

    auto args_json =
        nlohmann::json::parse(util::read_file(tests::fixture("trainer/schedule_args.json")));
    auto out = tests::temp_dir("bf16");
    args_json["output_dir"] = out.string();
    args_json["bf16"] = true;
    args_json["save_strategy"] = "no";
    TrainerOptions options;
    options.args = testing::args_from(args_json);
    options.output_dir = out.string();
    options.shuffle = false;
    Trainer trainer(model, std::nullopt, testing::blocks_from_fixture("train"),
                    testing::blocks_from_fixture("eval"), options);
    trainer.train();
    const auto& history = trainer.state().log_history;
    const double first = history.front()["loss"].get<double>();
    double last = 0;
    for (const auto& e : history) {
        if (e.contains("loss"))
            last = e["loss"].get<double>();
    }
    EXPECT_TRUE(std::isfinite(last));
    EXPECT_LT(last, first);
    // Weights stay fp32: autocast only changes the compute dtype.
    for (const auto& p : model->parameters())
        EXPECT_EQ(p.scalar_type(), torch::kFloat32);
}

// Backward runs after the trainer's autocast guard has closed; the recomputation of a
// checkpointed block must still run in bf16, as its forward did, or its gradients are those of
// an fp32 block (torch.utils.checkpoint restores the autocast state the same way).
TEST(Precision, GradientCheckpointingRecomputesUnderTheForwardsAutocast) {
    auto model = models::load_model(tests::fixture("trainer/tiny-gpt2-init"));
    model->train();
    auto ids = torch::randint(0, 96, {2, 16}, torch::kLong);
    auto gradients = [&](bool recompute) {
        model->set_gradient_checkpointing(recompute);
        model->zero_grad();
        torch::Tensor logits;
        {
            AutocastGuard autocast(true, torch::kCPU);
            logits = model->forward(ids);
        }
        models::causal_lm_loss(logits, ids).backward();
        std::vector<torch::Tensor> grads;
        for (const auto& p : model->parameters())
            grads.push_back(p.grad().clone());
        return grads;
    };
    const auto plain = gradients(false);
    const auto recomputed = gradients(true);
    ASSERT_EQ(plain.size(), recomputed.size());
    for (std::size_t i = 0; i < plain.size(); ++i)
        EXPECT_TRUE(torch::equal(plain[i], recomputed[i])) << "parameter " << i;
}

// Autocast caches bf16 copies of the weights inside a region; the recomputation's copies must not
// outlive it, or the forward after an update would run on the old weights.
TEST(Precision, TheForwardAfterARecomputeAndAnUpdateSeesTheNewWeights) {
    auto model = models::load_model(tests::fixture("trainer/tiny-gpt2-init"));
    model->train();
    auto ids = torch::randint(0, 96, {2, 16}, torch::kLong);
    auto forward = [&] {
        torch::manual_seed(1);  // the same dropout masks each time
        AutocastGuard autocast(true, torch::kCPU);
        return model->forward(ids);
    };
    model->set_gradient_checkpointing(true);
    models::causal_lm_loss(forward(), ids).backward();  // the recompute runs here
    {
        torch::NoGradGuard no_grad;
        for (auto& p : model->parameters())
            p.add_(0.05);
    }
    const auto after_recompute = forward().detach();
    at::autocast::clear_cache();  // the reference casts the updated weights, whatever was cached
    const auto fresh = forward().detach();
    EXPECT_TRUE(torch::equal(after_recompute, fresh))
        << "max difference " << (after_recompute - fresh).abs().max().item<float>();
}

TEST(Regularisers, LabelSmoothingIsTransformersLabelSmoother) {
    torch::manual_seed(0);
    auto logits = torch::randn({2, 6, 11});
    auto labels = torch::randint(0, 11, {2, 6}, torch::kLong);
    labels[1][4] = -100;
    const double eps = 0.1;
    // LabelSmoother with shift_labels=True, written out.
    auto lp = torch::log_softmax(logits.narrow(1, 0, 5), -1);
    auto target = labels.narrow(1, 1, 5);
    auto active = target.ne(-100);
    auto safe = target.clamp_min(0);
    auto nll = -lp.gather(-1, safe.unsqueeze(-1)).squeeze(-1).masked_fill(~active, 0).sum();
    auto smooth = -lp.sum(-1).masked_fill(~active, 0).sum();
    const double n = active.sum().item<double>();
    const double expected =
        (1 - eps) * nll.item<double>() / n + eps * smooth.item<double>() / (n * 11);
    EXPECT_NEAR(models::causal_lm_loss(logits, labels, std::nullopt, -100, eps).item<double>(),
                expected, 1e-6);
}

TEST(Regularisers, NeftuneAddsBoundedNoiseOnlyInTraining) {
    auto model = models::load_model(tests::fixture("trainer/tiny-gpt2-init"));
    auto ids = torch::randint(0, 96, {2, 16}, torch::kLong);
    torch::NoGradGuard no_grad;
    model->eval();
    auto clean = model->forward(ids);
    model->set_neftune_noise_alpha(5.0);
    EXPECT_TRUE(torch::equal(model->forward(ids), clean));  // eval: no noise
    model->train();
    auto noisy = model->forward(ids);
    EXPECT_FALSE(torch::allclose(noisy, clean));
    model->set_neftune_noise_alpha(std::nullopt);
    EXPECT_TRUE(
        torch::allclose(model->forward(ids), clean, 1e-5, 1e-5));  // no dropout in this model
}

}  // namespace
}  // namespace lathe::core::trainer

// Initialisation statistics against Transformers' _init_weights (init-stats.json, written by the
// fixture script from freshly constructed Python models), and the loss helper.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>

#include "core/models/causal_lm.h"
#include "core/models/model_factory.h"
#include "core/models/model_folder.h"
#include "core/models/tensor_io.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::models {
namespace {

void expect_init_like_transformers(const std::string& family) {
    auto stats = nlohmann::json::parse(util::read_file(tests::fixture("models/init-stats.json")));
    auto config_json = stats[family]["config"];
    config_json["model_type"] = family;
    auto model = create_model(parse_model_config(config_json, "init-stats.json"), 0);
    std::size_t checked = 0;
    for (const auto& item : model->named_parameters()) {
        SCOPED_TRACE(item.key());
        ASSERT_TRUE(stats[family]["params"].contains(item.key()));
        const auto& expected = stats[family]["params"][item.key()];
        auto p = item.value().to(torch::kFloat64);
        const double std = p.numel() > 1 ? p.std().item<double>() : 0.0;
        const double mean = p.mean().item<double>();
        const double expected_std = expected["std"].get<double>();
        if (expected_std == 0.0) {
            EXPECT_EQ(std, 0.0);
            EXPECT_NEAR(mean, expected["mean"].get<double>(), 1e-12);
        } else {
            // Different random draws, same distribution: std within 5%, mean within 5 sigma.
            EXPECT_NEAR(std, expected_std, 0.05 * expected_std);
            EXPECT_NEAR(mean, 0.0, 5 * expected_std / std::sqrt(static_cast<double>(p.numel())));
        }
        ++checked;
    }
    EXPECT_EQ(checked, stats[family]["params"].size());
}

TEST(ModelInit, Gpt2MatchesTransformersStatistics) {
    expect_init_like_transformers("gpt2");
}
TEST(ModelInit, LlamaMatchesTransformersStatistics) {
    expect_init_like_transformers("llama");
}

TEST(ModelInit, SameSeedSameWeights) {
    auto config = preset_config("llama-tiny", 300);
    auto a = create_model(config, 7), b = create_model(config, 7), c = create_model(config, 8);
    auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        EXPECT_TRUE(torch::equal(pa[i], pb[i]));
    EXPECT_FALSE(torch::equal(pa[1], pc[1]));
}

TEST(ModelInit, ParameterCountMatchesModules) {
    for (const auto& preset : {"gpt2-tiny", "llama-tiny"}) {
        auto config = preset_config(preset, 257);
        auto model = create_model(config, 0);
        std::int64_t n = 0;
        for (const auto& p : model->parameters())
            n += p.numel();
        EXPECT_EQ(count_parameters(config), n) << preset;
    }
    // GPT-2 small with its real vocabulary is the well-known 124M.
    EXPECT_EQ(count_parameters(preset_config("gpt2-small", 50257)), 124439808);
}

TEST(CausalLmLoss, ShiftsLabelsAndIgnoresMinus100) {
    auto logits = torch::randn({2, 5, 7});
    auto labels = torch::randint(0, 7, {2, 5}, torch::kLong);
    labels[0][3] = -100;
    auto expected = torch::nn::functional::cross_entropy(
        logits.narrow(1, 0, 4).reshape({-1, 7}), labels.narrow(1, 1, 4).reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
    EXPECT_NEAR(causal_lm_loss(logits, labels).item<double>(), expected.item<double>(), 1e-6);
    // Token-weighted: the sum over 7 valid targets divided by a larger count.
    auto weighted = causal_lm_loss(logits, labels, 14);
    EXPECT_NEAR(weighted.item<double>(), expected.item<double>() * 7.0 / 14.0, 1e-6);
}

}  // namespace
}  // namespace lathe::core::models

namespace lathe::core::models {
namespace {

// Writes folders made by Lathe from scratch, plus their inputs and Lathe's logits, where
// make_model_fixtures.py --check-folder can load them in Transformers (the other direction of
// the parity check). LATHE_EXPORT_DIR keeps them; otherwise they go to a temp dir.
TEST(ModelExport, FoldersFromScratchCarryInputsAndLogitsForPython) {
    const char* env = std::getenv("LATHE_EXPORT_DIR");
    const std::filesystem::path root = env ? std::filesystem::path(env) : tests::temp_dir("export");
    for (const auto& preset : {"gpt2-tiny", "llama-tiny"}) {
        auto config = preset_config(preset, 300);
        config.max_position_embeddings = 64;
        if (config.model_type == "llama") {
            config.rope_theta = 500000.0;
            config.rope_scaling.rope_type = "llama3";
            config.rope_scaling.factor = 8.0;
            config.rope_scaling.original_max_position_embeddings = 32;
        }
        auto model = create_model(config, 3);
        model->eval();
        const auto dir = root / preset;
        save_model(*model, dir.string());
        torch::manual_seed(4);
        auto ids = torch::randint(0, 300, {2, 20}, torch::kLong);
        torch::NoGradGuard no_grad;
        auto logits = model->forward(ids);
        auto loss = causal_lm_loss(logits, ids).reshape({});
        save_tensors((root / (std::string(preset) + "-io")).string(),
                     {{"input_ids", ids}, {"labels", ids}, {"logits", logits}, {"loss", loss}},
                     1ULL << 40);
        EXPECT_TRUE(std::filesystem::exists(dir / "model.safetensors"));
        // What Python will read back must be what Lathe computes from its own reload.
        auto reloaded = load_model(dir.string());
        EXPECT_TRUE(torch::equal(reloaded->forward(ids), logits));
    }
}

}  // namespace
}  // namespace lathe::core::models

namespace lathe::core::models {
namespace {

// Recomputing each block in backward gives the same loss and the same gradients, dropout
// included (the recomputation replays the RNG state the forward saw).
TEST(GradientCheckpointing, SameLossAndGradientsWithDropout) {
    for (const auto& preset : {"gpt2-tiny", "llama-tiny"}) {
        SCOPED_TRACE(preset);
        auto config = preset_config(preset, 100);
        config.max_position_embeddings = 32;
        config.attention_dropout = 0.1;  // llama; gpt2 has its 0.1 dropouts by default
        auto model = create_model(config, 1);
        model->train();
        auto ids = torch::randint(0, 100, {2, 16}, torch::kLong);
        auto run = [&](bool recompute) {
            model->set_gradient_checkpointing(recompute);
            model->zero_grad();
            torch::manual_seed(9);
            auto loss = causal_lm_loss(model->forward(ids), ids);
            loss.backward();
            std::vector<torch::Tensor> grads;
            for (const auto& p : model->parameters())
                grads.push_back(p.grad().clone());
            return std::make_pair(loss.item<double>(), grads);
        };
        auto [plain_loss, plain_grads] = run(false);
        auto [ckpt_loss, ckpt_grads] = run(true);
        EXPECT_EQ(plain_loss, ckpt_loss);
        ASSERT_EQ(plain_grads.size(), ckpt_grads.size());
        for (std::size_t i = 0; i < plain_grads.size(); ++i) {
            EXPECT_TRUE(torch::allclose(plain_grads[i], ckpt_grads[i], 1e-5, 1e-6))
                << "parameter " << i;
        }
    }
}

}  // namespace
}  // namespace lathe::core::models

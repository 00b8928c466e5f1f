// Logits, loss and greedy generation against fixtures written by Python Transformers 4.46.3
// (tests/fixtures/make_model_fixtures.py): the oracle no one here wrote.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/models/causal_lm.h"
#include "core/models/generate.h"
#include "core/models/model_folder.h"
#include "core/models/tensor_io.h"
#include "core/safetensors/safetensors.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::models {
namespace {

namespace fs = std::filesystem;

struct Io {
    torch::Tensor input_ids, labels, logits, loss, greedy_prompt, greedy_ids;
};

Io read_io(const std::string& name) {
    auto file = safetensors::File::open(tests::fixture("models/" + name + "-io.safetensors"));
    auto get = [&](const char* key) {
        return tensor_from_file(file, *file.header().find(key)).clone();
    };
    return {get("input_ids"), get("labels"),        get("logits"),
            get("loss"),      get("greedy_prompt"), get("greedy_ids")};
}

std::vector<std::int64_t> to_vector(const torch::Tensor& t) {
    auto flat = t.reshape({-1}).contiguous();
    return {flat.data_ptr<std::int64_t>(), flat.data_ptr<std::int64_t>() + flat.numel()};
}

void expect_matches_oracle(CausalLanguageModel& model, const Io& io) {
    torch::NoGradGuard no_grad;
    model.eval();
    auto logits = model.forward(io.input_ids);
    ASSERT_EQ(logits.sizes(), io.logits.sizes());
    const double logits_diff = (logits - io.logits).abs().max().item<double>();
    EXPECT_LE(logits_diff, 1e-4);
    auto loss = causal_lm_loss(logits, io.labels);
    EXPECT_NEAR(loss.item<double>(), io.loss.item<double>(), 1e-5);
    // The figures, for the record (not timings): how far from Transformers we actually are.
    std::printf("    logits max-abs-diff %.3g, loss diff %.3g\n", logits_diff,
                std::abs(loss.item<double>() - io.loss.item<double>()));
}

class ModelParity : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelParity, LogitsAndLossMatchTransformers) {
    auto model = load_model(tests::fixture("models/" + GetParam()));
    expect_matches_oracle(*model, read_io(GetParam()));
}

TEST_P(ModelParity, GreedyGenerationMatchesTransformers) {
    auto model = load_model(tests::fixture("models/" + GetParam()));
    auto io = read_io(GetParam());
    GenerateOptions options;
    options.max_new_tokens = io.greedy_ids.size(1) - io.greedy_prompt.size(1);
    options.stop_token_ids = model->config().eos_token_ids;
    EXPECT_EQ(generate(*model, to_vector(io.greedy_prompt), options), to_vector(io.greedy_ids));
}

TEST_P(ModelParity, SaveAndReloadKeepsLogits) {
    auto model = load_model(tests::fixture("models/" + GetParam()));
    auto dir = tests::temp_dir("roundtrip-" + GetParam());
    save_model(*model, dir.string());
    EXPECT_TRUE(fs::exists(dir / "config.json"));
    EXPECT_TRUE(fs::exists(dir / "generation_config.json"));
    auto reloaded = load_model(dir.string());
    expect_matches_oracle(*reloaded, read_io(GetParam()));
}

TEST_P(ModelParity, ShardedSaveReloads) {
    auto model = load_model(tests::fixture("models/" + GetParam()));
    auto dir = tests::temp_dir("sharded-" + GetParam());
    SaveOptions options;
    options.max_shard_bytes = 16 * 1024;
    save_model(*model, dir.string(), nullptr, options);
    EXPECT_TRUE(fs::exists(dir / "model.safetensors.index.json"));
    EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
    expect_matches_oracle(*load_model(dir.string()), read_io(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelParity,
                         ::testing::Values("tiny-gpt2", "tiny-llama", "tiny-llama-tied",
                                           "tiny-gpt2-v5", "tiny-llama-v5", "tiny-llama-tied-v5"),
                         [](const auto& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

TEST(ModelFolder, TransformersV5SpellingsLoadToTheSameModel) {
    auto dir = tests::temp_dir("v5-llama");
    fs::copy(tests::fixture("models/tiny-llama"), dir, fs::copy_options::recursive);
    auto config = nlohmann::json::parse(util::read_file((dir / "config.json").string()));
    nlohmann::json rope = config["rope_scaling"];
    rope["rope_theta"] = config["rope_theta"];
    config["rope_parameters"] = rope;
    config.erase("rope_scaling");
    config.erase("rope_theta");
    config["dtype"] = config["torch_dtype"];
    config.erase("torch_dtype");
    util::write_file_atomic((dir / "config.json").string(), config.dump(2));
    expect_matches_oracle(*load_model(dir.string()), read_io("tiny-llama"));
}

TEST(ModelFolder, Gpt2AliasesAreAccepted) {
    auto dir = tests::temp_dir("alias-gpt2");
    fs::copy(tests::fixture("models/tiny-gpt2"), dir, fs::copy_options::recursive);
    auto config = nlohmann::json::parse(util::read_file((dir / "config.json").string()));
    config["hidden_size"] = config["n_embd"];
    config["num_hidden_layers"] = config["n_layer"];
    config.erase("n_embd");
    config.erase("n_layer");
    util::write_file_atomic((dir / "config.json").string(), config.dump(2));
    expect_matches_oracle(*load_model(dir.string()), read_io("tiny-gpt2"));
}

TEST(ModelFolder, StoredDtypeIsKeptOrConverted) {
    auto bf16 = load_model(tests::fixture("models/tiny-gpt2-bf16"));
    EXPECT_EQ(bf16->parameters().front().scalar_type(), torch::kBFloat16);
    EXPECT_EQ(bf16->config().torch_dtype, "bfloat16");
    LoadOptions options;
    options.dtype = torch::kFloat32;
    auto fp32 = load_model(tests::fixture("models/tiny-gpt2-bf16"), options);
    for (const auto& p : fp32->parameters())
        EXPECT_EQ(p.scalar_type(), torch::kFloat32);
    // bf16 weights widened to fp32 give logits close to the fp32 oracle (bf16 rounding only).
    torch::NoGradGuard no_grad;
    auto io = read_io("tiny-gpt2");
    EXPECT_LE((fp32->forward(io.input_ids) - io.logits).abs().max().item<double>(), 1e-2);
}

TEST(ModelFolder, HubFilesWithoutBasePrefixLoad) {
    // Hub GPT-2 checkpoints name tensors "h.0.attn..." without "transformer.".
    auto model = load_model(tests::fixture("models/tiny-gpt2"));
    auto dir = tests::temp_dir("noprefix");
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& item : model->named_parameters()) {
        tensors.emplace_back(item.key().substr(std::string("transformer.").size()), item.value());
    }
    save_tensors(dir.string(), tensors, 1ULL << 40);
    fs::copy(tests::fixture("models/tiny-gpt2/config.json"), dir / "config.json");
    expect_matches_oracle(*load_model(dir.string()), read_io("tiny-gpt2"));
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const core::Error& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(ModelFolder, MissingTensorIsNamed) {
    auto model = load_model(tests::fixture("models/tiny-gpt2"));
    auto dir = tests::temp_dir("missing");
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& item : model->named_parameters()) {
        if (item.key() != "transformer.ln_f.bias")
            tensors.emplace_back(item.key(), item.value());
    }
    save_tensors(dir.string(), tensors, 1ULL << 40);
    fs::copy(tests::fixture("models/tiny-gpt2/config.json"), dir / "config.json");
    auto message = error_of([&] { load_model(dir.string()); });
    EXPECT_NE(message.find("transformer.ln_f.bias"), std::string::npos) << message;
    EXPECT_NE(message.find("missing"), std::string::npos) << message;
}

TEST(ModelFolder, ShapeMismatchAndUnexpectedTensorsAreNamed) {
    auto model = load_model(tests::fixture("models/tiny-gpt2"));
    auto dir = tests::temp_dir("mismatch");
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& item : model->named_parameters()) {
        tensors.emplace_back(item.key(), item.key() == "transformer.wpe.weight"
                                             ? torch::zeros({10, 32})
                                             : item.value());
    }
    save_tensors(dir.string(), tensors, 1ULL << 40);
    fs::copy(tests::fixture("models/tiny-gpt2/config.json"), dir / "config.json");
    auto message = error_of([&] { load_model(dir.string()); });
    EXPECT_NE(message.find("transformer.wpe.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("[10, 32]"), std::string::npos) << message;

    tensors.clear();
    for (const auto& item : model->named_parameters())
        tensors.emplace_back(item.key(), item.value());
    tensors.emplace_back("score.weight", torch::zeros({2, 32}));
    save_tensors(dir.string(), tensors, 1ULL << 40);
    message = error_of([&] { load_model(dir.string()); });
    EXPECT_NE(message.find("score.weight"), std::string::npos) << message;
}

TEST(ModelFolder, UnsupportedModelTypeListsSupportedOnes) {
    auto dir = tests::temp_dir("bert");
    util::write_file_atomic((dir / "config.json").string(), R"({"model_type": "bert"})");
    auto message = error_of([&] { load_model(dir.string()); });
    EXPECT_NE(message.find("\"bert\""), std::string::npos) << message;
    EXPECT_NE(message.find("gpt2, llama"), std::string::npos) << message;
}

TEST(ModelFolder, PickleOnlyFolderIsRefusedClearly) {
    auto dir = tests::temp_dir("pickle");
    fs::copy(tests::fixture("models/tiny-gpt2/config.json"), dir / "config.json");
    std::ofstream(dir / "pytorch_model.bin") << "not read";
    auto message = error_of([&] { load_model(dir.string()); });
    EXPECT_NE(message.find("pytorch_model.bin"), std::string::npos) << message;
}

TEST(ModelFolder, MissingFolderAndConfigAreNamed) {
    EXPECT_NE(
        error_of([] { load_model("/nonexistent/lathe-model"); }).find("/nonexistent/lathe-model"),
        std::string::npos);
    auto dir = tests::temp_dir("noconfig");
    EXPECT_NE(error_of([&] { load_model(dir.string()); }).find("config.json"), std::string::npos);
}

}  // namespace
}  // namespace lathe::core::models

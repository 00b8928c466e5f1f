// Lathe's .pt files must load in Python with torch.load(weights_only=True), torch's default since
// 2.6 and what Transformers resumes with: no TorchScript-only globals in the pickle.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/models/model_folder.h"
#include "core/trainer/python_pickle.h"
#include "core/trainer/trainer.h"
#include "core/util/file_io.h"
#include "tests/core/trainer/trainer_test_util.h"

namespace lathe::core::trainer {
namespace {
namespace fs = std::filesystem;

bool mentions(const std::string& bytes, const std::string& what) {
    return bytes.find(what) != std::string::npos;
}

TEST(PythonPickle, NestedValuesRoundTripWithoutTorchScriptTags) {
    auto root = c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
    auto by_index = c10::impl::GenericDict(c10::IntType::get(), c10::AnyType::get());
    by_index.insert(3, torch::arange(6, torch::kFloat32).reshape({2, 3}));
    c10::impl::GenericList items(c10::AnyType::get());
    items.push_back(std::int64_t{7});
    items.push_back(0.25);
    items.push_back(c10::ivalue::Tuple::create({0.9, 0.999}));
    root.insert("state", by_index);
    root.insert("items", items);
    root.insert("flag", false);
    root.insert("none", c10::IValue());
    const auto bytes = pickle_for_python(root);
    const std::string text(bytes.begin(), bytes.end());
    EXPECT_FALSE(mentions(text, "torch.jit")) << "a TorchScript global: weights_only refuses it";
    EXPECT_TRUE(mentions(text, "_rebuild_tensor_v2"));

    const auto back = torch::pickle_load(bytes).toGenericDict();
    EXPECT_TRUE(torch::equal(back.at("state").toGenericDict().at(3).toTensor(),
                             torch::arange(6, torch::kFloat32).reshape({2, 3})));
    const auto list = back.at("items").toList();
    EXPECT_EQ(list.get(0).toInt(), 7);
    EXPECT_EQ(list.get(1).toDouble(), 0.25);
    EXPECT_EQ(list.get(2).toTuple()->elements()[1].toDouble(), 0.999);
    EXPECT_FALSE(back.at("flag").toBool());
    EXPECT_TRUE(back.at("none").isNone());

    // What it replaces: torch::pickle_save tags the same value.
    const auto tagged = torch::pickle_save(root);
    EXPECT_TRUE(mentions(std::string(tagged.begin(), tagged.end()), "torch.jit"));
}

// Transformers' optimizer.pt from a GPU run tags its tensors cuda:0; they load into host memory
// (torch.load's map_location="cpu"), also with a libtorch that has no CUDA
// (make_gpu_saved_fixture.py).
TEST(PythonPickle, ADictSavedOnAGpuLoadsIntoHostMemory) {
    const auto state =
        load_python_dict(tests::fixture("trainer/saved_on_gpu/optimizer.pt"), "optimizer state")
            .at("state")
            .toGenericDict();
    const auto exp_avg = state.at(0).toGenericDict().at("exp_avg").toTensor();
    EXPECT_EQ(exp_avg.device(), torch::Device(torch::kCPU));
    const auto expected =
        load_python_dict(tests::fixture("trainer/saved_on_gpu/expected.pt"), "expected values");
    EXPECT_TRUE(torch::equal(exp_avg, expected.at("exp_avg_of_weight").toTensor()));
}

TEST(PythonPickle, EveryPtFileOfACheckpointIsWeightsOnlyLoadable) {
    auto args_json =
        nlohmann::json::parse(util::read_file(tests::fixture("trainer/schedule_args.json")));
    const auto out = tests::temp_dir("pickle-checkpoint");
    args_json["output_dir"] = out.string();
    args_json["max_steps"] = 2;
    args_json["save_strategy"] = "steps";
    args_json["save_steps"] = 2;
    args_json["eval_strategy"] = "no";
    TrainerOptions options;
    options.args = testing::args_from(args_json);
    options.output_dir = out.string();
    options.grad_scaler = GradScalerOptions{};
    Trainer trainer(models::load_model(tests::fixture("trainer/tiny-gpt2-init")), std::nullopt,
                    testing::blocks_from_fixture("train"), testing::blocks_from_fixture("eval"),
                    options);
    trainer.train();
    std::size_t checked = 0;
    for (const auto& entry : fs::directory_iterator(out / "checkpoint-2")) {
        if (entry.path().extension() != ".pt")
            continue;
        const auto text = util::read_file(entry.path().string());
        EXPECT_FALSE(mentions(text, "torch.jit")) << entry.path();
        ++checked;
    }
    EXPECT_EQ(checked, 4u);  // optimizer, scheduler, scaler, RNG
}

}  // namespace
}  // namespace lathe::core::trainer

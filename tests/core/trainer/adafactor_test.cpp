// Lathe's Adafactor against Transformers' own (fixtures by make_adafactor_fixtures.py): the same
// parameters after every step, and optimizer.pt read and written in Transformers' layout.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/models/tensor_io.h"
#include "core/safetensors/file.h"
#include "core/trainer/adafactor.h"
#include "core/trainer/checkpoint_io.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::trainer {
namespace {
using nlohmann::json;

struct Case {
    json spec;
    std::vector<torch::Tensor> params;
    std::unique_ptr<Adafactor> optimizer;
};

class AdafactorParity : public ::testing::Test {
  protected:
    static torch::Tensor load(const std::string& key) {
        static auto file =
            safetensors::File::open(tests::fixture("trainer/adafactor/steps.safetensors"));
        const auto* info = file.header().find(key);
        EXPECT_NE(info, nullptr) << key;
        return models::tensor_from_file(file, *info).clone();
    }

    static Case make(int c) {
        const json cases =
            json::parse(util::read_file(tests::fixture("trainer/adafactor/cases.json")));
        Case out;
        out.spec = cases["cases"][c];
        for (std::size_t i = 0; i < out.spec["shapes"].size(); ++i) {
            out.params.push_back(
                load("c" + std::to_string(c) + "_p" + std::to_string(i)).set_requires_grad(true));
        }
        std::vector<torch::optim::OptimizerParamGroup> groups;
        for (std::size_t g = 0; g < out.spec["groups"].size(); ++g) {
            std::vector<torch::Tensor> members;
            for (const auto& i : out.spec["groups"][g])
                members.push_back(out.params[i.get<std::size_t>()]);
            AdafactorOptions options(1e-2);
            options.weight_decay(g == 0 ? out.spec["weight_decay"].get<double>() : 0.0);
            options.scale_parameter(out.spec["scale_parameter"].get<bool>());
            if (!out.spec["beta1"].is_null())
                options.beta1(out.spec["beta1"].get<double>());
            groups.emplace_back(members, std::make_unique<AdafactorOptions>(options));
        }
        out.optimizer = std::make_unique<Adafactor>(std::move(groups));
        return out;
    }

    static void step(Case& k, int c, int s) {
        for (auto& group : k.optimizer->param_groups())
            group.options().set_lr(k.spec["lrs"][s - 1].get<double>());
        for (std::size_t i = 0; i < k.params.size(); ++i) {
            k.params[i].mutable_grad() =
                load("c" + std::to_string(c) + "_g" + std::to_string(s) + "_" + std::to_string(i));
        }
        k.optimizer->step();
    }

    static void expect_params(const Case& k, int c, int s) {
        for (std::size_t i = 0; i < k.params.size(); ++i) {
            const auto expected = load("c" + std::to_string(c) + "_after" + std::to_string(s) +
                                       "_" + std::to_string(i));
            const double diff = (k.params[i].detach() - expected).abs().max().item<double>();
            EXPECT_LE(diff, 1e-6) << "case " << c << " step " << s << " parameter " << i;
        }
    }
};

TEST_F(AdafactorParity, EveryStepMatchesTransformersAdafactor) {
    for (int c = 0; c < 2; ++c) {
        Case k = make(c);
        for (int s = 1; s <= k.spec["steps"].get<int>(); ++s) {
            step(k, c, s);
            expect_params(k, c, s);
        }
    }
}

TEST_F(AdafactorParity, ResumesFromItsOwnAndFromTransformersOptimizerPt) {
    const auto dir = tests::temp_dir("adafactor-state");
    for (int c = 0; c < 2; ++c) {
        Case first = make(c);
        for (int s = 1; s <= 3; ++s)
            step(first, c, s);
        const std::string path = (dir / ("c" + std::to_string(c) + ".pt")).string();
        save_optimizer_state(*first.optimizer, path);
        // A fresh optimizer over the parameters after step 3, state loaded from the file.
        Case resumed = make(c);
        for (std::size_t i = 0; i < resumed.params.size(); ++i) {
            torch::NoGradGuard no_grad;
            resumed.params[i].copy_(first.params[i]);
        }
        load_optimizer_state(*resumed.optimizer, path);
        for (int s = 4; s <= first.spec["steps"].get<int>(); ++s) {
            step(resumed, c, s);
            expect_params(resumed, c, s);
        }
    }
    // Transformers' own optimizer.pt after the last step loads, with its step count.
    Case hf = make(0);
    load_optimizer_state(*hf.optimizer, tests::fixture("trainer/adafactor/optimizer.pt"));
    const auto& state = hf.optimizer->state();
    ASSERT_EQ(state.size(), 4u);
    for (const auto& item : state)
        EXPECT_EQ(static_cast<const AdafactorParamState&>(*item.second).step(), 6);
}

}  // namespace
}  // namespace lathe::core::trainer

// The fp16 gradient scaler: torch.amp.GradScaler's arithmetic, Transformers' handling of skipped
// steps (no optimizer or scheduler step), scaler.pt, and exact resume. The oracle is Transformers'
// Trainer 4.46.3 with Accelerate's GradScaler on torch 2.5.1, run in fp32 with autocast off
// (tests/fixtures/make_grad_scaler_fixtures.py): libtorch 1.13 on CPU has no fp16 autocast, and
// in fp32 a huge initial scale overflows the gradients the way fp16 does at 65536.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/checkpoints/python_json.h"
#include "core/models/model_folder.h"
#include "core/trainer/grad_scaler.h"
#include "core/trainer/trainer.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/core/trainer/trainer_test_util.h"

namespace lathe::core::trainer {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

template <typename Field, typename Value>
GradScalerOptions with(Field GradScalerOptions::*field, Value value) {
    GradScalerOptions o;
    o.*field = static_cast<Field>(value);
    return o;
}

json fixture_json(const std::string& name) {
    const auto path = tests::fixture("trainer/grad_scaler/" + name);
    return checkpoints::python_json_loads(util::read_file(path), path);
}

GradScalerOptions fixture_scaler_options() {
    const auto s = fixture_json("args.json")["grad_scaler"];
    GradScalerOptions o;
    o.init_scale = s["init_scale"].get<double>();
    o.growth_factor = s["growth_factor"].get<double>();
    o.backoff_factor = s["backoff_factor"].get<double>();
    o.growth_interval = s["growth_interval"].get<std::int64_t>();
    return o;
}

TEST(GradScaler, BacksOffOnOverflowAndGrowsAfterTheIntervalAsTorchDoes) {
    GradScalerOptions o;
    o.init_scale = 1024;
    o.growth_interval = 3;
    GradScaler scaler(o);
    scaler.update(true);
    EXPECT_EQ(scaler.current_scale(), 512.0f);
    EXPECT_EQ(scaler.growth_tracker(), 0);
    scaler.update(false);
    scaler.update(false);
    EXPECT_EQ(scaler.current_scale(), 512.0f);
    EXPECT_EQ(scaler.growth_tracker(), 2);
    scaler.update(false);
    EXPECT_EQ(scaler.current_scale(), 1024.0f);
    EXPECT_EQ(scaler.growth_tracker(), 0);
    scaler.update(false);
    scaler.update(true);  // an overflow resets the run of clean steps
    EXPECT_EQ(scaler.current_scale(), 512.0f);
    EXPECT_EQ(scaler.growth_tracker(), 0);

    // Growth that would overflow fp32 keeps the scale (torch checks the grown value).
    o.init_scale = std::ldexp(1.0, 127);
    o.growth_interval = 1;
    GradScaler top(o);
    top.update(false);
    EXPECT_EQ(top.current_scale(), std::ldexp(1.0f, 127));
    EXPECT_EQ(top.growth_tracker(), 0);
}

TEST(GradScaler, UnscalesEveryGradientAndFindsInfAndNan) {
    GradScaler scaler(with(&GradScalerOptions::init_scale, 8.0));
    auto a = torch::ones({3}, torch::requires_grad());
    auto b = torch::ones({2}, torch::requires_grad());
    auto unused = torch::ones({2}, torch::requires_grad());  // no gradient: skipped
    (scaler.scale((a * 2).sum() + (b * 4).sum())).backward();
    EXPECT_TRUE(torch::equal(a.grad(), torch::full({3}, 16.0)));
    EXPECT_FALSE(scaler.unscale({a, b, unused}));
    EXPECT_TRUE(torch::equal(a.grad(), torch::full({3}, 2.0)));
    EXPECT_TRUE(torch::equal(b.grad(), torch::full({2}, 4.0)));

    b.grad()[1] = std::numeric_limits<float>::infinity();
    EXPECT_TRUE(scaler.unscale({a, b}));
    a.grad()[0] = std::nanf("");
    b.grad().fill_(1.0);
    EXPECT_TRUE(scaler.unscale({a, b}));
}

TEST(GradScaler, RefusesOptionsOutsideTorchsRangeNamingTheField) {
    auto message = [](GradScalerOptions o) {
        try {
            GradScaler::validate(o);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(message(with(&GradScalerOptions::init_scale, 0)).find("init_scale"),
              std::string::npos);
    EXPECT_NE(message(with(&GradScalerOptions::init_scale, 1e39)).find("init_scale"),
              std::string::npos);
    EXPECT_NE(message(with(&GradScalerOptions::growth_factor, 1.0)).find("growth_factor"),
              std::string::npos);
    EXPECT_NE(message(with(&GradScalerOptions::backoff_factor, 1.0)).find("backoff_factor"),
              std::string::npos);
    EXPECT_NE(message(with(&GradScalerOptions::growth_interval, 0)).find("growth_interval"),
              std::string::npos);
    EXPECT_EQ(message(GradScalerOptions{}), "");
}

TEST(GradScaler, ReadsTheScalerPtPythonWroteAndWritesOneThatReadsBack) {
    // hf_scaler.pt is torch.save(GradScaler.state_dict()) at the end of the oracle run.
    const auto last = fixture_json("scales.json").back();
    GradScaler scaler;
    scaler.load(tests::fixture("trainer/grad_scaler/hf_scaler.pt"));
    EXPECT_EQ(scaler.current_scale(), last["scale"].get<float>());
    EXPECT_EQ(scaler.growth_tracker(), last["growth_tracker"].get<std::int64_t>());

    auto dir = tests::temp_dir("scaler-pt");
    const auto path = (dir / "scaler.pt").string();
    scaler.update(true);
    scaler.save(path);
    GradScaler back;
    back.load(path);
    EXPECT_EQ(back.current_scale(), scaler.current_scale());
    EXPECT_EQ(back.growth_tracker(), 0);
    // The options travel with the state: the fixture's growth interval is 3.
    back.update(false);
    back.update(false);
    back.update(false);
    EXPECT_EQ(back.current_scale(), scaler.current_scale() * 2);

    util::write_file_atomic(path, "not a pickle");
    try {
        back.load(path);
        FAIL() << "a garbage scaler.pt loaded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
}

// Records the scaler's state after every optimizer step.
class ScaleRecorder : public TrainerCallback {
  public:
    const Trainer* trainer = nullptr;
    std::vector<std::pair<float, std::int64_t>> scales;
    void on_step_end(const checkpoints::TrainerState&, TrainerControl&) override {
        const auto* s = trainer->grad_scaler();
        scales.emplace_back(s->current_scale(), s->growth_tracker());
    }
};

struct ScaledRun {
    json history;
    std::vector<std::pair<float, std::int64_t>> scales;
    std::vector<torch::Tensor> weights;
};

ScaledRun run_scaled(const fs::path& out, const json& overrides = json::object()) {
    auto args_json = fixture_json("args.json")["training_args"];
    // The oracle ran fp16=True with autocast off; here the same fp32 run gets the scaler
    // directly (fp16 itself needs CUDA).
    args_json["fp16"] = false;
    args_json["output_dir"] = out.string();
    args_json.update(overrides);
    TrainerOptions options;
    options.args = testing::args_from(args_json);
    options.output_dir = out.string();
    options.shuffle = false;
    options.grad_scaler = fixture_scaler_options();
    auto recorder = std::make_shared<ScaleRecorder>();
    options.callbacks.push_back(recorder);
    auto model = models::load_model(tests::fixture("trainer/tiny-gpt2-init"));
    Trainer trainer(model, std::nullopt, testing::blocks_from_fixture("train"),
                    testing::blocks_from_fixture("eval"), options);
    recorder->trainer = &trainer;
    trainer.train();
    ScaledRun run{trainer.state().log_history, recorder->scales, {}};
    for (const auto& p : model->parameters())
        run.weights.push_back(p.detach().clone());
    return run;
}

TEST(GradScalerTraining, SkipsScalesLossesAndLearningRatesMatchTransformersEveryStep) {
    const auto expected = fixture_json("hf_log_history.json");
    const auto expected_scales = fixture_json("scales.json");
    const auto run = run_scaled(tests::temp_dir("scaler-parity"));
    ASSERT_EQ(run.history.size(), expected.size());
    ASSERT_EQ(run.scales.size(), expected_scales.size());
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < expected_scales.size(); ++i) {
        SCOPED_TRACE("step " + std::to_string(i + 1));
        EXPECT_EQ(run.scales[i].first, expected_scales[i]["scale"].get<float>());
        EXPECT_EQ(run.scales[i].second, expected_scales[i]["growth_tracker"].get<std::int64_t>());
    }
    // 4.46.3 logs the next step's rate, Lathe (as Transformers 5) the rate the step used.
    double rate_used = 0.0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        SCOPED_TRACE("log_history[" + std::to_string(i) + "] = " + expected[i].dump());
        const auto& e = expected[i];
        const auto& got = run.history[i];
        EXPECT_EQ(got["step"], e["step"]);
        if (e.contains("loss")) {
            EXPECT_NEAR(got["loss"].get<double>(), e["loss"].get<double>(), 1e-4);
            const double want_norm = e["grad_norm"].get<double>();
            const double got_norm = got["grad_norm"].get<double>();
            if (std::isfinite(want_norm)) {
                EXPECT_NEAR(got_norm, want_norm, 1e-4);
            } else {
                ++skipped;
                EXPECT_FALSE(std::isfinite(got_norm)) << got_norm;
            }
            // A skipped step leaves the schedule where it was.
            EXPECT_NEAR(got["learning_rate"].get<double>(), rate_used, 1e-12);
            rate_used = e["learning_rate"].get<double>();
        } else if (e.contains("eval_loss")) {
            EXPECT_NEAR(got["eval_loss"].get<double>(), e["eval_loss"].get<double>(), 1e-4);
        } else {
            EXPECT_NEAR(got["train_loss"].get<double>(), e["train_loss"].get<double>(), 1e-4);
        }
    }
    EXPECT_EQ(skipped, 5u);  // the fixture's initial overflow, and three after regrowth
}

TEST(GradScalerTraining, ResumesExactlyWithScaleTrackerAndScheduleFromTheCheckpoint) {
    const auto whole = run_scaled(tests::temp_dir("scaler-whole"));
    // Step 10 sits after the step-9 overflow: the schedule is two steps behind global_step and
    // the tracker is mid-interval.
    const auto out = tests::temp_dir("scaler-resumed");
    const json saving = {{"save_strategy", "steps"}, {"save_steps", 10}};
    run_scaled(out, saving);  // leaves checkpoint-10 and checkpoint-20
    const auto checkpoint = out / "checkpoint-10";
    ASSERT_TRUE(fs::exists(checkpoint / "scaler.pt"));
    GradScaler saved;
    saved.load((checkpoint / "scaler.pt").string());
    EXPECT_EQ(saved.current_scale(), whole.scales[9].first);
    EXPECT_EQ(saved.growth_tracker(), whole.scales[9].second);

    auto resume = saving;
    resume["resume_from_checkpoint"] = checkpoint.string();
    const auto resumed = run_scaled(out, resume);
    ASSERT_EQ(resumed.scales.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i)
        EXPECT_EQ(resumed.scales[i], whole.scales[10 + i]) << "step " << 11 + i;
    for (std::size_t i = 0; i < whole.weights.size(); ++i)
        EXPECT_TRUE(torch::equal(resumed.weights[i], whole.weights[i])) << "parameter " << i;
    auto train_logs = [](const json& history, std::int64_t from_step) {
        std::vector<json> logs;
        for (const auto& e : history)
            if (e.contains("loss") && e["step"].get<std::int64_t>() > from_step)
                logs.push_back({e["loss"], e["learning_rate"]});
        return logs;
    };
    EXPECT_EQ(train_logs(resumed.history, 10), train_logs(whole.history, 10));
}

TEST(GradScalerTraining, Fp16OnCpuIsRefusedNamingTheField) {
    auto args_json = fixture_json("args.json")["training_args"];
    args_json["output_dir"] = tests::temp_dir("fp16-cpu").string();
    TrainerOptions options;
    options.args = testing::args_from(args_json);
    options.output_dir = args_json["output_dir"].get<std::string>();
    try {
        Trainer trainer(models::load_model(tests::fixture("trainer/tiny-gpt2-init")), std::nullopt,
                        testing::blocks_from_fixture("train"), testing::blocks_from_fixture("eval"),
                        options);
        FAIL() << "fp16 on the CPU was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("training_args.fp16"), std::string::npos) << e.what();
    }
}

TEST(GradScalerTraining, Float16WeightsAreRefusedNamingTheFieldAndATensor) {
    auto args_json = fixture_json("args.json")["training_args"];
    args_json["fp16"] = false;
    args_json["output_dir"] = tests::temp_dir("fp16-weights").string();
    TrainerOptions options;
    options.args = testing::args_from(args_json);
    options.output_dir = args_json["output_dir"].get<std::string>();
    options.grad_scaler = GradScalerOptions{};
    auto model = models::load_model(tests::fixture("trainer/tiny-gpt2-init"));
    model->to(torch::kHalf);
    try {
        Trainer trainer(model, std::nullopt, testing::blocks_from_fixture("train"),
                        testing::blocks_from_fixture("eval"), options);
        FAIL() << "float16 weights were accepted with a gradient scaler";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("model.dtype"), std::string::npos) << message;
        EXPECT_NE(message.find("transformer."), std::string::npos) << message;
    }
}

}  // namespace
}  // namespace lathe::core::trainer

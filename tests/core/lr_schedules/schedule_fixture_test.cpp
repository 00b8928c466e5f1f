// Every learning rate of tests/fixtures/lr_schedules/schedules.json (made by
// tests/fixtures/make_lr_schedule_fixtures.py with transformers 4.46.3 / torch 1.13).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "core/lr_schedules/reduce_lr_on_plateau.h"
#include "core/lr_schedules/schedule.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::lr_schedules {
namespace {

const nlohmann::json& fixture() {
    static const nlohmann::json doc = nlohmann::json::parse(
        util::read_file(lathe::tests::fixture("lr_schedules/schedules.json")));
    return doc;
}

// Within 1e-9, absolute or relative, whichever is looser.
::testing::AssertionResult close(double expected, double actual) {
    double diff = std::fabs(expected - actual);
    if (diff <= 1e-9 || diff <= 1e-9 * std::fabs(expected))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "expected " << expected << ", got " << actual;
}

ScheduleSpec spec_of(const nlohmann::json& entry) {
    ScheduleSpec spec;
    spec.type = parse_scheduler_type(entry.at("type").get<std::string>());
    spec.warmup_steps = entry.at("warmup_steps").get<std::int64_t>();
    spec.total_steps = entry.at("total_steps").get<std::int64_t>();
    spec.base_lr = entry.at("base_lr").get<double>();
    spec.kwargs = entry.at("kwargs");
    return spec;
}

// Checks every fixture schedule of `type`; returns how many values it compared.
int check_type(const std::string& type) {
    int compared = 0;
    for (const auto& entry : fixture().at("schedules")) {
        if (entry.at("type") != type)
            continue;
        SCOPED_TRACE(entry.dump().substr(0, 200));
        auto spec = spec_of(entry);
        EXPECT_NO_THROW(validate(spec));
        const auto& lrs = entry.at("lrs");
        EXPECT_EQ(lrs.size(), static_cast<std::size_t>(spec.total_steps + 6));
        for (std::size_t step = 0; step < lrs.size(); ++step) {
            auto ok = close(lrs[step].get<double>(),
                            learning_rate(spec, static_cast<std::int64_t>(step)));
            EXPECT_TRUE(ok) << "step " << step;
            ++compared;
        }
    }
    return compared;
}

TEST(LrScheduleFixture, MadeByPinnedVersions) {
    EXPECT_EQ(fixture().at("transformers"), "4.46.3");
    EXPECT_EQ(fixture().at("torch").get<std::string>().substr(0, 4), "1.13");
}

TEST(LrScheduleFixture, Linear) {
    EXPECT_GT(check_type("linear"), 400);
}
TEST(LrScheduleFixture, Cosine) {
    EXPECT_GT(check_type("cosine"), 500);
}
TEST(LrScheduleFixture, CosineWithRestarts) {
    EXPECT_GT(check_type("cosine_with_restarts"), 500);
}
TEST(LrScheduleFixture, Polynomial) {
    EXPECT_GT(check_type("polynomial"), 500);
}
TEST(LrScheduleFixture, Constant) {
    EXPECT_GT(check_type("constant"), 100);
}
TEST(LrScheduleFixture, ConstantWithWarmup) {
    EXPECT_GT(check_type("constant_with_warmup"), 200);
}
TEST(LrScheduleFixture, InverseSqrt) {
    EXPECT_GT(check_type("inverse_sqrt"), 300);
}
TEST(LrScheduleFixture, CosineWithMinLr) {
    EXPECT_GT(check_type("cosine_with_min_lr"), 500);
}
TEST(LrScheduleFixture, WarmupStableDecay) {
    EXPECT_GT(check_type("warmup_stable_decay"), 1000);
}

TEST(LrScheduleFixture, WarmupStableDecayCoversEveryShape) {
    for (std::string warmup : {"linear", "cosine", "1-sqrt"}) {
        for (std::string decay : {"linear", "cosine", "1-sqrt"}) {
            bool found = false;
            for (const auto& entry : fixture().at("schedules")) {
                const auto& kw = entry.at("kwargs");
                found = found || (kw.value("warmup_type", "") == warmup &&
                                  kw.value("decay_type", "") == decay);
            }
            EXPECT_TRUE(found) << warmup << "/" << decay;
        }
    }
}

TEST(ReduceLrOnPlateauFixture, EveryRun) {
    int runs = 0;
    for (const auto& entry : fixture().at("plateau")) {
        SCOPED_TRACE(entry.at("kwargs").dump());
        ReduceLrOnPlateau plateau(entry.at("kwargs"), entry.at("base_lr").get<double>());
        const auto& metrics = entry.at("metrics");
        const auto& lrs = entry.at("lrs");
        ASSERT_EQ(metrics.size(), lrs.size());
        for (std::size_t i = 0; i < metrics.size(); ++i) {
            double lr = plateau.step(metrics[i].get<double>());
            EXPECT_TRUE(close(lrs[i].get<double>(), lr)) << "metric " << i;
            EXPECT_EQ(lr, plateau.lr());
        }
        ++runs;
    }
    EXPECT_GE(runs, 20);
}

// Stopping half-way, saving state() into a fresh scheduler and going on gives the same rates.
TEST(ReduceLrOnPlateauFixture, StateRoundTripMidRun) {
    for (const auto& entry : fixture().at("plateau")) {
        SCOPED_TRACE(entry.at("kwargs").dump());
        const double base_lr = entry.at("base_lr").get<double>();
        ReduceLrOnPlateau first(entry.at("kwargs"), base_lr);
        const auto& metrics = entry.at("metrics");
        const auto& lrs = entry.at("lrs");
        std::size_t half = metrics.size() / 2;
        for (std::size_t i = 0; i < half; ++i)
            first.step(metrics[i].get<double>());
        auto saved = nlohmann::json::parse(first.state().dump());
        ReduceLrOnPlateau second(entry.at("kwargs"), base_lr);
        second.load_state(saved);
        EXPECT_EQ(second.lr(), first.lr());
        for (std::size_t i = half; i < metrics.size(); ++i)
            EXPECT_TRUE(close(lrs[i].get<double>(), second.step(metrics[i].get<double>())));
    }
}

}  // namespace
}  // namespace lathe::core::lr_schedules

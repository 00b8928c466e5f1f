#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "core/lr_schedules/reduce_lr_on_plateau.h"
#include "core/lr_schedules/schedule.h"
#include "core/util/error.h"

namespace lathe::core::lr_schedules {
namespace {

using nlohmann::json;

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

ScheduleSpec spec(SchedulerType type, std::int64_t warmup, std::int64_t total, json kwargs = {},
                  double base_lr = 1e-3) {
    ScheduleSpec s;
    s.type = type;
    s.warmup_steps = warmup;
    s.total_steps = total;
    s.base_lr = base_lr;
    s.kwargs = kwargs.is_null() ? json::object() : kwargs;
    return s;
}

TEST(SchedulerType, EveryNameRoundTrips) {
    const auto& names = scheduler_type_names();
    ASSERT_EQ(names.size(), 10u);
    for (const auto& name : names)
        EXPECT_EQ(scheduler_type_name(parse_scheduler_type(name)), name);
    EXPECT_EQ(parse_scheduler_type("cosine_with_restarts"), SchedulerType::CosineWithRestarts);
    EXPECT_EQ(parse_scheduler_type("warmup_stable_decay"), SchedulerType::WarmupStableDecay);
}

TEST(SchedulerType, UnknownNameListsChoices) {
    auto message = error_of([] { parse_scheduler_type("cosin"); });
    EXPECT_NE(message.find("lr_scheduler_type \"cosin\""), std::string::npos) << message;
    EXPECT_NE(message.find("linear, cosine, cosine_with_restarts"), std::string::npos) << message;
    message = error_of([] { parse_scheduler_type("cosine_warmup_with_min_lr"); });
    EXPECT_NE(message.find("does not implement"), std::string::npos) << message;
}

TEST(ScheduleValidation, HandComputedValues) {
    EXPECT_DOUBLE_EQ(lr_multiplier(spec(SchedulerType::Linear, 10, 110), 5), 0.5);
    EXPECT_DOUBLE_EQ(lr_multiplier(spec(SchedulerType::Linear, 10, 110), 60), 0.5);
    EXPECT_DOUBLE_EQ(lr_multiplier(spec(SchedulerType::Cosine, 0, 100), 50), 0.5);
    EXPECT_DOUBLE_EQ(lr_multiplier(spec(SchedulerType::Constant, 10, 100), 0), 1.0);
    EXPECT_DOUBLE_EQ(lr_multiplier(spec(SchedulerType::InverseSqrt, 0, 100), 30000), 0.5);
    EXPECT_DOUBLE_EQ(
        lr_multiplier(spec(SchedulerType::CosineWithMinLr, 0, 100, {{"min_lr", 1e-4}}), 100), 0.1);
    EXPECT_DOUBLE_EQ(learning_rate(spec(SchedulerType::Linear, 0, 4, {}, 2e-3), 1), 1.5e-3);
}

// Transformers divides by zero there; Lathe ends at lr_end.
TEST(ScheduleValidation, PolynomialWarmupEqualsTotal) {
    auto s = spec(SchedulerType::Polynomial, 10, 10, {{"lr_end", 1e-4}});
    EXPECT_DOUBLE_EQ(lr_multiplier(s, 5), 0.5);
    EXPECT_DOUBLE_EQ(lr_multiplier(s, 10), 0.1);
    EXPECT_DOUBLE_EQ(lr_multiplier(s, 11), 0.1);
}

TEST(ScheduleValidation, CosineWithMinLrNeedsExactlyOne) {
    auto neither = error_of([] { validate(spec(SchedulerType::CosineWithMinLr, 0, 10)); });
    EXPECT_NE(neither.find("exactly one of lr_scheduler_kwargs.min_lr and "
                           "lr_scheduler_kwargs.min_lr_rate (neither is set)"),
              std::string::npos)
        << neither;
    auto both = error_of([] {
        validate(
            spec(SchedulerType::CosineWithMinLr, 0, 10, {{"min_lr", 1e-5}, {"min_lr_rate", 0.1}}));
    });
    EXPECT_NE(both.find("(both are set)"), std::string::npos) << both;
    // null is Python's None: absent.
    EXPECT_NO_THROW(validate(
        spec(SchedulerType::CosineWithMinLr, 0, 10, {{"min_lr", nullptr}, {"min_lr_rate", 0.1}})));
    auto zero_lr = error_of([] {
        validate(spec(SchedulerType::CosineWithMinLr, 0, 10, {{"min_lr", 1e-5}}, 0.0));
    });
    EXPECT_NE(zero_lr.find("lr_scheduler_kwargs.min_lr"), std::string::npos) << zero_lr;
}

TEST(ScheduleValidation, PolynomialNeedsBaseLrAboveLrEnd) {
    auto message = error_of([] {
        validate(spec(SchedulerType::Polynomial, 0, 10, {{"lr_end", 1e-3}}, 1e-3));
    });
    EXPECT_NE(message.find("lr_scheduler_kwargs.lr_end (0.001) must be smaller than the initial "
                           "learning rate (0.001)"),
              std::string::npos)
        << message;
    EXPECT_NO_THROW(validate(spec(SchedulerType::Polynomial, 0, 10, {{"lr_end", 1e-4}}, 1e-3)));
    // The default lr_end is 1e-7.
    EXPECT_THROW(validate(spec(SchedulerType::Polynomial, 0, 10, {}, 1e-7)), Error);
}

TEST(ScheduleValidation, WarmupStableDecayNeedsDecaySteps) {
    auto missing = error_of([] { validate(spec(SchedulerType::WarmupStableDecay, 0, 10)); });
    EXPECT_NE(missing.find("needs lr_scheduler_kwargs.num_decay_steps"), std::string::npos)
        << missing;
    auto shape = error_of([] {
        validate(spec(SchedulerType::WarmupStableDecay, 0, 10,
                      {{"num_decay_steps", 5}, {"decay_type", "exp"}}));
    });
    EXPECT_NE(shape.find("lr_scheduler_kwargs.decay_type must be one of \"linear\", \"cosine\", "
                         "\"1-sqrt\""),
              std::string::npos)
        << shape;
    auto fractional = error_of([] {
        validate(spec(SchedulerType::WarmupStableDecay, 0, 10, {{"num_decay_steps", 2.5}}));
    });
    EXPECT_NE(fractional.find("lr_scheduler_kwargs.num_decay_steps must be an integer"),
              std::string::npos)
        << fractional;
    auto too_long = error_of([] {
        validate(spec(SchedulerType::WarmupStableDecay, 5, 10, {{"num_decay_steps", 6}}));
    });
    EXPECT_NE(too_long.find("exceed the total steps (10)"), std::string::npos) << too_long;
    // With num_stable_steps given, the phases may end before or after total_steps.
    EXPECT_NO_THROW(validate(spec(SchedulerType::WarmupStableDecay, 5, 10,
                                  {{"num_decay_steps", 6}, {"num_stable_steps", 0}})));
    // validate_kwargs alone cannot know the step counts.
    EXPECT_NO_THROW(
        validate_kwargs(SchedulerType::WarmupStableDecay, {{"num_decay_steps", 600}}, 1e-3));
}

TEST(ScheduleValidation, UnknownKwargsAreNamed) {
    auto message = error_of([] {
        validate(spec(SchedulerType::Cosine, 0, 10, {{"num_cycle", 1}, {"last_epoch", 3}}));
    });
    EXPECT_NE(message.find("unknown lr_scheduler_kwargs.last_epoch, lr_scheduler_kwargs.num_cycle "
                           "for lr_scheduler_type \"cosine\" (accepted: num_cycles)"),
              std::string::npos)
        << message;
    auto linear = error_of([] { validate(spec(SchedulerType::Linear, 0, 10, {{"power", 2}})); });
    EXPECT_NE(linear.find("(accepted: none)"), std::string::npos) << linear;
    auto plateau = error_of([] {
        validate(spec(SchedulerType::ReduceLrOnPlateau, 0, 10, {{"paitence", 2}}));
    });
    EXPECT_NE(plateau.find("lr_scheduler_kwargs.paitence"), std::string::npos) << plateau;
}

TEST(ScheduleValidation, KwargTypesAndRanges) {
    auto text = error_of([] {
        validate(spec(SchedulerType::Cosine, 0, 10, {{"num_cycles", "1"}}));
    });
    EXPECT_NE(text.find("lr_scheduler_kwargs.num_cycles must be a number (got \"1\")"),
              std::string::npos)
        << text;
    EXPECT_THROW(validate(spec(SchedulerType::Cosine, 0, 10, {{"num_cycles", true}})), Error);
    EXPECT_THROW(validate(spec(SchedulerType::Cosine, 0, 10, {{"num_cycles", -1}})), Error);
    auto timescale = error_of([] {
        validate(spec(SchedulerType::InverseSqrt, 0, 10, {{"timescale", 0}}));
    });
    EXPECT_NE(timescale.find("lr_scheduler_kwargs.timescale must be > 0"), std::string::npos)
        << timescale;
    auto not_object = error_of([] { validate(spec(SchedulerType::Cosine, 0, 10, json::array())); });
    EXPECT_NE(not_object.find("lr_scheduler_kwargs must be an object"), std::string::npos)
        << not_object;
    auto nulls = spec(SchedulerType::Cosine, 0, 10);
    nulls.kwargs = nullptr;
    EXPECT_NO_THROW(validate(nulls));
}

TEST(ScheduleValidation, StepCountsAndStepRange) {
    EXPECT_THROW(validate(spec(SchedulerType::Linear, -1, 10)), Error);
    EXPECT_THROW(validate(spec(SchedulerType::Linear, 0, -10)), Error);
    EXPECT_THROW(lr_multiplier(spec(SchedulerType::Linear, 0, 10), -1), Error);
    auto lr = spec(SchedulerType::Linear, 0, 10, {}, std::numeric_limits<double>::quiet_NaN());
    EXPECT_THROW(validate(lr), Error);
    auto plateau =
        error_of([] { lr_multiplier(spec(SchedulerType::ReduceLrOnPlateau, 0, 10), 1); });
    EXPECT_NE(plateau.find("use ReduceLrOnPlateau"), std::string::npos) << plateau;
}

TEST(ReduceLrOnPlateau, Defaults) {
    ReduceLrOnPlateau plateau(json::object(), 1e-3);
    EXPECT_EQ(plateau.lr(), 1e-3);
    plateau.step(1.0);
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(plateau.step(1.0), 1e-3) << i;
    EXPECT_DOUBLE_EQ(plateau.step(1.0), 1e-4);  // the 11th bad epoch exceeds patience 10
}

TEST(ReduceLrOnPlateau, NanCountsAsNoImprovement) {
    ReduceLrOnPlateau plateau({{"patience", 0}}, 1.0);
    plateau.step(1.0);
    EXPECT_DOUBLE_EQ(plateau.step(std::numeric_limits<double>::quiet_NaN()), 0.1);
}

TEST(ReduceLrOnPlateau, BadKwargs) {
    auto factor = error_of([] { ReduceLrOnPlateau({{"factor", 1.0}}, 1e-3); });
    EXPECT_NE(factor.find("lr_scheduler_kwargs.factor must be < 1.0"), std::string::npos) << factor;
    auto mode = error_of([] { ReduceLrOnPlateau({{"mode", "avg"}}, 1e-3); });
    EXPECT_NE(mode.find("lr_scheduler_kwargs.mode must be one of \"min\", \"max\""),
              std::string::npos)
        << mode;
    EXPECT_THROW(ReduceLrOnPlateau({{"threshold_mode", "relative"}}, 1e-3), Error);
    EXPECT_THROW(ReduceLrOnPlateau({{"patience", -1}}, 1e-3), Error);
    EXPECT_THROW(ReduceLrOnPlateau({{"patience", 1.5}}, 1e-3), Error);
    EXPECT_THROW(ReduceLrOnPlateau({{"min_lr", -1.0}}, 1e-3), Error);
    EXPECT_THROW(ReduceLrOnPlateau({{"min_lr", json::array({0.0, 0.0})}}, 1e-3), Error);
    EXPECT_NO_THROW(ReduceLrOnPlateau({{"verbose", false}}, 1e-3));
    EXPECT_NO_THROW(ReduceLrOnPlateau(nullptr, 1e-3));
}

TEST(ReduceLrOnPlateau, StateKeepsInfiniteBest) {
    ReduceLrOnPlateau fresh({{"mode", "max"}}, 1e-3);
    auto state = fresh.state();
    EXPECT_EQ(state.at("best"), "-inf");
    EXPECT_EQ(state.at("last_epoch"), 0);
    ReduceLrOnPlateau restored({{"mode", "max"}}, 5e-4);
    restored.load_state(json::parse(state.dump()));
    EXPECT_EQ(restored.lr(), 1e-3);
    EXPECT_EQ(restored.state(), state);
}

TEST(ReduceLrOnPlateau, BadStateIsNamed) {
    ReduceLrOnPlateau plateau(json::object(), 1e-3);
    auto state = plateau.state();
    state["num_bad_epochs"] = "x";
    auto message = error_of([&] { plateau.load_state(state); });
    EXPECT_NE(message.find("\"num_bad_epochs\""), std::string::npos) << message;
    EXPECT_THROW(plateau.load_state(json::array()), Error);
    auto no_lr = plateau.state();
    no_lr.erase("lr");
    EXPECT_THROW(plateau.load_state(no_lr), Error);
}

}  // namespace
}  // namespace lathe::core::lr_schedules

#include "core/lr_schedules/reduce_lr_on_plateau.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/lr_schedules/kwargs_reader.h"
#include "core/util/error.h"

namespace lathe::core::lr_schedules {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

nlohmann::json encode(double x) {
    if (std::isnan(x))
        return "nan";
    if (std::isinf(x))
        return x > 0 ? "inf" : "-inf";
    return x;
}

double decode(const nlohmann::json& state, const char* key) {
    auto it = state.find(key);
    if (it != state.end()) {
        if (it->is_number())
            return it->get<double>();
        if (it->is_string()) {
            const auto& s = it->get_ref<const std::string&>();
            if (s == "inf")
                return kInf;
            if (s == "-inf")
                return -kInf;
            if (s == "nan")
                return std::numeric_limits<double>::quiet_NaN();
        }
    }
    throw Error(std::string("ReduceLROnPlateau state: \"") + key +
                "\" must be a number, \"inf\", \"-inf\" or \"nan\"");
}

std::int64_t decode_count(const nlohmann::json& state, const char* key) {
    auto it = state.find(key);
    if (it == state.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0)
        throw Error(std::string("ReduceLROnPlateau state: \"") + key +
                    "\" must be an integer >= 0");
    return it->get<std::int64_t>();
}

std::int64_t read_count(KwargsReader& reader, const char* key, std::int64_t fallback) {
    auto value = reader.integer(key).value_or(fallback);
    if (value < 0)
        throw Error(KwargsReader::name(key) + " must be >= 0 (got " + std::to_string(value) + ")");
    return value;
}

}  // namespace

ReduceLrOnPlateau::ReduceLrOnPlateau(const nlohmann::json& kwargs, double base_lr) {
    if (!std::isfinite(base_lr) || base_lr < 0)
        throw Error("learning rate must be a finite number >= 0 (got " + format_number(base_lr) +
                    ")");
    KwargsReader reader(kwargs, "lr_scheduler_type \"reduce_lr_on_plateau\"");
    mode_max_ = reader.choice("mode", {"min", "max"}).value_or("min") == "max";
    factor_ = reader.number("factor").value_or(0.1);
    if (factor_ >= 1.0)
        throw Error(KwargsReader::name("factor") + " must be < 1.0 (got " + format_number(factor_) +
                    ")");
    patience_ = read_count(reader, "patience", 10);
    threshold_ = reader.number("threshold").value_or(1e-4);
    threshold_abs_ = reader.choice("threshold_mode", {"rel", "abs"}).value_or("rel") == "abs";
    cooldown_ = read_count(reader, "cooldown", 0);
    min_lr_ = reader.number("min_lr").value_or(0.0);
    if (min_lr_ < 0)
        throw Error(KwargsReader::name("min_lr") + " must be >= 0 (got " + format_number(min_lr_) +
                    ")");
    eps_ = reader.number("eps").value_or(1e-8);
    reader.boolean("verbose");
    reader.finish();

    lr_ = base_lr;
    best_ = mode_max_ ? -kInf : kInf;
}

bool ReduceLrOnPlateau::is_better(double a, double best) const {
    if (!mode_max_ && !threshold_abs_)
        return a < best * (1. - threshold_);
    if (!mode_max_)
        return a < best - threshold_;
    if (!threshold_abs_)
        return a > best * (threshold_ + 1.);
    return a > best + threshold_;
}

double ReduceLrOnPlateau::step(double metric) {
    last_epoch_ += 1;
    if (is_better(metric, best_)) {
        best_ = metric;
        num_bad_epochs_ = 0;
    } else {
        num_bad_epochs_ += 1;
    }
    if (cooldown_counter_ > 0) {
        cooldown_counter_ -= 1;
        num_bad_epochs_ = 0;  // bad epochs during cooldown do not count
    }
    if (num_bad_epochs_ > patience_) {
        double new_lr = std::max(lr_ * factor_, min_lr_);
        if (lr_ - new_lr > eps_)
            lr_ = new_lr;
        cooldown_counter_ = cooldown_;
        num_bad_epochs_ = 0;
    }
    return lr_;
}

nlohmann::json ReduceLrOnPlateau::state() const {
    return {{"lr", lr_},
            {"best", encode(best_)},
            {"num_bad_epochs", num_bad_epochs_},
            {"cooldown_counter", cooldown_counter_},
            {"last_epoch", last_epoch_}};
}

void ReduceLrOnPlateau::load_state(const nlohmann::json& state) {
    if (!state.is_object())
        throw Error("ReduceLROnPlateau state must be an object");
    double lr = decode(state, "lr");
    if (!std::isfinite(lr) || lr < 0)
        throw Error("ReduceLROnPlateau state: \"lr\" must be a finite number >= 0");
    double best = decode(state, "best");
    auto bad = decode_count(state, "num_bad_epochs");
    auto cooldown = decode_count(state, "cooldown_counter");
    auto epoch = decode_count(state, "last_epoch");
    lr_ = lr;
    best_ = best;
    num_bad_epochs_ = bad;
    cooldown_counter_ = cooldown;
    last_epoch_ = epoch;
}

}  // namespace lathe::core::lr_schedules

#include "core/lr_schedules/schedule.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "core/lr_schedules/kwargs_reader.h"
#include "core/lr_schedules/reduce_lr_on_plateau.h"
#include "core/util/error.h"

namespace lathe::core::lr_schedules {

namespace {

constexpr double kPi = 3.141592653589793;  // math.pi

enum class Shape { Linear, Cosine, OneMinusSqrt };

const std::vector<std::string>& shape_names() {
    static const std::vector<std::string> names = {"linear", "cosine", "1-sqrt"};
    return names;
}

Shape parse_shape(const std::string& name) {
    const auto& names = shape_names();
    return static_cast<Shape>(std::find(names.begin(), names.end(), name) - names.begin());
}

// The keyword arguments of the schedule function, defaults filled in.
struct Params {
    double num_cycles = 0.5;
    double lr_end = 1e-7;
    double power = 1.0;
    std::optional<double> timescale;
    double min_lr_rate = 0.0;
    std::optional<std::int64_t> num_stable_steps;
    std::int64_t num_decay_steps = 0;
    Shape warmup_type = Shape::Linear;
    Shape decay_type = Shape::Cosine;
    double min_lr_ratio = 0.0;
};

double read_num_cycles(KwargsReader& reader, double fallback) {
    double cycles = reader.number("num_cycles").value_or(fallback);
    if (cycles < 0)
        throw Error(KwargsReader::name("num_cycles") + " must be >= 0 (got " +
                    format_number(cycles) + ")");
    return cycles;
}

std::int64_t non_negative(const std::string& key, std::int64_t value) {
    if (value < 0)
        throw Error(KwargsReader::name(key) + " must be >= 0 (got " + std::to_string(value) + ")");
    return value;
}

Params read_params(SchedulerType type, const nlohmann::json& kwargs, double base_lr) {
    if (!std::isfinite(base_lr) || base_lr < 0)
        throw Error("learning rate must be a finite number >= 0 (got " + format_number(base_lr) +
                    ")");
    Params p;
    KwargsReader reader(kwargs, "lr_scheduler_type \"" + scheduler_type_name(type) + "\"");
    switch (type) {
        case SchedulerType::Linear:
        case SchedulerType::Constant:
        case SchedulerType::ConstantWithWarmup:
            break;
        case SchedulerType::Cosine:
            p.num_cycles = read_num_cycles(reader, 0.5);
            break;
        case SchedulerType::CosineWithRestarts:
            p.num_cycles = read_num_cycles(reader, 1.0);
            break;
        case SchedulerType::Polynomial:
            p.lr_end = reader.number("lr_end").value_or(1e-7);
            p.power = reader.number("power").value_or(1.0);
            if (!(base_lr > p.lr_end))
                throw Error(KwargsReader::name("lr_end") + " (" + format_number(p.lr_end) +
                            ") must be smaller than the initial learning rate (" +
                            format_number(base_lr) + ") for polynomial");
            break;
        case SchedulerType::InverseSqrt:
            p.timescale = reader.number("timescale");
            if (p.timescale && !(*p.timescale > 0))
                throw Error(KwargsReader::name("timescale") + " must be > 0 (got " +
                            format_number(*p.timescale) + ")");
            break;
        case SchedulerType::ReduceLrOnPlateau:
            ReduceLrOnPlateau(kwargs, base_lr);  // validates its own kwargs
            return p;
        case SchedulerType::CosineWithMinLr: {
            p.num_cycles = read_num_cycles(reader, 0.5);
            auto min_lr = reader.number("min_lr");
            auto min_lr_rate = reader.number("min_lr_rate");
            if (min_lr.has_value() == min_lr_rate.has_value())
                throw Error("cosine_with_min_lr needs exactly one of " +
                            KwargsReader::name("min_lr") + " and " +
                            KwargsReader::name("min_lr_rate") +
                            (min_lr ? " (both are set)" : " (neither is set)"));
            if (min_lr) {
                if (*min_lr < 0)
                    throw Error(KwargsReader::name("min_lr") + " must be >= 0 (got " +
                                format_number(*min_lr) + ")");
                if (!(base_lr > 0))
                    throw Error(KwargsReader::name("min_lr") +
                                " needs a learning rate > 0 (it is divided by it)");
                p.min_lr_rate = *min_lr / base_lr;
            } else {
                if (*min_lr_rate < 0)
                    throw Error(KwargsReader::name("min_lr_rate") + " must be >= 0 (got " +
                                format_number(*min_lr_rate) + ")");
                p.min_lr_rate = *min_lr_rate;
            }
            break;
        }
        case SchedulerType::WarmupStableDecay: {
            auto decay = reader.integer("num_decay_steps");
            if (!decay)
                throw Error("warmup_stable_decay needs " + KwargsReader::name("num_decay_steps"));
            p.num_decay_steps = non_negative("num_decay_steps", *decay);
            if (auto stable = reader.integer("num_stable_steps"))
                p.num_stable_steps = non_negative("num_stable_steps", *stable);
            p.warmup_type =
                parse_shape(reader.choice("warmup_type", shape_names()).value_or("linear"));
            p.decay_type =
                parse_shape(reader.choice("decay_type", shape_names()).value_or("cosine"));
            p.min_lr_ratio = reader.number("min_lr_ratio").value_or(0.0);
            if (p.min_lr_ratio < 0 || p.min_lr_ratio > 1)
                throw Error(KwargsReader::name("min_lr_ratio") + " must be in [0, 1] (got " +
                            format_number(p.min_lr_ratio) + ")");
            p.num_cycles = read_num_cycles(reader, 0.5);
            break;
        }
    }
    reader.finish();
    return p;
}

void check_steps(const ScheduleSpec& spec, const Params& p) {
    if (spec.warmup_steps < 0)
        throw Error("warmup_steps must be >= 0 (got " + std::to_string(spec.warmup_steps) + ")");
    if (spec.total_steps < 0)
        throw Error("total steps must be >= 0 (got " + std::to_string(spec.total_steps) + ")");
    if (spec.type == SchedulerType::WarmupStableDecay && !p.num_stable_steps &&
        spec.total_steps - spec.warmup_steps - p.num_decay_steps < 0)
        throw Error("warmup_stable_decay: warmup_steps (" + std::to_string(spec.warmup_steps) +
                    ") + " + KwargsReader::name("num_decay_steps") + " (" +
                    std::to_string(p.num_decay_steps) + ") exceed the total steps (" +
                    std::to_string(spec.total_steps) + "); lower them or set " +
                    KwargsReader::name("num_stable_steps"));
}

// Python's float % (the result takes the divisor's sign).
double python_mod(double a, double b) {
    double r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

double warmup(std::int64_t step, std::int64_t warmup_steps) {
    return static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, warmup_steps));
}

double progress(std::int64_t step, std::int64_t warmup_steps, std::int64_t total_steps) {
    return static_cast<double>(step - warmup_steps) /
           static_cast<double>(std::max<std::int64_t>(1, total_steps - warmup_steps));
}

double wsd(const Params& p, std::int64_t s, std::int64_t w, std::int64_t t) {
    const std::int64_t stable = p.num_stable_steps.value_or(t - w - p.num_decay_steps);
    const double r = p.min_lr_ratio;
    if (s < w) {
        double q = warmup(s, w);
        double factor = q;
        if (p.warmup_type == Shape::Cosine)
            factor = 0.5 * (1.0 - std::cos(kPi * q));
        else if (p.warmup_type == Shape::OneMinusSqrt)
            factor = 1.0 - std::sqrt(1.0 - q);
        return std::max(0.0, factor * (1.0 - r) + r);
    }
    if (s < w + stable)
        return 1.0;
    if (s < w + stable + p.num_decay_steps) {
        double q = static_cast<double>(s - w - stable) /
                   static_cast<double>(std::max<std::int64_t>(1, p.num_decay_steps));
        double factor = 1.0 - q;
        if (p.decay_type == Shape::Cosine)
            factor = 0.5 * (1.0 + std::cos(kPi * p.num_cycles * 2.0 * q));
        else if (p.decay_type == Shape::OneMinusSqrt)
            factor = 1.0 - std::sqrt(q);
        return std::max(0.0, factor * (1.0 - r) + r);
    }
    return r;
}

}  // namespace

void validate_kwargs(SchedulerType type, const nlohmann::json& kwargs, double base_lr) {
    read_params(type, kwargs, base_lr);
}

void validate(const ScheduleSpec& spec) {
    check_steps(spec, read_params(spec.type, spec.kwargs, spec.base_lr));
}

double lr_multiplier(const ScheduleSpec& spec, std::int64_t step) {
    if (spec.type == SchedulerType::ReduceLrOnPlateau)
        throw Error(
            "reduce_lr_on_plateau has no per-step multiplier; it changes the rate after each "
            "evaluation (use ReduceLrOnPlateau)");
    const Params p = read_params(spec.type, spec.kwargs, spec.base_lr);
    check_steps(spec, p);
    if (step < 0)
        throw Error("scheduler step must be >= 0 (got " + std::to_string(step) + ")");
    const std::int64_t s = step;
    const std::int64_t w = spec.warmup_steps;
    const std::int64_t t = spec.total_steps;
    switch (spec.type) {
        case SchedulerType::Constant:
            return 1.0;  // get_scheduler ignores num_warmup_steps for "constant"
        case SchedulerType::ConstantWithWarmup:
            return s < w ? warmup(s, w) : 1.0;
        case SchedulerType::Linear:
            if (s < w)
                return warmup(s, w);
            return std::max(0.0, static_cast<double>(t - s) /
                                     static_cast<double>(std::max<std::int64_t>(1, t - w)));
        case SchedulerType::Cosine:
            if (s < w)
                return warmup(s, w);
            return std::max(0.0,
                            0.5 * (1.0 + std::cos(kPi * p.num_cycles * 2.0 * progress(s, w, t))));
        case SchedulerType::CosineWithRestarts: {
            if (s < w)
                return warmup(s, w);
            double q = progress(s, w, t);
            if (q >= 1.0)
                return 0.0;
            return std::max(0.0, 0.5 * (1.0 + std::cos(kPi * python_mod(p.num_cycles * q, 1.0))));
        }
        case SchedulerType::Polynomial: {
            if (s < w)
                return warmup(s, w);
            const double lr_init = spec.base_lr;
            if (s > t || t == w)
                return p.lr_end / lr_init;
            double lr_range = lr_init - p.lr_end;
            double pct_remaining = 1 - static_cast<double>(s - w) / static_cast<double>(t - w);
            double decay = lr_range * std::pow(pct_remaining, p.power) + p.lr_end;
            return decay / lr_init;
        }
        case SchedulerType::InverseSqrt: {
            if (s < w)
                return warmup(s, w);
            double timescale = p.timescale.value_or(w != 0 ? static_cast<double>(w) : 10000.0);
            double shift = timescale - static_cast<double>(w);
            return 1.0 / std::sqrt((static_cast<double>(s) + shift) / timescale);
        }
        case SchedulerType::CosineWithMinLr: {
            if (s < w)
                return warmup(s, w);
            double factor = 0.5 * (1.0 + std::cos(kPi * p.num_cycles * 2.0 * progress(s, w, t)));
            factor = factor * (1 - p.min_lr_rate) + p.min_lr_rate;
            return std::max(0.0, factor);
        }
        case SchedulerType::WarmupStableDecay:
            return wsd(p, s, w, t);
        case SchedulerType::ReduceLrOnPlateau:
            break;
    }
    throw Error("lr_multiplier: unhandled scheduler type");
}

}  // namespace lathe::core::lr_schedules

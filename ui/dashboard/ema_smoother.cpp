#include "ui/dashboard/ema_smoother.h"

#include <algorithm>
#include <cmath>

namespace lathe::ui::dashboard {

void EmaSmoother::set_weight(double weight) {
    const double clamped = std::clamp(weight, 0.0, 0.999);
    if (clamped != weight_) {
        weight_ = clamped;
        reset();
    }
}

void EmaSmoother::reset() {
    last_ = 0.0;
    weight_power_ = 1.0;
    constant_so_far_ = true;
    first_value_ = 0.0;
    seen_ = 0;
    smoothed_.clear();
}

double EmaSmoother::push(double value) {
    if (seen_ == 0) {
        first_value_ = value;
    }
    ++seen_;
    // NaN compares unequal, so a NaN also ends the constant run, matching TensorBoard's
    // `yValues.every(v => v == yValues[0])`.
    constant_so_far_ = constant_so_far_ && value == first_value_;
    if (!std::isfinite(value)) {
        return value;
    }
    last_ = last_ * weight_ + (1.0 - weight_) * value;
    weight_power_ *= weight_;
    const double smoothed = last_ / (1.0 - weight_power_);
    return constant_so_far_ ? value : smoothed;
}

void EmaSmoother::extend(const ChunkedColumn<double>& values) {
    values.for_each_span(smoothed_.size(), values.size(),
                         [this](const double* span, std::size_t count, std::size_t) {
                             for (std::size_t i = 0; i < count; ++i) {
                                 smoothed_.push_back(static_cast<float>(push(span[i])));
                             }
                         });
}

std::vector<double> ema_smooth(const std::vector<double>& values, double weight) {
    EmaSmoother smoother;
    smoother.set_weight(weight);
    std::vector<double> out;
    out.reserve(values.size());
    for (double value : values) {
        out.push_back(smoother.push(value));
    }
    // TensorBoard decides "constant" over the whole series, not a prefix: if it turned out not to
    // be constant, the prefix must be smoothed too.
    const bool constant =
        std::all_of(values.begin(), values.end(), [&](double v) { return v == values.front(); });
    if (!constant) {
        EmaSmoother state;
        state.set_weight(weight);
        state.constant_so_far_ = false;
        for (std::size_t i = 0; i < values.size(); ++i) {
            out[i] = state.push(values[i]);
        }
    }
    return out;
}

}  // namespace lathe::ui::dashboard

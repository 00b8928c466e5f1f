#include "ui/dashboard/series_data.h"

#include <cmath>

namespace lathe::ui::dashboard {

bool SeriesData::append(const MetricSample& sample) {
    const auto epoch = static_cast<float>(sample.epoch);
    const auto wall_s = static_cast<float>(sample.wall_time_s);
    if (!std::isfinite(epoch) || !std::isfinite(wall_s) || !std::isfinite(sample.tokens_seen)) {
        ++rejected_;
        return false;
    }
    if (!empty()) {
        const std::size_t last = size() - 1;
        if (sample.step < steps_[last] || epoch < epochs_[last] || wall_s < wall_times_s_[last] ||
            sample.tokens_seen < tokens_[last]) {
            ++rejected_;
            return false;
        }
    }
    steps_.push_back(sample.step);
    epochs_.push_back(epoch);
    wall_times_s_.push_back(wall_s);
    tokens_.push_back(sample.tokens_seen);
    values_.push_back(sample.value);
    return true;
}

void SeriesData::append(const std::vector<MetricSample>& samples) {
    for (const MetricSample& sample : samples) {
        append(sample);
    }
}

void SeriesData::clear() {
    steps_.clear();
    epochs_.clear();
    wall_times_s_.clear();
    tokens_.clear();
    values_.clear();
    rejected_ = 0;
}

std::size_t SeriesData::lower_bound(XAxisMode mode, double x_value) const {
    std::size_t lo = 0;
    std::size_t hi = size();
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (x(mode, mid) < x_value) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

std::size_t SeriesData::nearest(XAxisMode mode, double x_value) const {
    if (empty()) {
        return size();
    }
    const std::size_t upper = lower_bound(mode, x_value);
    if (upper == size()) {
        return size() - 1;
    }
    if (upper == 0) {
        return 0;
    }
    const double below = x_value - x(mode, upper - 1);
    const double above = x(mode, upper) - x_value;
    return below <= above ? upper - 1 : upper;
}

std::size_t SeriesData::memory_bytes() const {
    return sizeof(*this) + steps_.memory_bytes() + epochs_.memory_bytes() +
           wall_times_s_.memory_bytes() + tokens_.memory_bytes() + values_.memory_bytes() -
           5 * sizeof(ChunkedColumn<double>);
}

}  // namespace lathe::ui::dashboard

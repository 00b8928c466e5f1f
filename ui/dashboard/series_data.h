#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ui/dashboard/chunked_column.h"
#include "ui/dashboard/metric_sample.h"
#include "ui/dashboard/x_axis_mode.h"

namespace lathe::ui::dashboard {

// The points of one (run, metric) pair, column by column, appended incrementally.
//
// Layout per point: step int64 (8) + epoch float (4) + wall time float (4) + tokens double (8) +
// value double (8) = 32 bytes. Epoch and wall time are plotting coordinates only, so float is
// enough (wall time keeps 0.06 s resolution up to 11 days); the value stays double because the
// hover readout shows it exactly. Every x column is non-decreasing, which the decimator's binary
// search relies on: append() refuses a point that would break that (e.g. a resumed run logging
// an older step again) and counts it in rejected().
class SeriesData {
  public:
    // Returns false (and stores nothing) when any x goes backwards or is not finite.
    bool append(const MetricSample& sample);
    void append(const std::vector<MetricSample>& samples);
    void clear();

    std::size_t size() const { return values_.size(); }
    bool empty() const { return values_.empty(); }
    std::size_t rejected() const { return rejected_; }

    double x(XAxisMode mode, std::size_t i) const {
        switch (mode) {
            case XAxisMode::Step:
                return static_cast<double>(steps_[i]);
            case XAxisMode::Epoch:
                return epochs_[i];
            case XAxisMode::WallTime:
                return wall_times_s_[i];
            case XAxisMode::Tokens:
                return tokens_[i];
        }
        return 0.0;
    }
    double value(std::size_t i) const { return values_[i]; }
    std::int64_t step(std::size_t i) const { return steps_[i]; }
    const ChunkedColumn<double>& values() const { return values_; }

    // Calls fn(x_at) with x_at(i) returning x in `mode`, without a switch per point: the
    // decimator calls x_at in its inner loops.
    template <typename Fn>
    decltype(auto) with_x(XAxisMode mode, Fn&& fn) const {
        switch (mode) {
            case XAxisMode::Epoch:
                return fn([this](std::size_t i) { return static_cast<double>(epochs_[i]); });
            case XAxisMode::WallTime:
                return fn([this](std::size_t i) { return static_cast<double>(wall_times_s_[i]); });
            case XAxisMode::Tokens:
                return fn([this](std::size_t i) { return tokens_[i]; });
            case XAxisMode::Step:
                break;
        }
        return fn([this](std::size_t i) { return static_cast<double>(steps_[i]); });
    }

    // First index whose x (in mode) is >= x_value; size() when none.
    std::size_t lower_bound(XAxisMode mode, double x_value) const;
    // Index of the point whose x is closest to x_value; size() when empty.
    std::size_t nearest(XAxisMode mode, double x_value) const;

    std::size_t memory_bytes() const;

  private:
    ChunkedColumn<std::int64_t> steps_;
    ChunkedColumn<float> epochs_;
    ChunkedColumn<float> wall_times_s_;
    ChunkedColumn<double> tokens_;
    ChunkedColumn<double> values_;
    std::size_t rejected_ = 0;
};

}  // namespace lathe::ui::dashboard

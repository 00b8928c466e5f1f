#pragma once

#include <cstddef>
#include <vector>

#include "ui/dashboard/chunked_column.h"

namespace lathe::ui::dashboard {

// TensorBoard's scalar smoothing (tensorboard/webapp/widgets/line_chart_v2/lib/smoothing.ts):
//   last = last * w + (1 - w) * v;  smoothed = last / (1 - w^n)
// where n counts the finite values seen so far. The division removes the bias towards the
// initial 0 so the first points are not dragged to zero. Non-finite values are passed through
// unchanged and do not touch the state, and a series whose values are all equal is shown raw,
// exactly as TensorBoard does (while appending live, "all equal" can only be judged on the prefix
// seen so far; once it varies, the shown prefix differs from TensorBoard by rounding only).
// Smoothed values are kept as float: they are only drawn, the hover readout shows the raw double.
class EmaSmoother {
  public:
    // weight in [0, 1); 0 turns smoothing off.
    void set_weight(double weight);
    double weight() const { return weight_; }

    // Smooths values[size() .. values.size()), so live appends cost O(new points). A weight
    // change restarts from index 0 (O(n) once per slider move).
    void extend(const ChunkedColumn<double>& values);
    void reset();

    std::size_t size() const { return smoothed_.size(); }
    const ChunkedColumn<float>& smoothed() const { return smoothed_; }
    std::size_t memory_bytes() const { return smoothed_.memory_bytes(); }

    double push(double value);

  private:
    friend std::vector<double> ema_smooth(const std::vector<double>& values, double weight);

    double weight_ = 0.0;
    double last_ = 0.0;
    double weight_power_ = 1.0;  // w^n, kept instead of calling pow per point
    bool constant_so_far_ = true;
    double first_value_ = 0.0;
    std::size_t seen_ = 0;
    ChunkedColumn<float> smoothed_;
};

// The whole-series form, for tests and one-off use.
std::vector<double> ema_smooth(const std::vector<double>& values, double weight);

}  // namespace lathe::ui::dashboard

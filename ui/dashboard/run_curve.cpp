#include "ui/dashboard/run_curve.h"

#include <algorithm>
#include <cmath>

namespace lathe::ui::dashboard {

void RunCurve::append(const MetricSample& sample) {
    if (!data.append(sample) || !std::isfinite(sample.value)) {
        return;
    }
    min_value = std::min(min_value, sample.value);
    max_value = std::max(max_value, sample.value);
    if (sample.value > 0.0) {
        min_positive_value = std::min(min_positive_value, sample.value);
    }
}

void RunCurve::append(const std::vector<MetricSample>& samples) {
    for (const MetricSample& sample : samples) {
        append(sample);
    }
}

}  // namespace lathe::ui::dashboard

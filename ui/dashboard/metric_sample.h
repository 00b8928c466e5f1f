#pragma once

#include <cstdint>
#include <string>

namespace lathe::ui::dashboard {

// One logged metric value with every x coordinate the dashboard can plot it against. The caller
// fills it from the registry (core/registry MetricPoint) or a live event; the dashboard itself
// stays independent of core/.
struct MetricSample {
    std::int64_t step = 0;
    double epoch = 0.0;
    double wall_time_s = 0.0;  // seconds since the run started
    double tokens_seen = 0.0;
    double value = 0.0;
};

// A sample in flight from a producer thread to the UI thread.
struct LivePoint {
    std::string run_id;
    std::string metric_key;
    MetricSample sample;
};

}  // namespace lathe::ui::dashboard

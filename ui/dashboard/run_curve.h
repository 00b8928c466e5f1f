#pragma once

#include <QColor>
#include <QString>

#include <limits>
#include <vector>

#include "ui/dashboard/decimator.h"
#include "ui/dashboard/ema_smoother.h"
#include "ui/dashboard/metric_sample.h"
#include "ui/dashboard/min_max_pyramid.h"
#include "ui/dashboard/series_data.h"

class QCPGraph;
class QCPItemTracer;

namespace lathe::ui::dashboard {

// Everything the chart keeps for one run of its metric: the data, its smoothed copy, their
// per-block extremes for the decimator, the value
// bounds for "reset view" (kept incrementally so a reset never scans millions of points), and
// the QCustomPlot objects that draw it. The graphs are owned by the QCustomPlot.
struct RunCurve {
    QString run_id;
    QColor colour;
    SeriesData data;
    EmaSmoother ema;
    MinMaxPyramid<double> raw_extremes;
    MinMaxPyramid<float> smoothed_extremes;  // reset whenever the smoothing weight changes
    double min_value = std::numeric_limits<double>::infinity();
    double max_value = -std::numeric_limits<double>::infinity();
    double min_positive_value = std::numeric_limits<double>::infinity();  // for log y
    // Where the next decimation of each curve may resume when only points were appended.
    LodResume raw_resume;
    LodResume smoothed_resume;
    QCPGraph* raw_graph = nullptr;
    QCPGraph* smoothed_graph = nullptr;
    QCPItemTracer* tracer = nullptr;

    void append(const std::vector<MetricSample>& samples);
    void append(const MetricSample& sample);
};

}  // namespace lathe::ui::dashboard

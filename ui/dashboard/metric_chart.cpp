#include "ui/dashboard/metric_chart.h"

#include <qcustomplot.h>

#include <QMouseEvent>
#include <QVBoxLayout>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "ui/dashboard/parallel_for.h"

namespace lathe::ui::dashboard {
namespace {

// matplotlib's tab10: distinguishable and familiar to anyone coming from TensorBoard or W&B.
const QColor kPalette[] = {QColor(31, 119, 180),  QColor(255, 127, 14),  QColor(44, 160, 44),
                           QColor(214, 39, 40),   QColor(148, 103, 189), QColor(140, 86, 75),
                           QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                           QColor(23, 190, 207)};
constexpr double kRawOpacity = 0.25;  // faint enough for the smoothed curve to read on top
constexpr int kClickTolerancePx = 5;  // how far from a marker a click still hits it
constexpr int kClickMaxTravelPx = 4;  // beyond this a press-release is a drag, not a click
// While following, x reaches this fraction of the data's span beyond the newest point, and grows
// again only when a point passes it: ~25 full re-decimations while a run goes from 1k to 10k
// logged steps, and none between.
constexpr double kFollowHeadroom = 0.1;

// Below this many stored points a full decimation takes well under a millisecond and stays on
// the UI thread; above, each run is decimated on its own thread. The work is bound by cache
// misses on the x and extreme lookups, so it scales with cores even where memory is shared.
constexpr std::size_t kParallelDecimationPoints = 200'000;
constexpr unsigned kMaxDecimationThreads = 8;

// One curve's new level of detail, made off the UI thread: the points, and whether they replace
// the graph's points from from_x on (resumed) or all of them.
struct CurveLod {
    QVector<QCPGraphData> points;
    bool resumed = false;
    double from_x = 0.0;
    bool clear = false;  // the curve is not drawn (smoothing off)
};

template <typename XAt, typename Y>
CurveLod decimate_curve(std::size_t count, XAt&& x_at, const ChunkedColumn<Y>& y,
                        const MinMaxPyramid<Y>* extremes, const LodWindow& window, bool incremental,
                        LodResume& resume) {
    if (!incremental) {
        resume.valid = false;
    }
    CurveLod lod;
    lod.resumed = resume.valid && resume.column_begin < count;
    lod.from_x = lod.resumed ? x_at(resume.column_begin) : 0.0;
    std::vector<LodPoint> points;
    decimate(count, x_at, y, window, points, extremes, &resume);
    lod.points.reserve(static_cast<qsizetype>(points.size()));
    for (const LodPoint& point : points) {
        lod.points.push_back(QCPGraphData(point.x, point.y));
    }
    return lod;
}

void apply_lod(QCPGraph* graph, const CurveLod& lod) {
    if (lod.clear) {
        graph->data()->clear();
    } else if (lod.resumed) {
        // Earlier columns end strictly left of from_x (a column holds every point of its x), so
        // dropping keys >= from_x drops exactly the points being replaced.
        graph->data()->remove(lod.from_x, std::numeric_limits<double>::infinity());
        graph->data()->add(lod.points, true);
    } else {
        graph->data()->set(lod.points, true);
    }
    // A few points (evaluations, a run that just started) would be invisible as a line: mark
    // them. Many points keep no marker, which would cost a draw call each.
    graph->setScatterStyle(graph->data()->size() < 64 ? QCPScatterStyle(QCPScatterStyle::ssDisc, 5)
                                                      : QCPScatterStyle());
}

}  // namespace

MetricChart::MetricChart(QString metric_key, QWidget* parent)
    : QWidget(parent), metric_key_(std::move(metric_key)), plot_(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);

    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->legend->setVisible(true);
    plot_->yAxis->setLabel(metric_key_);
    plot_->xAxis->setLabel(x_axis_label(x_mode_));
    plot_->setNoAntialiasingOnDrag(true);
    // Antialiased polylines are drawn segment by segment by the raster engine; the decimated
    // curves are dense vertical zigzags where antialiasing buys nothing visible.
    plot_->setNotAntialiasedElements(QCP::aePlottables);
    plot_->setPlottingHint(QCP::phFastPolylines, true);

    readout_ = new QCPItemText(plot_);
    readout_->position->setType(QCPItemPosition::ptAxisRectRatio);
    readout_->position->setCoords(0.01, 0.01);
    readout_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    readout_->setTextAlignment(Qt::AlignLeft);
    readout_->setBrush(QBrush(QColor(255, 255, 255, 220)));
    readout_->setPadding(QMargins(4, 2, 4, 2));
    readout_->setVisible(false);

    // Decimating on afterLayout catches every replot QCustomPlot does on its own (drag, wheel
    // zoom, resize) as well as ours, and it comes after the layout, so the axis rect already has
    // the width it will be drawn at (the y tick labels change it as the y range moves).
    connect(plot_, &QCustomPlot::afterLayout, this, &MetricChart::rebuild_lod);
    connect(plot_, &QCustomPlot::mousePress, this, &MetricChart::on_mouse_press);
    connect(plot_, &QCustomPlot::mouseRelease, this, &MetricChart::on_mouse_release);
    connect(plot_, &QCustomPlot::mouseMove, this, &MetricChart::on_mouse_move);
    connect(plot_, &QCustomPlot::mouseWheel, this, [this] { follow_ = false; });
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, &MetricChart::reset_view);
}

MetricChart::~MetricChart() = default;

RunCurve* MetricChart::find_run(const QString& run_id) const {
    for (const auto& run : runs_) {
        if (run->run_id == run_id) {
            return run.get();
        }
    }
    return nullptr;
}

RunCurve& MetricChart::ensure_run(const QString& run_id) {
    if (RunCurve* run = find_run(run_id)) {
        return *run;
    }
    add_run(run_id);
    return *runs_.back();
}

void MetricChart::add_run(const QString& run_id, const QColor& colour) {
    if (find_run(run_id) != nullptr) {
        return;
    }
    auto run = std::make_unique<RunCurve>();
    run->run_id = run_id;
    run->colour = colour.isValid() ? colour : kPalette[runs_.size() % std::size(kPalette)];
    run->ema.set_weight(smoothing_);
    // Raw first so that it is drawn below the smoothed curve.
    run->raw_graph = plot_->addGraph();
    run->raw_graph->removeFromLegend();
    run->smoothed_graph = plot_->addGraph();
    run->smoothed_graph->setName(run_id);
    run->tracer = new QCPItemTracer(plot_);
    run->tracer->setStyle(QCPItemTracer::tsCircle);
    run->tracer->setSize(7);
    run->tracer->setPen(QPen(run->colour));
    run->tracer->setBrush(run->colour);
    run->tracer->setVisible(false);
    runs_.push_back(std::move(run));
    apply_styles();
    lod_stale_ = true;
    data_changed();
}

void MetricChart::apply_styles() {
    const bool smoothed = smoothing_ > 0.0;
    for (const auto& run : runs_) {
        // Blended towards the white background instead of drawn with alpha: opaque lines skip
        // the raster engine's per-pixel blending, and the raw curve sits below the smoothed one.
        const double opacity = smoothed ? kRawOpacity : 1.0;
        auto fade = [opacity](int channel) {
            return static_cast<int>(std::lround(channel * opacity + 255.0 * (1.0 - opacity)));
        };
        const QColor faint(fade(run->colour.red()), fade(run->colour.green()),
                           fade(run->colour.blue()));
        // 1 px pens: wider ones go through QPainter's stroker, which costs ~50x more per segment.
        run->raw_graph->setPen(QPen(faint, 1.0));
        run->smoothed_graph->setPen(QPen(run->colour, 1.0));
        // With smoothing off the raw curve is the curve; the legend entry must still show.
        run->smoothed_graph->setVisible(smoothed);
    }
}

void MetricChart::data_changed() {
    ++data_version_;
    place_checkpoints();
    if (follow_) {
        follow_view();
    } else {
        refresh();
    }
}

void MetricChart::append_points(const QString& run_id, const std::vector<MetricSample>& samples) {
    ensure_run(run_id).append(samples);
    data_changed();
}

void MetricChart::consume(const std::vector<LivePoint>& batch) {
    const std::string key = metric_key_.toStdString();
    bool changed = false;
    for (const LivePoint& point : batch) {
        if (point.metric_key != key) {
            continue;
        }
        ensure_run(QString::fromStdString(point.run_id)).append(point.sample);
        changed = true;
    }
    if (changed) {
        data_changed();
    }
}

void MetricChart::add_checkpoint(const QString& run_id, std::int64_t step) {
    Checkpoint checkpoint;
    checkpoint.run_id = run_id;
    checkpoint.step = step;
    checkpoint.line = new QCPItemStraightLine(plot_);
    const RunCurve* run = find_run(run_id);
    QColor colour = run != nullptr ? run->colour : QColor(Qt::darkGray);
    checkpoint.line->setPen(QPen(colour, 1.0, Qt::DashLine));
    // x in plot coordinates, y relative to the axis rect: a full-height vertical line that needs
    // no update when the y range changes.
    for (QCPItemPosition* position : {checkpoint.line->point1, checkpoint.line->point2}) {
        position->setTypeX(QCPItemPosition::ptPlotCoords);
        position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    }
    checkpoints_.push_back(checkpoint);
    place_checkpoints();
    refresh();
}

void MetricChart::place_checkpoints() {
    for (Checkpoint& checkpoint : checkpoints_) {
        const RunCurve* run = find_run(checkpoint.run_id);
        checkpoint.placed = false;
        if (run != nullptr && !run->data.empty()) {
            // The checkpoint sits at the first logged point at or after its step; before that
            // point exists there is no x for it in the epoch/time/token modes.
            const std::size_t index =
                run->data.lower_bound(XAxisMode::Step, static_cast<double>(checkpoint.step));
            if (index < run->data.size()) {
                checkpoint.x = run->data.x(x_mode_, index);
                checkpoint.placed = true;
            }
        }
        checkpoint.line->point1->setCoords(checkpoint.x, 0.0);
        checkpoint.line->point2->setCoords(checkpoint.x, 1.0);
        checkpoint.line->setVisible(checkpoint.placed);
    }
}

void MetricChart::set_smoothing(double weight) {
    smoothing_ = std::clamp(weight, 0.0, 0.999);
    for (const auto& run : runs_) {
        if (run->ema.weight() != smoothing_) {
            run->ema.set_weight(smoothing_);
            run->smoothed_extremes.reset();
        }
    }
    apply_styles();
    ++data_version_;
    lod_stale_ = true;
    refresh();
}

void MetricChart::set_log_y(bool enabled) {
    log_y_ = enabled;
    if (enabled) {
        plot_->yAxis->setScaleType(QCPAxis::stLogarithmic);
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    } else {
        plot_->yAxis->setScaleType(QCPAxis::stLinear);
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    }
    reset_view();
}

void MetricChart::set_x_mode(XAxisMode mode) {
    x_mode_ = mode;
    plot_->xAxis->setLabel(x_axis_label(mode));
    ++data_version_;
    lod_stale_ = true;
    place_checkpoints();
    reset_view();
}

void MetricChart::reset_view() {
    follow_ = true;
    fit_view(false);
}

void MetricChart::follow_view() {
    fit_view(true);
}

void MetricChart::fit_view(bool keep_x_if_it_holds_the_data) {
    double x_min = std::numeric_limits<double>::infinity();
    double x_max = -x_min;
    double y_min = x_min;
    double y_max = -x_min;
    for (const auto& run : runs_) {
        if (run->data.empty()) {
            continue;
        }
        x_min = std::min(x_min, run->data.x(x_mode_, 0));
        x_max = std::max(x_max, run->data.x(x_mode_, run->data.size() - 1));
        y_min = std::min(y_min, log_y_ ? run->min_positive_value : run->min_value);
        y_max = std::max(y_max, run->max_value);
    }
    if (x_min <= x_max) {
        const QCPRange current = plot_->xAxis->range();
        const bool holds = current.lower == x_min && current.upper >= x_max;
        // Headroom only when followed data grew a little past the edge, as live points do: a
        // finished run loaded in one go, or a longer run added for comparison, is fitted exactly.
        const double span_now = x_max - x_min;
        const bool grew = x_fitted_ && current.lower == x_min &&
                          x_max - current.upper <= kFollowHeadroom * span_now;
        if (!keep_x_if_it_holds_the_data || (!holds && !grew)) {
            plot_->xAxis->setRange(x_min, x_max > x_min ? x_max : x_min + 1.0);
        } else if (!holds) {
            const double span = x_max > x_min ? x_max - x_min : 1.0;
            plot_->xAxis->setRange(x_min, x_max + kFollowHeadroom * span);
        }
        x_fitted_ = true;
    }
    if (y_min <= y_max) {
        if (log_y_) {
            plot_->yAxis->setRange(y_min / 1.2, y_max * 1.2);
        } else {
            const double margin = y_max > y_min ? 0.05 * (y_max - y_min) : 1.0;
            plot_->yAxis->setRange(y_min - margin, y_max + margin);
        }
    }
    refresh();
}

void MetricChart::refresh() {
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void MetricChart::rebuild_lod() {
    const QCPRange range = plot_->xAxis->range();
    LodWindow window{range.lower, range.upper, std::max(1, plot_->axisRect()->width())};
    const bool same_window = window.x_min == lod_window_.x_min &&
                             window.x_max == lod_window_.x_max &&
                             window.width_px == lod_window_.width_px;
    if (lod_version_ == data_version_ && same_window && !lod_stale_) {
        return;
    }
    const bool incremental = same_window && !lod_stale_;
    lod_version_ = data_version_;
    lod_window_ = window;
    lod_stale_ = false;
    ++(incremental ? incremental_decimations_ : full_decimations_);
    const auto started = std::chrono::steady_clock::now();
    // Decimation reads each run's data and writes only that run's extremes, smoothing and
    // resume points, so runs can go in parallel; QCustomPlot is touched on this thread only.
    std::vector<std::pair<CurveLod, CurveLod>> lods(runs_.size());
    const bool smoothed = smoothing_ > 0.0;
    auto decimate_run = [&](std::size_t r) {
        RunCurve& run = *runs_[r];
        const SeriesData& data = run.data;
        run.raw_extremes.extend(data.values());
        if (smoothed) {
            run.ema.extend(data.values());
            run.smoothed_extremes.extend(run.ema.smoothed());
        }
        data.with_x(x_mode_, [&](auto x_at) {
            lods[r].first = decimate_curve(data.size(), x_at, data.values(), &run.raw_extremes,
                                           window, incremental, run.raw_resume);
            if (smoothed) {
                lods[r].second =
                    decimate_curve(data.size(), x_at, run.ema.smoothed(), &run.smoothed_extremes,
                                   window, incremental, run.smoothed_resume);
            } else {
                lods[r].second.clear = true;
                run.smoothed_resume.valid = false;
            }
        });
    };
    const bool parallel = !incremental && stored_point_count() >= kParallelDecimationPoints;
    parallel_for(runs_.size(), parallel ? kMaxDecimationThreads : 1, decimate_run);
    plotted_points_ = 0;
    for (std::size_t r = 0; r < runs_.size(); ++r) {
        apply_lod(runs_[r]->raw_graph, lods[r].first);
        apply_lod(runs_[r]->smoothed_graph, lods[r].second);
        plotted_points_ += static_cast<std::size_t>(runs_[r]->raw_graph->data()->size() +
                                                    runs_[r]->smoothed_graph->data()->size());
    }
    last_decimation_ms_ =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
}

std::vector<HoverValue> MetricChart::hover_at(double x) const {
    std::vector<HoverValue> values;
    for (const auto& run : runs_) {
        const std::size_t index = run->data.nearest(x_mode_, x);
        if (index >= run->data.size()) {
            continue;
        }
        HoverValue value;
        value.run_id = run->run_id;
        value.x = run->data.x(x_mode_, index);
        value.step = run->data.step(index);
        value.value = run->data.value(index);
        value.smoothed = index < run->ema.size() && smoothing_ > 0.0
                             ? static_cast<double>(run->ema.smoothed()[index])
                             : value.value;
        values.push_back(value);
    }
    return values;
}

void MetricChart::show_hover_at(double x) {
    hovering_ = true;
    hover_x_ = x;
    const std::vector<HoverValue> values = hover_at(x);
    for (const auto& run : runs_) {
        run->tracer->setVisible(false);
    }
    QStringList lines;
    for (const HoverValue& value : values) {
        RunCurve* run = find_run(value.run_id);
        run->tracer->position->setCoords(value.x, value.value);
        run->tracer->setVisible(true);
        lines << QStringLiteral("%1  step %2  %3 %4")
                     .arg(value.run_id)
                     .arg(value.step)
                     .arg(metric_key_)
                     .arg(value.value, 0, 'g', 8);
    }
    readout_->setText(lines.join('\n'));
    readout_->setVisible(!lines.isEmpty());
    refresh();
}

QString MetricChart::hover_text() const {
    return readout_->visible() ? readout_->text() : QString();
}

QPoint MetricChart::checkpoint_pixel(std::size_t index) const {
    const Checkpoint& checkpoint = checkpoints_.at(index);
    const QRect rect = plot_->axisRect()->rect();
    const int x = static_cast<int>(std::lround(plot_->xAxis->coordToPixel(checkpoint.x)));
    return plot_->mapTo(this, QPoint(x, rect.center().y()));
}

void MetricChart::on_mouse_press(QMouseEvent* event) {
    press_pos_ = event->pos();
    follow_ = false;
}

void MetricChart::on_mouse_release(QMouseEvent* event) {
    if ((event->pos() - press_pos_).manhattanLength() > kClickMaxTravelPx ||
        !plot_->axisRect()->rect().contains(event->pos())) {
        return;
    }
    const Checkpoint* hit = nullptr;
    double best_px = kClickTolerancePx + 1.0;
    for (const Checkpoint& checkpoint : checkpoints_) {
        if (!checkpoint.placed) {
            continue;
        }
        const double distance_px =
            std::abs(plot_->xAxis->coordToPixel(checkpoint.x) - event->pos().x());
        if (distance_px <= kClickTolerancePx && distance_px < best_px) {
            best_px = distance_px;
            hit = &checkpoint;
        }
    }
    if (hit != nullptr) {
        emit checkpointClicked(hit->run_id, static_cast<qint64>(hit->step));
    }
}

void MetricChart::on_mouse_move(QMouseEvent* event) {
    if (event->buttons() != Qt::NoButton) {
        return;  // dragging: the view moves, the readout would only flicker
    }
    show_hover_at(plot_->xAxis->pixelToCoord(event->pos().x()));
}

std::size_t MetricChart::stored_point_count() const {
    std::size_t count = 0;
    for (const auto& run : runs_) {
        count += run->data.size();
    }
    return count;
}

std::size_t MetricChart::memory_bytes() const {
    std::size_t bytes = sizeof(*this);
    for (const auto& run : runs_) {
        bytes += sizeof(RunCurve) + run->data.memory_bytes() + run->ema.memory_bytes() +
                 run->raw_extremes.memory_bytes() + run->smoothed_extremes.memory_bytes() -
                 sizeof(SeriesData) - sizeof(EmaSmoother);
        // What QCustomPlot holds: the decimated points only.
        bytes += static_cast<std::size_t>(run->raw_graph->data()->size() +
                                          run->smoothed_graph->data()->size()) *
                 sizeof(QCPGraphData);
    }
    return bytes;
}

}  // namespace lathe::ui::dashboard

#pragma once

#include <QColor>
#include <QPoint>
#include <QString>
#include <QVector>
#include <QWidget>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ui/dashboard/decimator.h"
#include "ui/dashboard/metric_sample.h"
#include "ui/dashboard/run_curve.h"
#include "ui/dashboard/x_axis_mode.h"

class QCustomPlot;
class QCPItemStraightLine;
class QCPItemText;
class QMouseEvent;

namespace lathe::ui::dashboard {

// Exact values of one run at the hovered x (the nearest stored point, not the decimated one).
struct HoverValue {
    QString run_id;
    double x = 0.0;
    std::int64_t step = 0;
    double value = 0.0;
    double smoothed = 0.0;
};

// One metric of several runs, overlaid: each run in its colour with a legend entry, its raw
// curve faint behind the smoothed one. Every replot (data, zoom, pan, resize) re-decimates the
// visible range to the axis rect's pixel width first, so QCustomPlot only ever draws at most
// ~4 points per pixel column per curve, however many points the runs hold.
//
// While it follows live data, the x range grows in steps (kFollowHeadroom of the span beyond
// the newest point) rather than with every point: the pixel columns then stay put, and a flush
// of new points re-decimates only the last column of each curve instead of every column.
class MetricChart : public QWidget {
    Q_OBJECT

  public:
    explicit MetricChart(QString metric_key, QWidget* parent = nullptr);
    ~MetricChart() override;

    const QString& metric_key() const { return metric_key_; }

    // An invalid colour picks the next one of a 10-colour palette.
    void add_run(const QString& run_id, const QColor& colour = QColor());
    void append_points(const QString& run_id, const std::vector<MetricSample>& samples);
    // A ReplotThrottle batch: keeps this chart's metric, adds unknown runs, replots once.
    void consume(const std::vector<LivePoint>& batch);
    void add_checkpoint(const QString& run_id, std::int64_t step);

    // TensorBoard's smoothing weight in [0, 0.999]; 0 draws the raw curves only.
    void set_smoothing(double weight);
    void set_log_y(bool enabled);
    void set_x_mode(XAxisMode mode);
    // Fits all data and follows new points again until the user zooms or pans.
    void reset_view();
    // Queues one replot (coalesced by Qt with any other pending one).
    void refresh();

    std::vector<HoverValue> hover_at(double x) const;
    // Moves the tracers and the readout to x, as a mouse move does.
    void show_hover_at(double x);
    QString hover_text() const;

    // Where checkpoint marker `index` (in add order) is drawn, in chart widget coordinates.
    QPoint checkpoint_pixel(std::size_t index) const;
    QCustomPlot* plot() const { return plot_; }
    XAxisMode x_mode() const { return x_mode_; }
    bool log_y() const { return log_y_; }
    double smoothing() const { return smoothing_; }
    std::size_t run_count() const { return runs_.size(); }
    // Points handed to QCustomPlot by the last decimation, all curves together.
    std::size_t plotted_point_count() const { return plotted_points_; }
    // Decimations that started over (window or curves changed) and ones that resumed at each
    // curve's last column (only points appended): what a live run's replots cost.
    std::size_t full_decimation_count() const { return full_decimations_; }
    std::size_t incremental_decimation_count() const { return incremental_decimations_; }
    // How long the latest decimation took (for the benchmark's breakdown of a replot).
    double last_decimation_ms() const { return last_decimation_ms_; }
    // Stored points and the memory holding them, all runs.
    std::size_t stored_point_count() const;
    std::size_t memory_bytes() const;

  signals:
    void checkpointClicked(const QString& run_id, qint64 step);

  private:
    struct Checkpoint {
        QString run_id;
        std::int64_t step = 0;
        QCPItemStraightLine* line = nullptr;
        double x = 0.0;
        bool placed = false;
    };

    RunCurve* find_run(const QString& run_id) const;
    RunCurve& ensure_run(const QString& run_id);
    void rebuild_lod();
    void place_checkpoints();
    void on_mouse_press(QMouseEvent* event);
    void on_mouse_release(QMouseEvent* event);
    void on_mouse_move(QMouseEvent* event);
    void apply_styles();
    void data_changed();
    // Fits y to the data and x too, unless the current x range still holds every point.
    void follow_view();
    void fit_view(bool keep_x_if_it_holds_the_data);

    QString metric_key_;
    QCustomPlot* plot_ = nullptr;
    QCPItemText* readout_ = nullptr;
    std::vector<std::unique_ptr<RunCurve>> runs_;
    std::vector<Checkpoint> checkpoints_;
    XAxisMode x_mode_ = XAxisMode::Step;
    bool log_y_ = false;
    double smoothing_ = 0.6;
    bool follow_ = true;
    bool x_fitted_ = false;  // the x range has been fitted to data at least once
    QPoint press_pos_;
    double hover_x_ = 0.0;
    bool hovering_ = false;

    // Decimation is skipped when neither the window nor the data changed (e.g. a hover replot).
    std::uint64_t data_version_ = 0;
    std::uint64_t lod_version_ = ~std::uint64_t{0};
    LodWindow lod_window_;
    // Set by anything but appended points (runs added, smoothing, x mode): the next decimation
    // must start over instead of resuming at each curve's last column.
    bool lod_stale_ = true;
    std::size_t full_decimations_ = 0;
    std::size_t incremental_decimations_ = 0;
    double last_decimation_ms_ = 0.0;
    std::size_t plotted_points_ = 0;
};

}  // namespace lathe::ui::dashboard

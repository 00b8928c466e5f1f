#pragma once

#include <map>
#include <vector>

#include <QStringList>
#include <QWidget>

#include "ui/dashboard/metric_sample.h"
#include "ui/studio/run_details.h"

class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;

namespace lathe::ui::dashboard {
class MetricChart;
}

namespace lathe::ui::studio {

// A run's live page: its status and progress, the controls (stop, save now, kill, continue +N),
// one chart per metric (training loss with eval loss, learning rate, grad norm, tokens/s, and
// each eval metric as it appears) with shared smoothing / log-y / x-axis settings, and the
// newest generated sample. Several runs overlay on the same charts.
class DashboardPanel : public QWidget {
    Q_OBJECT

  public:
    explicit DashboardPanel(QWidget* parent = nullptr);

    // Starts over with these runs (the first one's details fill the header).
    void show_runs(const QStringList& run_ids);
    const QStringList& runs() const { return runs_; }
    // A ReplotThrottle batch.
    void consume(std::vector<dashboard::LivePoint>&& batch);
    void set_details(const RunDetails& details);

    dashboard::MetricChart* chart(const QString& key) const;
    int chart_count() const { return static_cast<int>(charts_.size()); }
    double smoothing() const;
    void set_smoothing(double weight);
    QLabel* status_label() const { return status_; }
    // The newest generated sample as shown: "step N: " + prompt and continuation.
    QString sample_text() const;
    QLabel* failure_label() const { return failure_; }
    // The GPUs and memory of the host the run is on (ui/hosts/host_rows.h usage_summary).
    void set_host_usage(const QString& text);
    QLabel* host_usage_label() const { return host_usage_; }

  signals:
    void stopRequested(const QString& run_id);
    void saveNowRequested(const QString& run_id);
    void killRequested(const QString& run_id);
    void continueRequested(const QString& run_id, qint64 steps);
    void checkpointClicked(const QString& run_id, qint64 step);

  private:
    dashboard::MetricChart& ensure_chart(const QString& key);
    void apply_view_settings(dashboard::MetricChart& chart) const;
    void apply_view_settings_to_all();
    QString primary() const { return runs_.isEmpty() ? QString() : runs_.front(); }

    QStringList runs_;
    std::map<QString, dashboard::MetricChart*> charts_;
    std::map<QString, std::vector<qint64>> markers_;  // checkpoint markers already drawn per run
    QLabel* title_ = nullptr;
    QLabel* status_ = nullptr;
    QLabel* failure_ = nullptr;
    QLabel* host_usage_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* stop_ = nullptr;
    QPushButton* save_ = nullptr;
    QPushButton* kill_ = nullptr;
    QSpinBox* more_steps_ = nullptr;
    QPushButton* continue_ = nullptr;
    QSlider* smoothing_ = nullptr;
    QCheckBox* log_y_ = nullptr;
    QComboBox* x_axis_ = nullptr;
    QWidget* charts_area_ = nullptr;
    QGridLayout* grid_ = nullptr;
    QPlainTextEdit* sample_ = nullptr;
};

}  // namespace lathe::ui::studio

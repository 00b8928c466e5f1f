#include "ui/studio/dashboard_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

#include "ui/dashboard/metric_chart.h"

namespace lathe::ui::studio {

namespace {

// A line of text under the header (the failure reason, the host's GPUs): wraps, can be copied,
// hidden while empty.
QLabel* make_line_label(QWidget* parent) {
    auto* label = new QLabel(parent);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->hide();
    return label;
}

// Which chart a metric goes to: eval loss joins the training loss, as in every training report.
QString chart_key(const std::string& metric) {
    return metric == "eval_loss" ? QStringLiteral("loss") : QString::fromStdString(metric);
}

// The standard charts, in reading order; eval metrics follow as they appear.
const QStringList& standard_charts() {
    static const QStringList keys = {"loss", "learning_rate", "grad_norm", "tokens_per_second"};
    return keys;
}

QString eta_text(const RunDetails& d) {
    if (!d.live || d.started_at <= 0 || d.global_step <= 0 || d.max_steps <= d.global_step)
        return QString();
    const double elapsed = QDateTime::currentMSecsSinceEpoch() / 1000.0 - d.started_at;
    const double left = elapsed / static_cast<double>(d.global_step) *
                        static_cast<double>(d.max_steps - d.global_step);
    const auto s = static_cast<qint64>(left);
    return QStringLiteral(", ETA %1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace

DashboardPanel::DashboardPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);

    auto* header = new QHBoxLayout;
    title_ = new QLabel(tr("No run selected"), this);
    title_->setStyleSheet(QStringLiteral("font-weight: bold"));
    status_ = new QLabel(this);
    progress_ = new QProgressBar(this);
    progress_->setTextVisible(true);
    stop_ = new QPushButton(tr("Stop"), this);
    stop_->setToolTip(tr("Save a checkpoint, then stop (SIGTERM)"));
    save_ = new QPushButton(tr("Save now"), this);
    kill_ = new QPushButton(tr("Kill"), this);
    kill_->setToolTip(tr("Stop at once, without a checkpoint (SIGKILL)"));
    more_steps_ = new QSpinBox(this);
    more_steps_->setRange(1, 10000000);
    more_steps_->setValue(100);
    continue_ = new QPushButton(tr("Continue +N steps"), this);
    header->addWidget(title_);
    header->addWidget(status_, 1);
    header->addWidget(progress_, 1);
    header->addWidget(stop_);
    header->addWidget(save_);
    header->addWidget(kill_);
    header->addWidget(more_steps_);
    header->addWidget(continue_);
    layout->addLayout(header);

    failure_ = make_line_label(this);
    failure_->setStyleSheet(QStringLiteral("color: #b00020; font-weight: bold"));
    layout->addWidget(failure_);
    host_usage_ = make_line_label(this);
    host_usage_->setObjectName(QStringLiteral("host-usage"));
    layout->addWidget(host_usage_);

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Smoothing"), this));
    smoothing_ = new QSlider(Qt::Horizontal, this);
    smoothing_->setRange(0, 99);
    smoothing_->setValue(60);
    controls->addWidget(smoothing_);
    log_y_ = new QCheckBox(tr("Log y"), this);
    controls->addWidget(log_y_);
    controls->addWidget(new QLabel(tr("X axis"), this));
    x_axis_ = new QComboBox(this);
    x_axis_->addItems({tr("Step"), tr("Epoch"), tr("Wall time"), tr("Tokens seen")});
    controls->addWidget(x_axis_);
    auto* reset = new QPushButton(tr("Reset view"), this);
    controls->addWidget(reset);
    controls->addStretch(1);
    layout->addLayout(controls);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    charts_area_ = new QWidget(scroll);
    grid_ = new QGridLayout(charts_area_);
    scroll->setWidget(charts_area_);
    layout->addWidget(scroll, 1);

    sample_ = new QPlainTextEdit(this);
    sample_->setReadOnly(true);
    sample_->setMaximumHeight(90);
    sample_->setPlaceholderText(tr("The newest generated sample appears here"));
    layout->addWidget(sample_);

    connect(stop_, &QPushButton::clicked, this, [this] { emit stopRequested(primary()); });
    connect(save_, &QPushButton::clicked, this, [this] { emit saveNowRequested(primary()); });
    connect(kill_, &QPushButton::clicked, this, [this] { emit killRequested(primary()); });
    connect(continue_, &QPushButton::clicked, this,
            [this] { emit continueRequested(primary(), more_steps_->value()); });
    connect(smoothing_, &QSlider::valueChanged, this, [this] { apply_view_settings_to_all(); });
    connect(log_y_, &QCheckBox::toggled, this, [this] { apply_view_settings_to_all(); });
    connect(x_axis_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { apply_view_settings_to_all(); });
    connect(reset, &QPushButton::clicked, this, [this] {
        for (auto& [key, chart] : charts_)
            chart->reset_view();
    });
    show_runs({});
}

void DashboardPanel::set_host_usage(const QString& text) {
    if (host_usage_->text() != text)
        host_usage_->setText(text);
    host_usage_->setVisible(!text.isEmpty());
}

double DashboardPanel::smoothing() const {
    return smoothing_->value() / 100.0;
}

void DashboardPanel::set_smoothing(double weight) {
    smoothing_->setValue(static_cast<int>(weight * 100.0 + 0.5));
}

void DashboardPanel::show_runs(const QStringList& run_ids) {
    runs_ = run_ids;
    for (auto& [key, chart] : charts_)
        delete chart;
    charts_.clear();
    markers_.clear();
    for (const auto& key : standard_charts())
        ensure_chart(key);
    const bool any = !runs_.isEmpty();
    title_->setText(any ? runs_.front() : tr("No run selected"));
    status_->clear();
    failure_->hide();
    sample_->clear();
    progress_->setRange(0, 1);
    progress_->setValue(0);
    for (auto* b : {stop_, save_, kill_, continue_})
        b->setEnabled(false);
}

dashboard::MetricChart& DashboardPanel::ensure_chart(const QString& key) {
    auto it = charts_.find(key);
    if (it != charts_.end())
        return *it->second;
    auto* chart = new dashboard::MetricChart(key, charts_area_);
    chart->setMinimumHeight(220);
    const int index = static_cast<int>(charts_.size());
    grid_->addWidget(chart, index / 2, index % 2);
    charts_[key] = chart;
    apply_view_settings(*chart);
    connect(chart, &dashboard::MetricChart::checkpointClicked, this,
            &DashboardPanel::checkpointClicked);
    return *chart;
}

dashboard::MetricChart* DashboardPanel::chart(const QString& key) const {
    auto it = charts_.find(key);
    return it == charts_.end() ? nullptr : it->second;
}

void DashboardPanel::apply_view_settings(dashboard::MetricChart& chart) const {
    chart.set_smoothing(smoothing());
    chart.set_log_y(log_y_->isChecked());
    chart.set_x_mode(static_cast<dashboard::XAxisMode>(x_axis_->currentIndex()));
}

void DashboardPanel::apply_view_settings_to_all() {
    for (auto& [key, chart] : charts_)
        apply_view_settings(*chart);
}

void DashboardPanel::consume(std::vector<dashboard::LivePoint>&& batch) {
    std::map<QString, std::vector<dashboard::LivePoint>> by_chart;
    for (auto& point : batch) {
        if (!runs_.contains(QString::fromStdString(point.run_id)))
            continue;  // a run no longer shown: points still in flight from the feed
        const QString key = chart_key(point.metric_key);
        if (point.metric_key == "eval_loss") {
            point.run_id += " eval";
            point.metric_key = "loss";
        }
        by_chart[key].push_back(std::move(point));
    }
    for (auto& [key, points] : by_chart)
        ensure_chart(key).consume(points);
}

void DashboardPanel::set_details(const RunDetails& d) {
    if (!runs_.contains(d.id))
        return;
    auto& markers = markers_[d.id];
    if (auto* loss = chart(QStringLiteral("loss"))) {
        for (const qint64 step : d.checkpoint_steps) {
            if (std::find(markers.begin(), markers.end(), step) == markers.end()) {
                loss->add_checkpoint(d.id, step);
                markers.push_back(step);
            }
        }
    }
    if (d.id != primary())
        return;
    title_->setText(d.name + QStringLiteral("  (") + d.id + QStringLiteral(")"));
    status_->setText(d.status +
                     (d.epoch ? QStringLiteral(", epoch %1").arg(*d.epoch, 0, 'f', 2) : QString()) +
                     eta_text(d));
    progress_->setRange(0, static_cast<int>(std::max<qint64>(d.max_steps, 1)));
    progress_->setValue(
        static_cast<int>(std::min(d.global_step, std::max<qint64>(d.max_steps, 1))));
    progress_->setFormat(QStringLiteral("%1 / %2").arg(d.global_step).arg(d.max_steps));
    const bool failed = d.status == QStringLiteral("failed") || d.status == QStringLiteral("lost");
    failure_->setVisible(failed && !d.failure_reason.isEmpty());
    failure_->setText(tr("Failed: ") + d.failure_reason);
    stop_->setEnabled(d.live);
    save_->setEnabled(d.live);
    kill_->setEnabled(d.live);
    continue_->setEnabled(!d.live && d.status != QStringLiteral("queued"));
    if (!d.last_sample.isEmpty()) {
        sample_->setPlainText(tr("step %1: ").arg(d.last_sample_step) + d.last_sample);
    }
}

QString DashboardPanel::sample_text() const {
    return sample_->toPlainText();
}

}  // namespace lathe::ui::studio

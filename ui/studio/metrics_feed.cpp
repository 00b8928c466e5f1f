#include "ui/studio/metrics_feed.h"

#include <QTimer>

#include <algorithm>
#include <filesystem>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/registry/registry.h"
#include "core/run_manager/config_diff.h"
#include "core/util/error.h"
#include "ui/dashboard/replot_throttle.h"

namespace lathe::ui::studio {

namespace {

// Metrics that are not worth a chart of their own: x coordinates, timings of evaluation.
bool plotted(const std::string& key) {
    return key != "num_input_tokens_seen" && key != "step_time_seconds" && key != "eval_runtime" &&
           key != "eval_samples_per_second" && key != "eval_steps_per_second" && key != "epoch";
}

// The x value at `step` of a cumulative series (tokens seen), from the newest point at or
// before it.
template <typename Point>
double value_at_step(const std::vector<Point>& series, std::int64_t step) {
    auto it = std::upper_bound(series.begin(), series.end(), step,
                               [](std::int64_t s, const Point& p) { return s < p.step; });
    return it == series.begin() ? 0.0 : std::prev(it)->value;
}

}  // namespace

MetricsFeed::MetricsFeed(core::run_manager::LathePaths paths, dashboard::ReplotThrottle* throttle,
                         int interval_ms, QObject* parent)
    : QObject(parent), paths_(std::move(paths)), throttle_(throttle), interval_ms_(interval_ms) {}

MetricsFeed::~MetricsFeed() = default;

void MetricsFeed::start() {
    try {
        const auto resolved = core::run_manager::resolve_paths(paths_);
        registry_ = std::make_unique<core::registry::Registry>(
            core::registry::Registry::open({resolved.registry_path, 10000, false}));
    } catch (const std::exception& e) {
        emit failed(QString::fromStdString(e.what()));
        return;
    }
    timer_ = new QTimer(this);
    connect(timer_, &QTimer::timeout, this, &MetricsFeed::poll);
    timer_->start(interval_ms_);
}

void MetricsFeed::shutdown() {
    if (timer_ != nullptr)
        timer_->stop();
    registry_.reset();
}

void MetricsFeed::follow(const QStringList& run_ids, quint64 generation) {
    runs_ = run_ids;
    generation_ = generation;
    delivered_.clear();
    poll();
}

void MetricsFeed::poll() {
    if (!registry_)
        return;
    for (const auto& id : runs_) {
        try {
            poll_run(id);
        } catch (const std::exception& e) {
            emit failed(id + ": " + QString::fromStdString(e.what()));
        }
    }
}

void MetricsFeed::poll_run(const QString& qid) {
    const std::string id = qid.toStdString();
    const auto run = registry_->find_run(id);
    if (!run)
        return;
    Delivered& d = delivered_[qid];
    const auto progress = registry_->ingestion_progress(id);
    const bool fresh = d.ingested_seq < 0;

    RunDetails details;
    details.id = qid;
    details.name = QString::fromStdString(run->name);
    details.status = QString::fromStdString(core::registry::to_string(run->status));
    details.target = QString::fromStdString(run->target);
    details.live = run->status == core::registry::RunStatus::starting ||
                   run->status == core::registry::RunStatus::running;
    details.failure_reason = QString::fromStdString(run->failure_reason);
    details.exit_code = run->exit_code;
    details.global_step = run->global_step;
    details.max_steps = run->max_steps;
    details.started_at = run->started_at.value_or(0.0);
    details.ended_at = run->ended_at.value_or(0.0);
    details.parent_run_id = QString::fromStdString(run->parent_run_id);
    details.config_text = QString::fromStdString(run->config.dump(2));
    if (!run->fork_diff.is_null())
        details.parent_diff = QString::fromStdString(run->fork_diff.dump(2));
    if (runs_.size() >= 2 && qid == runs_.front()) {
        if (!d.compare_diff) {
            d.compare_diff = QString();
            if (const auto other = registry_->find_run(runs_.at(1).toStdString())) {
                const auto diff = core::run_manager::run_config_diff(other->config, run->config);
                for (auto it = diff.begin(); it != diff.end(); ++it) {
                    *d.compare_diff +=
                        QString::fromStdString(it.key() + ": " + it.value().at("from").dump() +
                                               " -> " + it.value().at("to").dump() + "\n");
                }
                if (diff.empty())
                    *d.compare_diff = QStringLiteral("(the same run.json)\n");
            }
        }
        details.compare_run_id = runs_.at(1);
        details.compare_diff = *d.compare_diff;
    }
    const auto samples = registry_->samples(id);
    if (!samples.empty()) {
        // The event's text is the prompt and its continuation already (events.md).
        details.last_sample = QString::fromStdString(samples.back().text);
        details.last_sample_step = samples.back().step;
    }
    for (const auto& c : registry_->checkpoints(id)) {
        if (c.present)
            details.checkpoint_steps.push_back(c.step);
    }
    if (fresh || progress.last_seq != d.ingested_seq) {
        d.ingested_seq = progress.last_seq;
        deliver_points(*run, d);
    }
    details.epoch = d.epoch;
    emit detailsUpdated(details, generation_);
}

void MetricsFeed::deliver_points(const core::registry::RunRecord& run_record, Delivered& d) {
    const std::string& id = run_record.id;
    const auto* run = &run_record;
    // Tokens seen, kept and extended by what was logged since: a poll costs the new points, not
    // the whole run.
    for (const auto& p : registry_->metric_series(id, "num_input_tokens_seen", d.tokens_seq)) {
        if (d.tokens.empty() || p.step >= d.tokens.back().step)
            d.tokens.push_back({p.step, p.value});
        d.tokens_seq = std::max(d.tokens_seq, p.seq);
    }
    const auto& tokens = d.tokens;
    // A child shown with its parent starts at the parent's point at the checkpoint they share,
    // so that the two curves read as one line that forks there.
    std::int64_t join_step = -1;  // none
    if (runs_.contains(QString::fromStdString(run->parent_run_id)))
        join_step = core::checkpoints::checkpoint_step(
                        std::filesystem::path(run->parent_checkpoint).filename().string())
                        .value_or(-1);
    std::optional<std::vector<core::registry::MetricPoint>> parent_tokens;
    std::vector<dashboard::LivePoint> batch;
    for (const auto& key : registry_->metric_keys(id)) {
        if (!plotted(key))
            continue;
        if (join_step >= 0 && d.joined.insert(key).second) {
            const auto parent = registry_->metric_series(run->parent_run_id, key);
            const auto at = std::find_if(parent.rbegin(), parent.rend(),
                                         [&](const auto& p) { return p.step <= join_step; });
            if (at != parent.rend()) {
                dashboard::LivePoint point;
                point.run_id = id;
                point.metric_key = key;
                point.sample.step = at->step;
                point.sample.epoch = at->epoch.value_or(0.0);
                if (!parent_tokens)  // read once, for the first key joined
                    parent_tokens =
                        registry_->metric_series(run->parent_run_id, "num_input_tokens_seen");
                point.sample.tokens_seen = value_at_step(*parent_tokens, at->step);
                point.sample.value = at->value;
                batch.push_back(std::move(point));
            }
        }
        std::int64_t& newest = d.seq[key];
        const std::int64_t delivered = newest;
        for (const auto& p : registry_->metric_series(id, key, delivered)) {
            dashboard::LivePoint point;
            point.run_id = id;
            point.metric_key = key;
            point.sample.step = p.step;
            point.sample.epoch = p.epoch.value_or(0.0);
            point.sample.wall_time_s =
                run->started_at && p.time > 0 ? p.time - *run->started_at : 0.0;
            point.sample.tokens_seen = value_at_step(tokens, p.step);
            point.sample.value = p.value;
            batch.push_back(std::move(point));
            newest = std::max(newest, p.seq);
            if (p.epoch)
                d.epoch = std::max(d.epoch.value_or(0.0), *p.epoch);
        }
    }
    if (!batch.empty())
        throttle_->append(std::move(batch));
}

}  // namespace lathe::ui::studio

#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <QObject>
#include <QStringList>

#include "core/registry/records.h"
#include "core/run_manager/lathe_paths.h"
#include "ui/studio/run_details.h"

class QTimer;

namespace lathe::core::registry {
class Registry;
}
namespace lathe::ui::dashboard {
class ReplotThrottle;
}

namespace lathe::ui::studio {

// Feeds the dashboard from the registry, on a worker thread with its own connection: every
// interval it reads the metric points of the followed runs that it has not delivered yet (only
// when the run's ingestion progressed) and appends them to the ReplotThrottle, which merges them
// into at most one replot per 40 ms on the UI thread. It never ingests (the RegistryWatcher
// does); it only reads.
class MetricsFeed : public QObject {
    Q_OBJECT

  public:
    MetricsFeed(core::run_manager::LathePaths paths, dashboard::ReplotThrottle* throttle,
                int interval_ms = 500, QObject* parent = nullptr);
    ~MetricsFeed() override;

  public slots:
    void start();
    void shutdown();
    // The runs the dashboard shows; a new list starts their curves over.
    void follow(const QStringList& run_ids, quint64 generation);
    void poll();

  signals:
    void detailsUpdated(const lathe::ui::studio::RunDetails& details, quint64 generation);
    void failed(const QString& message);

  private:
    struct Delivered {
        std::int64_t ingested_seq = -1;           // ingestion progress seen last time
        std::map<std::string, std::int64_t> seq;  // per metric key: newest seq delivered
        std::optional<QString> compare_diff;      // computed once per follow()
        std::set<std::string> joined;             // keys whose curve starts at the parent's point
        std::optional<double> epoch;              // the newest epoch of the points delivered
        struct StepValue {
            std::int64_t step = 0;
            double value = 0.0;
        };
        std::vector<StepValue> tokens;  // num_input_tokens_seen so far, by step
        std::int64_t tokens_seq = 0;    // its newest seq read
    };
    void poll_run(const QString& id);
    // The run's points not delivered yet, to the throttle.
    void deliver_points(const core::registry::RunRecord& run, Delivered& d);

    core::run_manager::LathePaths paths_;
    dashboard::ReplotThrottle* throttle_;
    int interval_ms_;
    std::unique_ptr<core::registry::Registry> registry_;
    QTimer* timer_ = nullptr;
    QStringList runs_;
    quint64 generation_ = 0;
    std::map<QString, Delivered> delivered_;
};

}  // namespace lathe::ui::studio

#pragma once

#include <QObject>
#include <QTimer>

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include "ui/dashboard/metric_sample.h"

namespace lathe::ui::dashboard {

// Carries live points from any thread to the UI thread and merges bursts into one replot
// (PlotJuggler's pattern): producers only lock a mutex for a push_back, and the first push after
// a flush arms a single-shot timer; when it fires, the UI thread swaps the buffer out and hands
// the whole batch to the sink. So the UI replots at most once per interval_ms however fast points
// arrive, and it never waits on a producer or on I/O (the swap is O(1) under the lock).
class ReplotThrottle : public QObject {
    Q_OBJECT

  public:
    using Sink = std::function<void(std::vector<LivePoint>&& batch)>;

    // Lives on (and flushes in) the thread that creates it: the UI thread.
    explicit ReplotThrottle(Sink sink, int interval_ms = 40, QObject* parent = nullptr);

    // Thread-safe.
    void append(LivePoint point);
    void append(std::vector<LivePoint> points);

    // Flushes now instead of waiting for the timer (UI thread only).
    void flush();

    int interval_ms() const { return interval_ms_; }
    std::size_t flush_count() const { return flush_count_; }

  signals:
    void flushed(int point_count);

  private:
    void arm();

    Sink sink_;
    int interval_ms_;
    QTimer timer_;
    std::mutex mutex_;
    std::vector<LivePoint> pending_;  // guarded by mutex_
    std::atomic<bool> armed_{false};
    std::size_t flush_count_ = 0;
};

}  // namespace lathe::ui::dashboard

#include "ui/dashboard/replot_throttle.h"

#include <QMetaObject>
#include <utility>

namespace lathe::ui::dashboard {

ReplotThrottle::ReplotThrottle(Sink sink, int interval_ms, QObject* parent)
    : QObject(parent), sink_(std::move(sink)), interval_ms_(interval_ms), timer_(this) {
    timer_.setSingleShot(true);
    timer_.setInterval(interval_ms_);
    connect(&timer_, &QTimer::timeout, this, &ReplotThrottle::flush);
}

void ReplotThrottle::append(LivePoint point) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.push_back(std::move(point));
    }
    arm();
}

void ReplotThrottle::append(std::vector<LivePoint> points) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (pending_.empty()) {
            pending_ = std::move(points);
        } else {
            for (LivePoint& point : points) {
                pending_.push_back(std::move(point));
            }
        }
    }
    arm();
}

void ReplotThrottle::arm() {
    // Only the first append after a flush posts to the UI thread; the rest just fill the buffer.
    if (armed_.exchange(true)) {
        return;
    }
    // QTimer must be started from its own thread, so the start is queued there.
    QMetaObject::invokeMethod(
        &timer_, [this] { timer_.start(); }, Qt::QueuedConnection);
}

void ReplotThrottle::flush() {
    timer_.stop();
    std::vector<LivePoint> batch;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        batch.swap(pending_);
        // Cleared under the lock: an append racing with this flush either lands in this batch or
        // arms the next timer, never neither.
        armed_ = false;
    }
    if (batch.empty()) {
        return;
    }
    ++flush_count_;
    const int count = static_cast<int>(batch.size());
    if (sink_) {
        sink_(std::move(batch));
    }
    emit flushed(count);
}

}  // namespace lathe::ui::dashboard

#include "ui/dashboard/replot_throttle.h"

#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QTest>

#include <thread>

#include "tests/ui/dashboard/qt_app.h"

namespace lathe::ui::dashboard {
namespace {

TEST(ReplotThrottle, CoalescesAThousandAppendsIntoAFewFlushes) {
    test::qt_app();
    std::size_t received = 0;
    ReplotThrottle throttle([&](std::vector<LivePoint>&& batch) { received += batch.size(); });
    for (int i = 0; i < 1000; ++i) {
        throttle.append(LivePoint{"run", "loss", {i, 0.0, 0.0, 0.0, 1.0}});
    }
    EXPECT_EQ(received, 0u);  // nothing happens before the timer fires
    QTRY_COMPARE_WITH_TIMEOUT(received, std::size_t{1000}, 2000);
    EXPECT_LE(throttle.flush_count(), 2u);
    EXPECT_GE(throttle.flush_count(), 1u);
}

TEST(ReplotThrottle, AppendsFromAnotherThreadArriveOnTheUiThreadAtMostEveryInterval) {
    test::qt_app();
    std::size_t received = 0;
    std::thread::id sink_thread;
    ReplotThrottle throttle([&](std::vector<LivePoint>&& batch) {
        received += batch.size();
        sink_thread = std::this_thread::get_id();
    });
    QElapsedTimer clock;
    clock.start();
    std::thread producer([&] {
        for (int i = 0; i < 1000; ++i) {
            throttle.append(LivePoint{"run", "loss", {i, 0.0, 0.0, 0.0, 1.0}});
            if (i % 100 == 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
    });
    QTRY_COMPARE_WITH_TIMEOUT(received, std::size_t{1000}, 5000);
    producer.join();
    EXPECT_EQ(sink_thread, std::this_thread::get_id());
    // One flush per 40 ms window at most (+1 for the window the last points land in).
    const auto windows = static_cast<std::size_t>(clock.elapsed() / throttle.interval_ms()) + 2;
    EXPECT_LE(throttle.flush_count(), windows);
}

}  // namespace
}  // namespace lathe::ui::dashboard

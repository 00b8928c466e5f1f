#include "ui/dashboard/series_data.h"

#include <gtest/gtest.h>

namespace lathe::ui::dashboard {
namespace {

TEST(SeriesData, StoresAllFourXModes) {
    SeriesData series;
    EXPECT_TRUE(series.append({10, 0.5, 2.25, 4096.0, 1.5}));
    EXPECT_TRUE(series.append({20, 1.0, 4.5, 8192.0, 1.25}));
    ASSERT_EQ(series.size(), 2u);
    EXPECT_EQ(series.x(XAxisMode::Step, 1), 20.0);
    EXPECT_EQ(series.x(XAxisMode::Epoch, 0), 0.5);
    EXPECT_EQ(series.x(XAxisMode::WallTime, 1), 4.5);
    EXPECT_EQ(series.x(XAxisMode::Tokens, 0), 4096.0);
    EXPECT_EQ(series.value(1), 1.25);
    EXPECT_EQ(series.step(0), 10);
}

TEST(SeriesData, RefusesXGoingBackwards) {
    SeriesData series;
    EXPECT_TRUE(series.append({10, 1.0, 1.0, 1.0, 0.0}));
    EXPECT_FALSE(series.append({9, 1.0, 1.0, 1.0, 0.0}));
    EXPECT_FALSE(series.append({11, 0.5, 1.0, 1.0, 0.0}));
    EXPECT_TRUE(series.append({10, 1.0, 1.0, 1.0, 0.0}));  // equal x is allowed
    EXPECT_EQ(series.size(), 2u);
    EXPECT_EQ(series.rejected(), 2u);
}

TEST(SeriesData, LowerBoundAndNearest) {
    SeriesData series;
    for (int i = 0; i < 100; ++i) {
        series.append({i * 10, i * 0.1, i * 1.0, i * 100.0, static_cast<double>(i)});
    }
    EXPECT_EQ(series.lower_bound(XAxisMode::Step, 25.0), 3u);
    EXPECT_EQ(series.lower_bound(XAxisMode::Step, 2000.0), 100u);
    EXPECT_EQ(series.nearest(XAxisMode::Step, 24.0), 2u);
    EXPECT_EQ(series.nearest(XAxisMode::Step, 26.0), 3u);
    EXPECT_EQ(series.nearest(XAxisMode::Tokens, -5.0), 0u);
    EXPECT_EQ(series.nearest(XAxisMode::Tokens, 1e9), 99u);
}

TEST(SeriesData, AtMostFortyBytesPerPointAtOneMillionPoints) {
    SeriesData series;
    for (int i = 0; i < 1'000'000; ++i) {
        series.append({i, i * 1e-5, i * 0.1, i * 512.0, 1.0});
    }
    const double bytes_per_point =
        static_cast<double>(series.memory_bytes()) / static_cast<double>(series.size());
    EXPECT_LE(bytes_per_point, 34.0);
}

}  // namespace
}  // namespace lathe::ui::dashboard

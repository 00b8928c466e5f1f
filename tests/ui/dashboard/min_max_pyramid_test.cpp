#include "ui/dashboard/min_max_pyramid.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace lathe::ui::dashboard {
namespace {

TEST(MinMaxPyramid, QueryEqualsAFullScanOnRandomRanges) {
    ChunkedColumn<double> y;
    MinMaxPyramid<double> pyramid;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> value(-1.0, 1.0);
    for (int i = 0; i < 300'000; ++i) {
        // Ties and non-finite values, to check index choice and that they never win.
        const double v = i % 1000 == 0  ? std::numeric_limits<double>::quiet_NaN()
                         : i % 777 == 0 ? std::numeric_limits<double>::infinity()
                                        : std::round(value(rng) * 100.0);
        y.push_back(v);
        if (i % 50'001 == 0) {
            pyramid.extend(y);  // leaves an unsummarised tail, as live appends do
        }
    }
    std::uniform_int_distribution<std::size_t> index(0, y.size());
    for (int trial = 0; trial < 2000; ++trial) {
        std::size_t a = index(rng);
        std::size_t b = index(rng);
        if (a > b) {
            std::swap(a, b);
        }
        RangeExtremes<double> expected{a, a};
        scan_extremes(y, a, b, expected);
        const RangeExtremes<double> got = pyramid.query(y, a, b);
        ASSERT_EQ(got.min_index, expected.min_index) << a << ".." << b;
        ASSERT_EQ(got.max_index, expected.max_index) << a << ".." << b;
    }
}

TEST(MinMaxPyramid, FloatPyramidStaysAroundOneBytePerPoint) {
    ChunkedColumn<float> y;
    MinMaxPyramid<float> pyramid;
    for (int i = 0; i < 1'000'000; ++i) {
        y.push_back(static_cast<float>(i % 17));
    }
    pyramid.extend(y);
    EXPECT_LT(static_cast<double>(pyramid.memory_bytes()) / 1e6, 1.2);
}

}  // namespace
}  // namespace lathe::ui::dashboard

#include "ui/dashboard/ema_smoother.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace lathe::ui::dashboard {
namespace {

TEST(EmaSmoother, MatchesHandComputedTensorBoardValues) {
    // w = 0.5, values 1, 2, 3:
    //   last = 0.5,  debias 0.5   -> 1
    //   last = 1.25, debias 0.75  -> 1.666...
    //   last = 2.125, debias 0.875 -> 2.428571...
    const auto out = ema_smooth({1.0, 2.0, 3.0}, 0.5);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_DOUBLE_EQ(out[0], 1.0);
    EXPECT_DOUBLE_EQ(out[1], 1.25 / 0.75);
    EXPECT_DOUBLE_EQ(out[2], 2.125 / 0.875);
}

TEST(EmaSmoother, NonFiniteValuesPassThroughWithoutTouchingTheState) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    // w = 0.6: 10 -> 10; NaN -> NaN; inf -> inf; 20: last = 4*0.6 + 0.4*20 = 10.4,
    // debias 1 - 0.36 = 0.64 -> 16.25 (n counts finite values only).
    const auto out = ema_smooth({10.0, nan, inf, 20.0}, 0.6);
    EXPECT_DOUBLE_EQ(out[0], 10.0);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_TRUE(std::isinf(out[2]));
    EXPECT_DOUBLE_EQ(out[3], 16.25);
}

TEST(EmaSmoother, ConstantSeriesIsShownRawAndZeroWeightIsIdentity) {
    const auto constant = ema_smooth({0.1, 0.1, 0.1, 0.1}, 0.9);
    for (double v : constant) {
        EXPECT_EQ(v, 0.1);
    }
    const auto identity = ema_smooth({3.0, -1.0, 7.0}, 0.0);
    EXPECT_EQ(identity, (std::vector<double>{3.0, -1.0, 7.0}));
}

TEST(EmaSmoother, IncrementalExtendEqualsWholeSeries) {
    ChunkedColumn<double> values;
    std::vector<double> plain;
    EmaSmoother smoother;
    smoother.set_weight(0.9);
    for (int i = 0; i < 1000; ++i) {
        const double v = std::sin(i * 0.1) + i * 0.01;
        values.push_back(v);
        plain.push_back(v);
        if (i % 97 == 0) {
            smoother.extend(values);
        }
    }
    smoother.extend(values);
    const auto expected = ema_smooth(plain, 0.9);
    ASSERT_EQ(smoother.size(), expected.size());
    for (std::size_t i = 1; i < expected.size(); ++i) {
        EXPECT_NEAR(smoother.smoothed()[i], expected[i], 1e-5 * (1.0 + std::abs(expected[i])));
    }
}

}  // namespace
}  // namespace lathe::ui::dashboard

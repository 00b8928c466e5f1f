#include "ui/dashboard/decimator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "ui/dashboard/chunked_column.h"
#include "ui/dashboard/series_data.h"

namespace lathe::ui::dashboard {
namespace {

SeriesData make_series(std::size_t count, double (*value_of)(std::size_t)) {
    SeriesData series;
    for (std::size_t i = 0; i < count; ++i) {
        const double d = static_cast<double>(i);
        series.append({static_cast<std::int64_t>(i), d / 1000.0, d * 0.5, d * 512.0, value_of(i)});
    }
    return series;
}

std::vector<LodPoint> decimate_series(const SeriesData& series, XAxisMode mode, LodWindow window,
                                      const MinMaxPyramid<double>* pyramid = nullptr) {
    std::vector<LodPoint> out;
    decimate(
        series.size(), [&](std::size_t i) { return series.x(mode, i); }, series.values(), window,
        out, pyramid);
    return out;
}

// One live flush as the chart does it: decimate from the resume point and splice the new tail
// over the kept points from that column's x on (or take everything when not resuming).
template <typename XAt>
void resume_into(std::vector<LodPoint>& spliced, LodResume& resume, std::size_t count, XAt x_at,
                 const ChunkedColumn<double>& y, const LodWindow& window,
                 const MinMaxPyramid<double>& pyramid) {
    const bool resuming = resume.valid;
    const double from_x = resuming ? x_at(resume.column_begin) : 0.0;
    std::vector<LodPoint> tail;
    decimate(count, x_at, y, window, tail, &pyramid, &resume);
    if (!resuming) {
        spliced = tail;
        return;
    }
    spliced.erase(std::remove_if(spliced.begin(), spliced.end(),
                                 [&](const LodPoint& p) { return p.x >= from_x; }),
                  spliced.end());
    spliced.insert(spliced.end(), tail.begin(), tail.end());
}

double noise(std::size_t i) {
    return std::sin(static_cast<double>(i) * 0.37);
}

TEST(Decimator, SingleSpikeAmongOneMillionPointsSurvives) {
    constexpr std::size_t kSpikeIndex = 654'321;
    const SeriesData series = make_series(1'000'000, [](std::size_t i) {
        return i == kSpikeIndex ? 1000.0 : (i == kSpikeIndex + 7 ? -1000.0 : noise(i));
    });
    for (int width_px : {1, 37, 800, 1600}) {
        for (XAxisMode mode :
             {XAxisMode::Step, XAxisMode::Epoch, XAxisMode::WallTime, XAxisMode::Tokens}) {
            const LodWindow window{series.x(mode, 0), series.x(mode, series.size() - 1), width_px};
            const auto out = decimate_series(series, mode, window);
            bool high = false;
            bool low = false;
            for (const LodPoint& point : out) {
                high = high || (point.index == kSpikeIndex && point.y == 1000.0);
                low = low || (point.index == kSpikeIndex + 7 && point.y == -1000.0);
            }
            EXPECT_TRUE(high) << "width " << width_px;
            EXPECT_TRUE(low) << "width " << width_px;
            EXPECT_LE(out.size(), static_cast<std::size_t>(4 * width_px + 2));
        }
    }
}

TEST(Decimator, KeepsFirstMinMaxLastOfEveryColumnInIndexOrder) {
    const SeriesData series = make_series(10'000, noise);
    const LodWindow window{0.0, 9999.0, 100};
    const auto out = decimate_series(series, XAxisMode::Step, window);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.front().index, 0u);
    EXPECT_EQ(out.back().index, 9999u);
    for (std::size_t k = 1; k < out.size(); ++k) {
        EXPECT_LT(out[k - 1].index, out[k].index);
    }
    // Brute force, column by column, with the same column rule.
    const double column_width = 9999.0 / 100;
    for (int column = 0; column < 100; ++column) {
        std::size_t first = 10'000;
        std::size_t last = 0;
        std::size_t min_index = 0;
        std::size_t max_index = 0;
        for (std::size_t i = 0; i < series.size(); ++i) {
            const int c = std::min(99, static_cast<int>(static_cast<double>(i) / column_width));
            if (c != column) {
                continue;
            }
            if (first == 10'000) {
                first = min_index = max_index = i;
            }
            last = i;
            if (series.value(i) < series.value(min_index)) {
                min_index = i;
            }
            if (series.value(i) > series.value(max_index)) {
                max_index = i;
            }
        }
        for (std::size_t wanted : {first, last, min_index, max_index}) {
            bool found = false;
            for (const LodPoint& point : out) {
                found = found || point.index == wanted;
            }
            EXPECT_TRUE(found) << "column " << column << " index " << wanted;
        }
    }
}

TEST(Decimator, ZoomedWindowUsesOnlyPointsInRangePlusOneNeighbourEachSide) {
    const SeriesData series = make_series(1'000, noise);
    const auto out = decimate_series(series, XAxisMode::Step, {100.0, 199.0, 1000});
    ASSERT_EQ(out.size(), 102u);  // more pixels than points: every point, plus the neighbours
    EXPECT_EQ(out.front().index, 99u);
    EXPECT_EQ(out.back().index, 200u);
}

TEST(Decimator, NonFiniteValuesAreNeverExtremesNorOutput) {
    const SeriesData series = make_series(100, [](std::size_t i) {
        if (i == 0) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        if (i == 50) {
            return std::numeric_limits<double>::infinity();
        }
        return i == 51 ? 5.0 : 0.0;
    });
    const auto out = decimate_series(series, XAxisMode::Step, {0.0, 99.0, 1});
    bool spike = false;
    for (const LodPoint& point : out) {
        EXPECT_TRUE(std::isfinite(point.y));
        spike = spike || point.y == 5.0;
    }
    EXPECT_TRUE(spike);
}

TEST(Decimator, EmptyInputsGiveNothing) {
    const SeriesData series;
    EXPECT_TRUE(decimate_series(series, XAxisMode::Step, {0.0, 1.0, 10}).empty());
    const SeriesData one = make_series(1, noise);
    EXPECT_TRUE(decimate_series(one, XAxisMode::Step, {0.0, 1.0, 0}).empty());
    EXPECT_EQ(decimate_series(one, XAxisMode::Step, {0.0, 0.0, 10}).size(), 1u);
}

// A live run: points arrive in batches, the window stays put, and each decimation resumes at
// the last column. Spliced together (drop kept points from the resumed column's x on, append the
// new ones) the result must equal a full decimation of everything, point for point. Repeated x
// values, NaNs, and points past the window's right edge are all in the mix.
TEST(Decimator, ResumingAfterAppendsEqualsAFullDecimation) {
    std::mt19937 random(7);
    std::uniform_real_distribution<double> uniform(-1.0, 1.0);
    for (int width_px : {1, 13, 400}) {
        SeriesData series;
        MinMaxPyramid<double> pyramid;
        std::vector<LodPoint> spliced;
        LodResume resume;
        const LodWindow window{100.0, 2600.0, width_px};
        std::int64_t step = 0;
        int batches = 0;
        while (step < 3000) {
            const int batch = 1 + static_cast<int>(random() % 90);
            for (int k = 0; k < batch; ++k) {
                step += static_cast<std::int64_t>(random() % 3);  // 0: the same x again
                const double value =
                    random() % 97 == 0 ? std::numeric_limits<double>::quiet_NaN() : uniform(random);
                const double d = static_cast<double>(step);
                series.append({step, d / 1000.0, d * 0.5, d * 512.0, value});
            }
            pyramid.extend(series.values());
            auto x_at = [&](std::size_t i) { return series.x(XAxisMode::Step, i); };
            resume_into(spliced, resume, series.size(), x_at, series.values(), window, pyramid);
            const auto full = decimate_series(series, XAxisMode::Step, window, &pyramid);
            ASSERT_EQ(spliced.size(), full.size()) << "width " << width_px << " batch " << batches;
            for (std::size_t i = 0; i < full.size(); ++i) {
                ASSERT_EQ(spliced[i].index, full[i].index)
                    << "width " << width_px << " point " << i;
                ASSERT_EQ(spliced[i].y, full[i].y);
            }
            ++batches;
        }
        EXPECT_GT(batches, 30);
        EXPECT_TRUE(resume.valid);
    }
}

// x on a decimal grid with long runs of equal x, in a window whose column width is not exact in
// binary (0.6 / 6): a boundary can fall on a grid value, where dividing and comparing round
// differently. Equal x must still share a column, or a resumed decimation would splice wrongly.
TEST(Decimator, ResumingIsExactWhenColumnBoundariesFallOnDataValues) {
    std::vector<double> xs;
    ChunkedColumn<double> ys;
    MinMaxPyramid<double> pyramid;
    std::vector<LodPoint> spliced;
    LodResume resume;
    const LodWindow window{0.1, 0.7, 6};
    auto x_at = [&](std::size_t i) { return xs[i]; };
    for (int batch = 0; batch < 60; ++batch) {
        for (int k = 0; k < 3; ++k) {
            xs.push_back(0.1 + 0.1 * static_cast<double>((xs.size()) / 25));  // 25 points per x
            ys.push_back(std::sin(static_cast<double>(xs.size()) * 0.7));
        }
        pyramid.extend(ys);
        resume_into(spliced, resume, xs.size(), x_at, ys, window, pyramid);
        std::vector<LodPoint> full;
        decimate(xs.size(), x_at, ys, window, full, &pyramid);
        ASSERT_EQ(spliced.size(), full.size()) << "batch " << batch;
        for (std::size_t i = 0; i < full.size(); ++i)
            ASSERT_EQ(spliced[i].index, full[i].index) << "batch " << batch << " point " << i;
    }
}

TEST(Decimator, ResumeIsInvalidWhenTheWindowHoldsNoPoint) {
    const SeriesData series = make_series(100, noise);
    LodResume resume{5, true};
    std::vector<LodPoint> out;
    decimate(
        series.size(), [&](std::size_t i) { return series.x(XAxisMode::Step, i); }, series.values(),
        LodWindow{500.0, 600.0, 10}, out, static_cast<const MinMaxPyramid<double>*>(nullptr),
        &resume);
    EXPECT_FALSE(resume.valid);
}

}  // namespace
}  // namespace lathe::ui::dashboard

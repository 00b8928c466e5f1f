#include "ui/dashboard/metric_chart.h"

#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QSignalSpy>
#include <QTest>

#include <cmath>

#include "tests/ui/dashboard/qt_app.h"
#include "ui/dashboard/decimator.h"
#include "ui/dashboard/series_data.h"

namespace lathe::ui::dashboard {
namespace {

std::vector<MetricSample> loss_curve(int count, double scale) {
    std::vector<MetricSample> samples;
    for (int i = 0; i < count; ++i) {
        const double d = i;
        samples.push_back({i * 10, d / count, d * 0.25, d * 4096.0,
                           scale * (2.0 + std::exp(-d / 200.0) + 0.1 * std::sin(d))});
    }
    return samples;
}

class MetricChartTest : public ::testing::Test {
  protected:
    void SetUp() override {
        chart_.resize(800, 500);
        chart_.add_run("run-a", QColor(255, 0, 0));
        chart_.add_run("run-b", QColor(0, 0, 255));
        chart_.append_points("run-a", loss_curve(5000, 1.0));
        chart_.append_points("run-b", loss_curve(3000, 1.5));
        chart_.show();
        ASSERT_TRUE(QTest::qWaitForWindowExposed(&chart_));
        chart_.plot()->replot(QCustomPlot::rpImmediateRefresh);
    }

    // Declared first so the QApplication exists before the widget is constructed.
    QApplication& app_ = test::qt_app();
    MetricChart chart_{"loss"};
};

int count_pixels_near(const QImage& image, const QRect& rect, const QColor& colour) {
    int count = 0;
    for (int y = rect.top(); y <= rect.bottom(); ++y) {
        for (int x = rect.left(); x <= rect.right(); ++x) {
            const QColor pixel = image.pixelColor(x, y);
            if (std::abs(pixel.red() - colour.red()) < 40 &&
                std::abs(pixel.green() - colour.green()) < 40 &&
                std::abs(pixel.blue() - colour.blue()) < 40) {
                ++count;
            }
        }
    }
    return count;
}

TEST_F(MetricChartTest, TwoRunsRenderInTheirColoursInsideTheAxisRect) {
    const QImage image = chart_.grab().toImage();
    ASSERT_FALSE(image.isNull());
    const QRect rect =
        chart_.plot()->axisRect()->rect().translated(chart_.plot()->mapTo(&chart_, QPoint()));
    const QColor background = image.pixelColor(rect.center().x(), rect.top() + 1);
    int differing = 0;
    for (int y = rect.top(); y <= rect.bottom(); y += 2) {
        for (int x = rect.left(); x <= rect.right(); x += 2) {
            differing += image.pixelColor(x, y) != background ? 1 : 0;
        }
    }
    EXPECT_GT(differing, 100);
    EXPECT_GT(count_pixels_near(image, rect, QColor(255, 0, 0)), 50);
    EXPECT_GT(count_pixels_near(image, rect, QColor(0, 0, 255)), 50);
    EXPECT_EQ(chart_.plot()->legend->itemCount(), 2);
}

TEST_F(MetricChartTest, HandsQCustomPlotOnlyTheDecimatedPoints) {
    const int width_px = chart_.plot()->axisRect()->width();
    // 2 runs x (raw + smoothed), at most 4 points per column plus 2 neighbours each.
    EXPECT_LE(chart_.plotted_point_count(), static_cast<std::size_t>(4 * (4 * width_px + 2)));
    EXPECT_GT(chart_.plotted_point_count(), 0u);
    EXPECT_EQ(chart_.stored_point_count(), 8000u);
}

TEST_F(MetricChartTest, CheckpointClickEmitsRunAndStep) {
    chart_.add_checkpoint("run-b", 15000);
    chart_.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QSignalSpy spy(&chart_, &MetricChart::checkpointClicked);
    const QPoint at = chart_.checkpoint_pixel(0);
    QTest::mouseClick(chart_.plot(), Qt::LeftButton, Qt::NoModifier,
                      chart_.plot()->mapFrom(&chart_, at));
    ASSERT_EQ(spy.count(), 1);
    EXPECT_EQ(spy.at(0).at(0).toString(), QString("run-b"));
    EXPECT_EQ(spy.at(0).at(1).toLongLong(), 15000);

    // A click well away from the marker does nothing.
    QTest::mouseClick(chart_.plot(), Qt::LeftButton, Qt::NoModifier,
                      chart_.plot()->mapFrom(&chart_, at + QPoint(40, 0)));
    EXPECT_EQ(spy.count(), 1);
}

TEST_F(MetricChartTest, LogYToggleChangesTheScaleType) {
    EXPECT_EQ(chart_.plot()->yAxis->scaleType(), QCPAxis::stLinear);
    chart_.set_log_y(true);
    EXPECT_EQ(chart_.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    EXPECT_GT(chart_.plot()->yAxis->range().lower, 0.0);
    chart_.set_log_y(false);
    EXPECT_EQ(chart_.plot()->yAxis->scaleType(), QCPAxis::stLinear);
}

TEST_F(MetricChartTest, HoverShowsExactValuesOfEveryRun) {
    chart_.show_hover_at(12345.0);  // step axis: nearest logged step is 12350 (run-a, run-b)
    const auto values = chart_.hover_at(12345.0);
    ASSERT_EQ(values.size(), 2u);
    EXPECT_EQ(values[0].step, 12340);
    EXPECT_EQ(values[0].value, loss_curve(5000, 1.0)[1234].value);
    EXPECT_EQ(values[1].value, loss_curve(3000, 1.5)[1234].value);
    EXPECT_TRUE(chart_.hover_text().contains("run-b"));
}

TEST_F(MetricChartTest, XModeSwitchRescalesTheAxis) {
    chart_.set_x_mode(XAxisMode::Tokens);
    chart_.plot()->replot(QCustomPlot::rpImmediateRefresh);
    EXPECT_DOUBLE_EQ(chart_.plot()->xAxis->range().upper, 4999.0 * 4096.0);
    EXPECT_EQ(chart_.plot()->xAxis->label(), QString("tokens seen"));
}

TEST_F(MetricChartTest, SmoothingOffHidesTheSmoothedCurve) {
    chart_.set_smoothing(0.0);
    chart_.plot()->replot(QCustomPlot::rpImmediateRefresh);
    EXPECT_EQ(chart_.plot()->graph(1)->data()->size(), 0);
    chart_.set_smoothing(0.9);
    chart_.plot()->replot(QCustomPlot::rpImmediateRefresh);
    EXPECT_GT(chart_.plot()->graph(1)->data()->size(), 0);
}

TEST_F(MetricChartTest, ConsumesThrottleBatchesForItsMetricOnly) {
    std::vector<LivePoint> batch;
    batch.push_back({"run-c", "loss", {0, 0.0, 0.0, 0.0, 3.0}});
    batch.push_back({"run-c", "accuracy", {0, 0.0, 0.0, 0.0, 0.5}});
    chart_.consume(batch);
    EXPECT_EQ(chart_.run_count(), 3u);
    EXPECT_EQ(chart_.stored_point_count(), 8001u);
}

// A live run's flushes: the x range grows in steps ahead of the data, so most replots resume the
// decimation at each curve's last column; what QCustomPlot draws must still be exactly what a
// chart given all the points at once draws over the same range.
TEST(MetricChartFollowing, LiveAppendsRedecimateOnlyTheTailAndDrawTheSameCurves) {
    test::qt_app();
    const std::vector<MetricSample> all = loss_curve(6000, 1.0);
    MetricChart live("loss");
    live.resize(800, 500);
    live.add_run("run-a", QColor(255, 0, 0));
    live.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&live));
    live.append_points("run-a", {all.begin(), all.begin() + 2000});
    live.plot()->replot(QCustomPlot::rpImmediateRefresh);
    // Loaded in one go (a finished run, or a live one's history): fitted exactly.
    EXPECT_DOUBLE_EQ(live.plot()->xAxis->range().upper, 19990.0);

    const std::size_t full_before = live.full_decimation_count();
    const std::size_t incremental_before = live.incremental_decimation_count();
    for (std::size_t at = 2000; at < all.size(); at += 50) {
        live.append_points("run-a", {all.begin() + static_cast<long>(at),
                                     all.begin() + static_cast<long>(at + 50)});
        live.plot()->replot(QCustomPlot::rpImmediateRefresh);
        // Every point stays in view.
        EXPECT_GE(live.plot()->xAxis->range().upper, static_cast<double>(all[at + 49].step));
    }
    const std::size_t flushes = (all.size() - 2000) / 50;
    const std::size_t full = live.full_decimation_count() - full_before;
    // 20,000 -> 60,000 steps in 10 % steps of the span: ~12 regrowths, the rest resumed.
    EXPECT_LE(full, 15u);
    EXPECT_EQ(live.incremental_decimation_count() - incremental_before, flushes - full);
    EXPECT_LT(live.plot()->xAxis->range().upper, 59990.0 * 1.11);

    MetricChart whole("loss");
    whole.resize(800, 500);
    whole.add_run("run-a", QColor(255, 0, 0));
    whole.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&whole));
    whole.append_points("run-a", all);
    whole.plot()->xAxis->setRange(live.plot()->xAxis->range());
    whole.plot()->replot(QCustomPlot::rpImmediateRefresh);
    ASSERT_EQ(whole.plot()->axisRect()->width(), live.plot()->axisRect()->width());
    for (int graph = 0; graph < 2; ++graph) {
        const auto& expected = *whole.plot()->graph(graph)->data();
        const auto& actual = *live.plot()->graph(graph)->data();
        ASSERT_EQ(actual.size(), expected.size()) << "graph " << graph;
        for (int i = 0; i < expected.size(); ++i) {
            ASSERT_EQ(actual.at(i)->key, expected.at(i)->key) << "graph " << graph << " at " << i;
            ASSERT_EQ(actual.at(i)->value, expected.at(i)->value);
        }
    }
}

// Above 200k stored points a full decimation runs one thread per run: each run's curves must be
// exactly what decimating that run alone gives.
TEST(MetricChartFollowing, ParallelDecimationOfManyRunsEqualsEachRunDecimatedAlone) {
    test::qt_app();
    MetricChart chart("loss");
    chart.resize(800, 500);
    chart.set_smoothing(0.0);  // raw curves only: compared with decimate() of the raw values
    std::vector<SeriesData> series(3);
    for (int run = 0; run < 3; ++run) {
        const auto samples = loss_curve(100000, 1.0 + run);
        chart.append_points(QString("run-%1").arg(run), samples);
        series[static_cast<std::size_t>(run)].append(samples);
    }
    chart.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->xAxis->setRange(1234.0, 765432.0);
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
    const LodWindow window{1234.0, 765432.0, chart.plot()->axisRect()->width()};
    for (int run = 0; run < 3; ++run) {
        const SeriesData& data = series[static_cast<std::size_t>(run)];
        std::vector<LodPoint> expected;
        decimate(
            data.size(), [&](std::size_t i) { return data.x(XAxisMode::Step, i); }, data.values(),
            window, expected);
        const auto& actual = *chart.plot()->graph(2 * run)->data();  // raw graph of the run
        ASSERT_EQ(static_cast<std::size_t>(actual.size()), expected.size()) << "run " << run;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            ASSERT_EQ(actual.at(static_cast<int>(i))->key, expected[i].x) << "run " << run;
            ASSERT_EQ(actual.at(static_cast<int>(i))->value, expected[i].y) << "run " << run;
        }
    }
}

// A longer finished run added for comparison is fitted exactly; only small growth past the edge
// (live points) gets headroom.
TEST(MetricChartFollowing, ALongerRunAddedForComparisonIsFittedExactly) {
    test::qt_app();
    MetricChart chart("loss");
    chart.resize(800, 500);
    chart.append_points("run-a", loss_curve(1000, 1.0));  // steps 0 .. 9990
    EXPECT_DOUBLE_EQ(chart.plot()->xAxis->range().upper, 9990.0);
    chart.append_points("run-b", loss_curve(5000, 1.2));  // steps 0 .. 49990
    EXPECT_DOUBLE_EQ(chart.plot()->xAxis->range().upper, 49990.0);
    const auto more = loss_curve(5010, 1.2);
    chart.append_points("run-b", {more.begin() + 5000, more.end()});  // live: 10 more steps
    EXPECT_GT(chart.plot()->xAxis->range().upper, 50090.0);
    EXPECT_LE(chart.plot()->xAxis->range().upper, 50090.0 * 1.1);
}

}  // namespace
}  // namespace lathe::ui::dashboard

// The live dashboard's chart layer at scale: 10 runs x 1,000,000 points on a 1600x900 offscreen
// chart. Prints full replot time against QCustomPlot's own replot of the same raw data (adaptive
// sampling on, its default), bytes per stored point, and the longest gap of a 10 ms UI timer
// while a producer thread streams 2,000 points/s through ReplotThrottle.
//
//   QT_QPA_PLATFORM=offscreen build-dash/bench/bench_ui_dashboard
#include <qcustomplot.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

#include "ui/dashboard/decimator.h"
#include "ui/dashboard/metric_chart.h"
#include "ui/dashboard/replot_throttle.h"

using namespace lathe::ui::dashboard;

namespace {

constexpr int kRuns = 10;
constexpr int kPointsPerRun = 1'000'000;
constexpr int kWidthPx = 1600;
constexpr int kHeightPx = 900;
constexpr int kReplots = 15;

MetricSample sample_at(int run, int i) {
    const double d = i;
    double value = 2.0 + run * 0.1 + std::exp(-d / 1e5) + 0.05 * std::sin(d * 0.37 + run);
    if (i % 250'000 == 1234) {
        value += 3.0;  // a loss spike that must stay visible
    }
    return {i, d / kPointsPerRun * 3.0, d * 0.05, d * 2048.0, value};
}

struct Timing {
    double median_ms = 0.0;
    double max_ms = 0.0;
    double decimation_median_ms = 0.0;  // of which decimating, when the plot is a MetricChart's
};

// Replots with a slightly different x range each time so nothing is served from a cache: every
// iteration pays the range lookup, the decimation (if any) and the drawing.
Timing time_replots(QCustomPlot* plot, double x_min, double x_max,
                    const MetricChart* chart = nullptr) {
    std::vector<double> times_ms;
    std::vector<double> decimation_ms;
    for (int k = 0; k < kReplots; ++k) {
        plot->xAxis->setRange(x_min - k, x_max + k);
        QElapsedTimer clock;
        clock.start();
        plot->replot(QCustomPlot::rpImmediateRefresh);
        times_ms.push_back(static_cast<double>(clock.nsecsElapsed()) / 1e6);
        decimation_ms.push_back(chart != nullptr ? chart->last_decimation_ms() : 0.0);
    }
    std::sort(times_ms.begin(), times_ms.end());
    std::sort(decimation_ms.begin(), decimation_ms.end());
    return {times_ms[times_ms.size() / 2], times_ms.back(), decimation_ms[times_ms.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    std::printf("bench_ui_dashboard: %d runs x %d points, %dx%d widget, platform %s\n", kRuns,
                kPointsPerRun, kWidthPx, kHeightPx, qPrintable(QGuiApplication::platformName()));

    // --- Reference: QCustomPlot alone, raw points, adaptive sampling ------------------------
    double reference_ms = 0.0;
    {
        QCustomPlot reference;
        reference.resize(kWidthPx, kHeightPx);
        for (int run = 0; run < kRuns; ++run) {
            QVector<QCPGraphData> data;
            data.reserve(kPointsPerRun);
            for (int i = 0; i < kPointsPerRun; ++i) {
                const MetricSample s = sample_at(run, i);
                data.push_back(QCPGraphData(static_cast<double>(s.step), s.value));
            }
            QCPGraph* graph = reference.addGraph();
            graph->data()->set(data, true);
            graph->setAdaptiveSampling(true);
        }
        reference.show();
        reference.yAxis->setRange(1.5, 6.5);
        reference.replot(QCustomPlot::rpImmediateRefresh);
        const Timing timing = time_replots(&reference, 0, kPointsPerRun - 1);
        reference_ms = timing.median_ms;
        std::printf(
            "reference QCustomPlot replot (10 raw graphs, adaptive sampling): median "
            "%.1f ms, max %.1f ms\n",
            timing.median_ms, timing.max_ms);
    }

    // --- Decimator alone: one curve of 1M points to 1600 columns ----------------------------
    {
        SeriesData series;
        for (int i = 0; i < kPointsPerRun; ++i) {
            series.append(sample_at(0, i));
        }
        MinMaxPyramid<double> pyramid;
        pyramid.extend(series.values());
        std::vector<LodPoint> out;
        auto x_at = [&series](std::size_t i) { return series.x(XAxisMode::Step, i); };
        for (const MinMaxPyramid<double>* with :
             {&pyramid, static_cast<decltype(&pyramid)>(nullptr)}) {
            QElapsedTimer clock;
            clock.start();
            constexpr int kRepeats = 20;
            for (int k = 0; k < kRepeats; ++k) {
                decimate(series.size(), x_at, series.values(),
                         {-1.0 * k, kPointsPerRun - 1.0, kWidthPx}, out, with);
            }
            std::printf("decimate 1M points to %d columns (%s): %.2f ms, %zu points out\n",
                        kWidthPx, with != nullptr ? "pyramid" : "full scan",
                        static_cast<double>(clock.nsecsElapsed()) / 1e6 / kRepeats, out.size());
        }
    }

    // --- MetricChart: decimated raw + smoothed curves per run ------------------------------
    MetricChart chart("loss");
    chart.resize(kWidthPx, kHeightPx);
    QElapsedTimer load_clock;
    load_clock.start();
    std::vector<MetricSample> samples;
    samples.reserve(kPointsPerRun);
    for (int run = 0; run < kRuns; ++run) {
        samples.clear();
        for (int i = 0; i < kPointsPerRun; ++i) {
            samples.push_back(sample_at(run, i));
        }
        chart.append_points(QString("run-%1").arg(run), samples);
    }
    const double load_ms = static_cast<double>(load_clock.nsecsElapsed()) / 1e6;
    chart.show();
    QElapsedTimer first_clock;
    first_clock.start();
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);  // includes EMA over all 10M points
    const double first_ms = static_cast<double>(first_clock.nsecsElapsed()) / 1e6;
    const Timing timing = time_replots(chart.plot(), 0, kPointsPerRun - 1, &chart);
    QElapsedTimer draw_clock;
    draw_clock.start();
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);  // same range: LOD is reused
    std::printf("replot with the LOD reused (drawing only): %.1f ms\n",
                static_cast<double>(draw_clock.nsecsElapsed()) / 1e6);
    std::printf("load 10M points: %.0f ms; first replot incl. EMA of all points: %.1f ms\n",
                load_ms, first_ms);
    std::printf(
        "MetricChart full replot (10 runs, raw + smoothed, decimated): median %.1f ms "
        "(decimating %.1f ms on %u threads), max %.1f ms (target <= 50 ms); %zu points drawn; "
        "ratio to reference %.2fx\n",
        timing.median_ms, timing.decimation_median_ms,
        std::min(8u, std::max(1u, std::thread::hardware_concurrency())), timing.max_ms,
        chart.plotted_point_count(), reference_ms / timing.median_ms);

    const Timing zoomed = time_replots(chart.plot(), 400'000, 410'000);
    std::printf("MetricChart replot zoomed to 1%% of x: median %.1f ms\n", zoomed.median_ms);

    const std::size_t points = chart.stored_point_count();
    std::printf(
        "bytes per stored point (all runs, data + EMA + drawn LOD): %.2f (target <= 40); "
        "QCustomPlot alone holds 16 B/pt without epoch/time/tokens/EMA\n",
        static_cast<double>(chart.memory_bytes()) / static_cast<double>(points));

    // --- Live streaming: longest gap of a 10 ms UI timer ----------------------------------
    // The streaming starts from a view that follows the data, as a live run's dashboard does;
    // the refit from the zoomed view above is a user action and not part of the measurement.
    chart.reset_view();
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QCoreApplication::processEvents();
    const std::size_t full_before = chart.full_decimation_count();
    const std::size_t incremental_before = chart.incremental_decimation_count();
    // Where a gap goes: the sink (append into the series) and each replot are timed apart.
    qint64 longest_sink_ns = 0;
    qint64 longest_replot_ns = 0;
    QElapsedTimer replot_clock;
    QObject::connect(chart.plot(), &QCustomPlot::beforeReplot, [&] { replot_clock.start(); });
    QObject::connect(chart.plot(), &QCustomPlot::afterReplot, [&] {
        longest_replot_ns = std::max(longest_replot_ns, replot_clock.nsecsElapsed());
    });
    ReplotThrottle throttle([&](std::vector<LivePoint>&& batch) {
        QElapsedTimer sink_clock;
        sink_clock.start();
        chart.consume(batch);
        longest_sink_ns = std::max(longest_sink_ns, sink_clock.nsecsElapsed());
    });
    std::atomic<bool> stop{false};
    std::atomic<int> appended{0};
    std::thread producer([&] {
        // 2,000 points/s as 20 points every 10 ms, round-robin over the runs.
        int next_step = kPointsPerRun;
        while (!stop) {
            std::vector<LivePoint> burst;
            for (int k = 0; k < 20; ++k) {
                const int run = k % kRuns;
                burst.push_back({"run-" + std::to_string(run), "loss", sample_at(run, next_step)});
                if (run == kRuns - 1) {
                    ++next_step;
                }
            }
            throttle.append(std::move(burst));
            appended += 20;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    QElapsedTimer gap_clock;
    gap_clock.start();
    qint64 last_tick_ns = gap_clock.nsecsElapsed();
    qint64 longest_gap_ns = 0;
    std::vector<std::pair<qint64, qint64>> gaps;  // (gap, when), for where the worst ones fall
    int ticks = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now_ns = gap_clock.nsecsElapsed();
        longest_gap_ns = std::max(longest_gap_ns, now_ns - last_tick_ns);
        gaps.emplace_back(now_ns - last_tick_ns, now_ns);
        last_tick_ns = now_ns;
        ++ticks;
        if (now_ns > 3'000'000'000LL) {
            app.quit();
        }
    });
    tick.start(10);
    app.exec();
    stop = true;
    producer.join();
    std::printf(
        "streaming 2,000 points/s for %.1f s: %d appended, %zu replots (throttle %d ms), "
        "%d ticks of a 10 ms timer, longest gap %.1f ms (target < 50 ms)\n",
        static_cast<double>(gap_clock.elapsed()) / 1000.0, appended.load(), throttle.flush_count(),
        throttle.interval_ms(), ticks, static_cast<double>(longest_gap_ns) / 1e6);
    std::sort(gaps.rbegin(), gaps.rend());
    std::printf("  longest gaps:");
    for (std::size_t i = 0; i < std::min<std::size_t>(5, gaps.size()); ++i) {
        std::printf(" %.1f ms at %.2f s;", static_cast<double>(gaps[i].first) / 1e6,
                    static_cast<double>(gaps[i].second) / 1e9);
    }
    std::printf("\n");
    std::printf(
        "  of which: longest sink (append batch) %.2f ms, longest replot %.1f ms; decimations: "
        "%zu full (x grew past its headroom), %zu resumed at each curve's last column\n",
        static_cast<double>(longest_sink_ns) / 1e6, static_cast<double>(longest_replot_ns) / 1e6,
        chart.full_decimation_count() - full_before,
        chart.incremental_decimation_count() - incremental_before);
    return 0;
}

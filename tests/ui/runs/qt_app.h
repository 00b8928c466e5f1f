#pragma once

#include <chrono>
#include <functional>

#include <QApplication>
#include <QTest>

namespace lathe::tests {

// gtest_main owns main(), so the QApplication every widget needs is made on first use and
// never destroyed (QT_QPA_PLATFORM=offscreen is set by the test runner): a function-local
// static QApplication crashes in its destructor at exit once widgets have received input
// devices, as the hosts tests' dialogs do.
inline QApplication& qt_app() {
    static int argc = 1;
    static char name[] = "lathe_ui_test";
    static char* argv[] = {name, nullptr};
    static QApplication* app = new QApplication(argc, argv);
    return *app;
}

// Processes events until `done` holds or `timeout_ms` passes; the worker thread's queued
// signals arrive in between.
inline bool wait_until(const std::function<bool()>& done, int timeout_ms = 10000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        QTest::qWait(10);
    }
    return true;
}

}  // namespace lathe::tests

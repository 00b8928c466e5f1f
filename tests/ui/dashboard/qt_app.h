#pragma once

#include <QApplication>

namespace lathe::ui::dashboard::test {

// Widgets need one QApplication per process; gtest_main owns main(), so the tests create it on
// first use. Run with QT_QPA_PLATFORM=offscreen (ctest sets it).
inline QApplication& qt_app() {
    static int argc = 1;
    static char name[] = "test_ui_dashboard";
    static char* argv[] = {name, nullptr};
    // Never destroyed: a static QApplication is torn down by exit handlers after Qt's own globals
    // (the QPointingDevice QTest's mouse events create), which crashed at exit.
    static QApplication* app = new QApplication(argc, argv);
    return *app;
}

}  // namespace lathe::ui::dashboard::test

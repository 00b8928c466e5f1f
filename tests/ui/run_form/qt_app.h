#pragma once

#include <QApplication>

namespace lathe::ui::run_form::tests {

// One QApplication for the whole test binary (gtest_main owns main). Widgets need it first.
inline QApplication& qt_app() {
    static int argc = 1;
    static char name[] = "test_ui_run_form";
    static char* argv[] = {name, nullptr};
    static QApplication app(argc, argv);
    return app;
}

}  // namespace lathe::ui::run_form::tests

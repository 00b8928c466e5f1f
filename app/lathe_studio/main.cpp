// lathe-studio: the studio window (`lathe` with no arguments starts it). Every run it starts is a
// detached lathe-train process: closing or crashing the window leaves them training.
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include "ui/runs/runs_view.h"
#include "ui/studio/main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Lathe"));
    QApplication::setApplicationName(QStringLiteral("Lathe"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Lathe: the training studio"));
    parser.addHelpOption();
    QCommandLineOption registry(QStringLiteral("registry"),
                                QStringLiteral("Registry file (default: as the lathe CLI)"),
                                QStringLiteral("file"));
    QCommandLineOption runs_dir(QStringLiteral("runs-dir"),
                                QStringLiteral("Where new run directories go"),
                                QStringLiteral("dir"));
    QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral("Save the window to this PNG after --screenshot-delay-ms, then quit"),
        QStringLiteral("png"));
    QCommandLineOption delay(QStringLiteral("screenshot-delay-ms"),
                             QStringLiteral("Delay before the screenshot"), QStringLiteral("ms"),
                             QStringLiteral("3000"));
    QCommandLineOption select(QStringLiteral("select"),
                              QStringLiteral("Select this run id at start"), QStringLiteral("id"));
    parser.addOptions({registry, runs_dir, screenshot, delay, select});
    parser.process(app);

    lathe::core::run_manager::LathePaths paths;
    paths.registry_path = parser.value(registry).toStdString();
    paths.runs_root = parser.value(runs_dir).toStdString();
    lathe::ui::studio::MainWindow window(paths);
    window.show();
    if (parser.isSet(select)) {
        const QString id = parser.value(select);
        QTimer::singleShot(1500, &window, [&window, id] { window.runs_view()->selectRun(id); });
    }
    if (parser.isSet(screenshot)) {
        const QString path = parser.value(screenshot);
        QTimer::singleShot(parser.value(delay).toInt(), &window, [&window, path] {
            window.grab().save(path);
            window.close();
        });
    }
    return QApplication::exec();
}

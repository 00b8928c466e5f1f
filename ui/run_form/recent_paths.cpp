#include "ui/run_form/recent_paths.h"

#include <QFileInfo>
#include <QSettings>

namespace lathe::ui::run_form {

namespace {

const QString kRecentPresets = QStringLiteral("presets/recent");

QString folder_key(const QString& kind) {
    return QStringLiteral("folders/") + kind;
}

}  // namespace

QString last_folder(const QString& kind) {
    return QSettings().value(folder_key(kind)).toString();
}

void remember_folder(const QString& kind, const QString& path) {
    if (path.isEmpty())
        return;
    const QFileInfo info(path);
    QSettings().setValue(folder_key(kind),
                         info.isDir() ? info.absoluteFilePath() : info.absolutePath());
}

QStringList recent_presets() {
    QStringList kept;
    for (const QString& path : QSettings().value(kRecentPresets).toStringList()) {
        if (QFileInfo(path).isFile() && !kept.contains(path))
            kept << path;
    }
    return kept.mid(0, kMaxRecentPresets);
}

void remember_preset(const QString& path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList recent = recent_presets();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    QSettings().setValue(kRecentPresets, recent.mid(0, kMaxRecentPresets));
    remember_folder(QStringLiteral("presets"), absolute);
}

}  // namespace lathe::ui::run_form

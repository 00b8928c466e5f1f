#pragma once

#include <QString>
#include <QStringList>

namespace lathe::ui::run_form {

// Where the file dialogs of the New Run form start, and the presets used lately, kept in
// QSettings so that they survive the window ("folders/<kind>", "presets/recent").

// The folder last chosen for `kind` (model, data, tokenizer, presets); "" when none.
QString last_folder(const QString& kind);
// Remembers the folder of `path` (the path itself when it is a folder).
void remember_folder(const QString& kind, const QString& path);

// Most recent first, at most kMaxRecentPresets, only files that still exist.
constexpr int kMaxRecentPresets = 8;
QStringList recent_presets();
void remember_preset(const QString& path);

}  // namespace lathe::ui::run_form

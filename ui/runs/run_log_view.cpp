#include "ui/runs/run_log_view.h"

#include <QFontDatabase>
#include <QScrollBar>
#include <QTextCursor>

#include "ui/runs/registry_watcher.h"

namespace lathe::ui::runs {

RunLogView::RunLogView(QWidget* parent) : QPlainTextEdit(parent) {
    register_snapshot_types();
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    // A long run logs for days; the file keeps everything, the view the recent part.
    setMaximumBlockCount(10000);
}

void RunLogView::attach(RegistryWatcher* watcher) {
    connect(this, &RunLogView::runChanged, watcher, &RegistryWatcher::followLog);
    connect(watcher, &RegistryWatcher::logAppended, this, &RunLogView::appendChunk);
}

void RunLogView::setRunId(const QString& run_id) {
    if (run_id == run_id_)
        return;
    run_id_ = run_id;
    clear();
    emit runChanged(run_id);
}

void RunLogView::setSelectedRuns(const QStringList& ids) {
    setRunId(ids.size() == 1 ? ids.first() : QString());
}

void RunLogView::appendChunk(const LogChunk& chunk) {
    if (chunk.run_id != run_id_)
        return;
    if (chunk.reset) {
        clear();
        return;
    }
    // Follow the end only when the user has not scrolled up to read something.
    QScrollBar* bar = verticalScrollBar();
    const bool at_end = bar->value() >= bar->maximum() - 2;
    QTextCursor cursor(document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(chunk.text);
    if (at_end)
        bar->setValue(bar->maximum());
}

}  // namespace lathe::ui::runs

#include "ui/runs/checkpoint_browser.h"

#include <QAction>
#include <QClipboard>
#include <QDesktopServices>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include "ui/runs/checkpoints_model.h"
#include "ui/runs/registry_watcher.h"

namespace lathe::ui::runs {

CheckpointBrowser::CheckpointBrowser(QWidget* parent)
    : QWidget(parent),
      model_(new CheckpointsModel(this)),
      table_(new QTableView(this)),
      message_(new QLabel(this)),
      resume_(new QAction(tr("Resume from here"), this)),
      fork_(new QAction(tr("Fork with edits…"), this)),
      export_(new QAction(tr("Export…"), this)),
      delete_(new QAction(tr("Delete…"), this)),
      open_folder_(new QAction(tr("Open folder"), this)),
      copy_path_(new QAction(tr("Copy path"), this)) {
    register_snapshot_types();
    resume_->setToolTip(tr("A new run that continues exactly from this checkpoint"));
    fork_->setToolTip(tr("A new run from this checkpoint with changed arguments"));
    export_->setToolTip(
        tr("Copy it out: as a Hugging Face model folder, or whole to resume elsewhere"));
    delete_->setToolTip(tr("Delete the checkpoint folder; the registry keeps its metrics"));

    table_->setModel(model_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    message_->hide();

    auto* buttons = new QHBoxLayout;
    for (QAction* action : {resume_, fork_, export_, delete_, open_folder_, copy_path_}) {
        auto* button = new QToolButton(this);
        button->setDefaultAction(action);
        buttons->addWidget(button);
    }
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(table_, 1);
    layout->addLayout(buttons);
    layout->addWidget(message_);

    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &CheckpointBrowser::updateActions);
    connect(model_, &QAbstractItemModel::modelReset, this, &CheckpointBrowser::updateActions);
    connect(model_, &QAbstractItemModel::dataChanged, this, &CheckpointBrowser::updateActions);
    connect(table_, &QWidget::customContextMenuRequested, this,
            &CheckpointBrowser::showContextMenu);

    connect(resume_, &QAction::triggered, this, [this] {
        const int row = currentRow();
        if (row < 0)
            return;
        message_->setText(tr("Starting a run from step %1…").arg(model_->checkpoint(row).step));
        message_->show();
        emit resumeRequested(run_id_, model_->checkpoint(row).step);
    });
    connect(fork_, &QAction::triggered, this, [this] {
        const int row = currentRow();
        if (row >= 0)
            emit forkRequested(run_id_, model_->checkpoint(row).step);
    });
    connect(export_, &QAction::triggered, this, [this] {
        const int row = currentRow();
        if (row >= 0 && model_->checkpoint(row).present)
            emit exportRequested(run_id_, model_->checkpoint(row).path);
    });
    connect(delete_, &QAction::triggered, this, &CheckpointBrowser::deleteCurrent);
    connect(open_folder_, &QAction::triggered, this, [this] {
        const int row = currentRow();
        if (row >= 0)
            QDesktopServices::openUrl(QUrl::fromLocalFile(model_->checkpoint(row).path));
    });
    connect(copy_path_, &QAction::triggered, this, [this] {
        const int row = currentRow();
        if (row >= 0)
            QGuiApplication::clipboard()->setText(model_->checkpoint(row).path);
    });

    confirm_delete_ = [this](const QString& path) {
        QMessageBox box(QMessageBox::Warning, tr("Delete checkpoint"),
                        tr("Delete %1?\n\nThe folder is removed from disk; its metrics stay in "
                           "the registry. This cannot be undone.")
                            .arg(path),
                        QMessageBox::Cancel, this);
        QPushButton* remove = box.addButton(tr("Delete"), QMessageBox::DestructiveRole);
        box.setDefaultButton(QMessageBox::Cancel);
        box.exec();
        return box.clickedButton() == remove;
    };
    updateActions();
}

void CheckpointBrowser::attach(RegistryWatcher* watcher) {
    connect(this, &CheckpointBrowser::runChanged, watcher, &RegistryWatcher::watchCheckpoints);
    connect(this, &CheckpointBrowser::resumeRequested, watcher, &RegistryWatcher::requestResume);
    connect(this, &CheckpointBrowser::deleteRequested, watcher,
            &RegistryWatcher::requestDeleteCheckpoint);
    connect(watcher, &RegistryWatcher::checkpointsUpdated, this, &CheckpointBrowser::setSnapshot);
    connect(watcher, &RegistryWatcher::actionFinished, this, &CheckpointBrowser::showActionResult);
}

int CheckpointBrowser::currentRow() const {
    const auto rows = table_->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : rows.first().row();
}

void CheckpointBrowser::selectStep(qint64 step) {
    for (int row = 0; row < model_->rowCount(); ++row) {
        if (model_->checkpoint(row).step == step) {
            table_->selectionModel()->select(
                model_->index(row, 0),
                QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
            return;
        }
    }
}

void CheckpointBrowser::setRunId(const QString& run_id) {
    if (run_id == run_id_)
        return;
    run_id_ = run_id;
    message_->hide();
    // Clear at once: the previous run's checkpoints must not be acted on while the worker
    // fetches this one's.
    model_->setSnapshot(CheckpointsSnapshot{run_id, {}, {}});
    emit runChanged(run_id);
}

void CheckpointBrowser::setSelectedRuns(const QStringList& ids) {
    setRunId(ids.size() == 1 ? ids.first() : QString());
}

void CheckpointBrowser::setSnapshot(const CheckpointsSnapshot& snapshot) {
    if (snapshot.run_id != run_id_)
        return;  // an answer for a run that is no longer shown
    model_->setSnapshot(snapshot);
    if (!snapshot.error.isEmpty()) {
        message_->setText(snapshot.error);
        message_->show();
    }
    updateActions();
}

void CheckpointBrowser::showActionResult(const ActionResult& result) {
    if (result.run_id != run_id_)
        return;
    if (result.action == QLatin1String("resume")) {
        if (result.ok) {
            QString text = tr("Started run %1").arg(result.new_run_id);
            if (!result.message.isEmpty())
                text += QStringLiteral("\n") + result.message;
            message_->setText(text);
            emit runCreated(result.new_run_id);
        } else {
            message_->setText(tr("Could not resume: %1").arg(result.message));
        }
    } else if (result.action == QLatin1String("delete_checkpoint")) {
        message_->setText(result.ok ? tr("Deleted %1").arg(result.message)
                                    : tr("Could not delete: %1").arg(result.message));
    } else {
        return;
    }
    message_->show();
}

void CheckpointBrowser::updateActions() {
    const int row = currentRow();
    const bool any = row >= 0;
    const bool present = any && model_->checkpoint(row).present;
    resume_->setEnabled(present);
    fork_->setEnabled(present);
    export_->setEnabled(present);
    delete_->setEnabled(present);
    open_folder_->setEnabled(present);
    copy_path_->setEnabled(any);
}

void CheckpointBrowser::showContextMenu(const QPoint& pos) {
    if (currentRow() < 0)
        return;
    QMenu menu(this);
    menu.addActions({resume_, fork_, export_});
    menu.addSeparator();
    menu.addActions({open_folder_, copy_path_});
    menu.addSeparator();
    menu.addAction(delete_);
    menu.exec(table_->viewport()->mapToGlobal(pos));
}

void CheckpointBrowser::deleteCurrent() {
    const int row = currentRow();
    if (row < 0 || !model_->checkpoint(row).present)
        return;
    const QString path = model_->checkpoint(row).path;
    if (confirm_delete_ && !confirm_delete_(path))
        return;
    emit deleteRequested(run_id_, path);
}

}  // namespace lathe::ui::runs

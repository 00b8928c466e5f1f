#include "ui/runs/checkpoint_export_dialog.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QThread>
#include <QVBoxLayout>

namespace lathe::ui::runs {

namespace {

constexpr const char* kFolderSetting = "export/last_folder";

}  // namespace

CheckpointExportDialog::CheckpointExportDialog(core::run_manager::LathePaths paths,
                                               remote::ssh::Prompts prompts, QString run_id,
                                               QString checkpoint_path, QWidget* parent)
    : QDialog(parent),
      paths_(std::move(paths)),
      prompts_(std::move(prompts)),
      run_id_(std::move(run_id)),
      checkpoint_path_(std::move(checkpoint_path)) {
    setWindowTitle(tr("Export %1").arg(QFileInfo(checkpoint_path_).fileName()));
    setObjectName(QStringLiteral("checkpoint-export-dialog"));

    auto* source = new QLabel(tr("Run %1: %2").arg(run_id_, checkpoint_path_), this);
    source->setTextInteractionFlags(Qt::TextSelectableByMouse);
    source->setWordWrap(true);
    model_only_ = new QRadioButton(
        tr("Model only: a Hugging Face model folder (weights, config, tokenizer) for "
           "from_pretrained"),
        this);
    full_ = new QRadioButton(
        tr("Full checkpoint: also the optimizer, scheduler and trainer state, to resume training"),
        this);
    model_only_->setChecked(true);

    folder_ = new QLineEdit(this);
    folder_->setPlaceholderText(tr("Folder to export into"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* folder_row = new QHBoxLayout;
    folder_row->addWidget(folder_, 1);
    folder_row->addWidget(browse);
    target_ = new QLabel(this);
    target_->setWordWrap(true);
    target_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setVisible(false);
    result_ = new QLabel(this);
    result_->setWordWrap(true);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    export_ = new QPushButton(tr("Export"), this);
    export_->setDefault(true);
    close_ = new QPushButton(tr("Cancel"), this);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(export_);
    buttons->addWidget(close_);

    auto* form = new QFormLayout;
    form->addRow(tr("Content"), model_only_);
    form->addRow(QString(), full_);
    form->addRow(tr("Into"), folder_row);
    form->addRow(tr("Creates"), target_);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(source);
    layout->addLayout(form);
    layout->addWidget(progress_);
    layout->addWidget(result_);
    layout->addStretch(1);
    layout->addLayout(buttons);
    resize(640, 280);

    connect(model_only_, &QRadioButton::toggled, this, &CheckpointExportDialog::updateTarget);
    connect(folder_, &QLineEdit::textChanged, this, &CheckpointExportDialog::updateTarget);
    connect(browse, &QPushButton::clicked, this, [this] {
        auto* chooser = new QFileDialog(this, tr("Export into"), folder_->text());
        chooser->setFileMode(QFileDialog::Directory);
        chooser->setOption(QFileDialog::ShowDirsOnly);
        chooser->setAttribute(Qt::WA_DeleteOnClose);
        connect(chooser, &QFileDialog::fileSelected, folder_, &QLineEdit::setText);
        chooser->open();
    });
    connect(export_, &QPushButton::clicked, this, &CheckpointExportDialog::startExport);
    connect(close_, &QPushButton::clicked, this, &QDialog::reject);

    folder_->setText(QSettings().value(kFolderSetting, QDir::homePath()).toString());
    updateTarget();
}

CheckpointExportDialog::~CheckpointExportDialog() {
    *cancel_ = true;  // a finished job ignores it
}

void CheckpointExportDialog::setDestinationParent(const QString& folder) {
    folder_->setText(folder);
}

void CheckpointExportDialog::setModelOnly(bool model_only) {
    (model_only ? model_only_ : full_)->setChecked(true);
}

QString CheckpointExportDialog::targetPath() const {
    const QString folder = folder_->text().trimmed();
    if (folder.isEmpty())
        return {};
    const auto content = model_only_->isChecked() ? core::checkpoints::ExportContent::model_only
                                                  : core::checkpoints::ExportContent::full;
    return QDir(folder).filePath(QString::fromStdString(
        core::checkpoints::export_folder_name(checkpoint_path_.toStdString(), content)));
}

QString CheckpointExportDialog::resultText() const {
    return result_->text();
}

void CheckpointExportDialog::updateTarget() {
    const QString target = targetPath();
    // Refused here, before anything is copied; the job checks again (the folder may appear).
    const bool exists = !target.isEmpty() && QFileInfo::exists(target);
    target_->setText(target.isEmpty() ? tr("choose a folder")
                     : exists         ? tr("%1 already exists").arg(target)
                                      : target);
    export_->setEnabled(!running_ && !succeeded_ && !target.isEmpty() && !exists);
}

void CheckpointExportDialog::startExport() {
    if (running_ || !export_->isEnabled())
        return;
    QSettings().setValue(kFolderSetting, folder_->text().trimmed());
    CheckpointExportRequest request;
    request.run_id = run_id_;
    request.checkpoint_path = checkpoint_path_;
    request.destination_parent = folder_->text().trimmed();
    request.content = model_only_->isChecked() ? core::checkpoints::ExportContent::model_only
                                               : core::checkpoints::ExportContent::full;
    auto* job = new CheckpointExportJob(paths_, request, prompts_, cancel_);
    auto* thread = new QThread;
    thread->setObjectName(QStringLiteral("lathe-checkpoint-export"));
    job->moveToThread(thread);
    // finished ends the thread's loop; the thread's end deletes both (the job on its thread).
    connect(job, &CheckpointExportJob::finished, thread, &QThread::quit);
    connect(thread, &QThread::finished, job, &QObject::deleteLater);
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    connect(job, &CheckpointExportJob::progress, this, &CheckpointExportDialog::on_progress);
    connect(job, &CheckpointExportJob::finished, this, &CheckpointExportDialog::on_finished);
    running_ = true;
    for (QWidget* input : {static_cast<QWidget*>(model_only_), static_cast<QWidget*>(full_),
                           static_cast<QWidget*>(folder_)})
        input->setEnabled(false);
    export_->setEnabled(false);
    progress_->setVisible(true);
    result_->setText(tr("Exporting…"));
    thread->start();
    QMetaObject::invokeMethod(job, &CheckpointExportJob::run, Qt::QueuedConnection);
}

void CheckpointExportDialog::on_progress(qint64 done_bytes, qint64 total_bytes) {
    progress_->setValue(total_bytes > 0 ? static_cast<int>(1000 * done_bytes / total_bytes) : 0);
    const QLocale locale;
    result_->setText(
        tr("Exporting… %1 of %2")
            .arg(locale.formattedDataSize(done_bytes), locale.formattedDataSize(total_bytes)));
}

void CheckpointExportDialog::on_finished(bool ok, const QString& message) {
    running_ = false;
    succeeded_ = ok;
    close_->setText(tr("Close"));
    if (ok) {
        progress_->setValue(progress_->maximum());
        result_->setText(tr("Exported to %1").arg(message));
        emit exported(message);
    } else {
        result_->setText(tr("Failed: %1").arg(message));
        for (QWidget* input : {static_cast<QWidget*>(model_only_), static_cast<QWidget*>(full_),
                               static_cast<QWidget*>(folder_)})
            input->setEnabled(true);
    }
    updateTarget();
}

void CheckpointExportDialog::done(int result) {
    if (running_)
        *cancel_ = true;  // the job removes its part folder (local) or keeps it to continue (SSH)
    QDialog::done(result);
}

}  // namespace lathe::ui::runs

#include "ui/hosts/install_dialog.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace lathe::ui::hosts {

InstallDialog::InstallDialog(core::run_manager::LathePaths paths, InstallRequest request,
                             remote::ssh::Prompts prompts, QWidget* parent)
    : QDialog(parent), host_(request.host) {
    setWindowTitle(tr("Install Lathe on %1").arg(host_));
    setObjectName(QStringLiteral("install-dialog"));
    phase_ = new QLabel(tr("Starting"), this);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 0);
    log_ = new QPlainTextEdit(this);
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(20000);
    log_->setLineWrapMode(QPlainTextEdit::NoWrap);
    result_ = new QLabel(this);
    result_->setWordWrap(true);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    button_ = new QPushButton(tr("Cancel"), this);
    connect(button_, &QPushButton::clicked, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(phase_);
    layout->addWidget(progress_);
    layout->addWidget(log_, 1);
    layout->addWidget(result_);
    layout->addWidget(button_, 0, Qt::AlignRight);
    resize(820, 520);

    job_ = new InstallJob(std::move(paths), std::move(request), std::move(prompts));
    job_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, job_, &QObject::deleteLater);
    connect(job_, &InstallJob::line, this, &InstallDialog::on_line);
    connect(job_, &InstallJob::finished, this, &InstallDialog::on_finished);
}

InstallDialog::~InstallDialog() {
    job_->cancel();
    thread_.quit();
    thread_.wait();
}

void InstallDialog::start() {
    running_ = true;
    thread_.start();
    QMetaObject::invokeMethod(job_, &InstallJob::run, Qt::QueuedConnection);
}

QString InstallDialog::phase() const {
    return phase_->text();
}

QString InstallDialog::result_text() const {
    return result_->text();
}

QString InstallDialog::log_text() const {
    return log_->toPlainText();
}

void InstallDialog::on_line(const QString& text) {
    static const QRegularExpression phase(QStringLiteral("^@@lathe phase (\\S+)"));
    static const QRegularExpression step(QStringLiteral("^\\[(\\d+)/(\\d+)\\]"));
    if (const auto m = phase.match(text); m.hasMatch()) {
        phase_->setText(m.captured(1));
        progress_->setRange(0, 0);
        return;
    }
    if (const auto m = step.match(text); m.hasMatch()) {
        progress_->setRange(0, m.captured(2).toInt());
        progress_->setValue(m.captured(1).toInt());
    }
    log_->appendPlainText(text);
}

void InstallDialog::on_finished(bool ok, const QString& message, const QString& log_path) {
    running_ = false;
    succeeded_ = ok;
    progress_->setRange(0, 1);
    progress_->setValue(ok ? 1 : 0);
    phase_->setText(ok ? tr("installed") : tr("failed"));
    result_->setText((ok ? tr("Installed: %1").arg(message) : tr("Failed: %1").arg(message)) +
                     tr("\nLog: %1").arg(log_path));
    button_->setText(tr("Close"));
    if (ok) {
        emit installed(host_, message);
    }
}

void InstallDialog::done(int result) {
    job_->cancel();  // the job sees it within 100 ms and reports "cancelled"
    QDialog::done(result);
}

}  // namespace lathe::ui::hosts

#include "ui/run_form/tokenizer_picker.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QPushButton>
#include <QVBoxLayout>

#include "ui/run_form/recent_paths.h"

namespace lathe::ui::run_form {

namespace {

enum Choice { kModelsOwn = 0, kByteLevel = 1, kFile = 2 };

}  // namespace

TokenizerPicker::TokenizerPicker(QWidget* parent) : QWidget(parent) {
    choice_ = new QComboBox(this);
    choice_->addItem("The model's own (its folder's tokenizer.json; byte-level for a preset)");
    choice_->addItem("Byte-level (256 bytes + <|endoftext|>)");
    choice_->addItem("A tokenizer.json file or folder");
    path_ = new QLineEdit(this);
    path_->setPlaceholderText("tokenizer.json, or a folder holding one");
    auto* browse = new QPushButton("Browse…", this);
    browse_ = browse;
    status_ = new QLabel(this);
    status_->setObjectName("tokenizer_status");
    status_->setWordWrap(true);

    auto* path_row = new QHBoxLayout;
    path_row->addWidget(path_, 1);
    path_row->addWidget(browse);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(choice_);
    layout->addLayout(path_row);
    layout->addWidget(status_);

    connect(choice_, &QComboBox::currentIndexChanged, this, [this] {
        update_enabled();
        emit changed();
    });
    connect(path_, &QLineEdit::editingFinished, this, &TokenizerPicker::changed);
    connect(browse, &QPushButton::clicked, this, [this] {
        const auto path = QFileDialog::getOpenFileName(
            this, "tokenizer.json",
            path_->text().isEmpty() ? last_folder("tokenizer") : path_->text(),
            "Tokenizer (tokenizer.json *.json)");
        if (path.isEmpty())
            return;
        remember_folder("tokenizer", path);
        path_->setText(path);
        emit changed();
    });
    update_enabled();
}

void TokenizerPicker::update_enabled() {
    const bool file = choice_->currentIndex() == kFile;
    path_->setEnabled(file);
    browse_->setEnabled(file);
}

void TokenizerPicker::set_spec(const core::run::TokenizerSpec& spec) {
    path_->setText(QString::fromStdString(spec.path));
    choice_->setCurrentIndex(spec.byte_level ? kByteLevel : spec.path.empty() ? kModelsOwn : kFile);
    update_enabled();
}

core::run::TokenizerSpec TokenizerPicker::spec() const {
    core::run::TokenizerSpec spec;
    spec.byte_level = choice_->currentIndex() == kByteLevel;
    if (choice_->currentIndex() == kFile)
        spec.path = path_->text().trimmed().toStdString();
    return spec;
}

void TokenizerPicker::set_status(const QString& text, bool error) {
    status_->setText(text);
    status_->setStyleSheet(error ? "color: #c0392b;" : QString());
}

}  // namespace lathe::ui::run_form

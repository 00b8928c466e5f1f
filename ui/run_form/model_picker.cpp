#include "ui/run_form/model_picker.h"

#include <QButtonGroup>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLocale>
#include <QPushButton>

#include "core/models/model_config.h"
#include "core/util/error.h"

namespace lathe::ui::run_form {

namespace {

namespace models = core::models;

// Presets get their vocabulary from the tokenizer; a run from scratch uses Lathe's byte-level
// tokenizer (run_config.h), which has 256 tokens.
constexpr std::int64_t kByteLevelVocabSize = 256;

QString describe(const models::ModelConfig& config, std::int64_t parameters) {
    return QString("architecture %1, %2 parameters, dtype %3, vocabulary %4, max positions %5")
        .arg(QString::fromStdString(config.model_type))
        .arg(QLocale::c().toString(static_cast<qlonglong>(parameters)))
        .arg(QString::fromStdString(config.torch_dtype))
        .arg(config.vocab_size)
        .arg(config.max_position_embeddings);
}

}  // namespace

ModelPicker::ModelPicker(QWidget* parent) : QWidget(parent) {
    from_scratch_ = new QRadioButton("From scratch", this);
    from_folder_ = new QRadioButton("Hugging Face folder", this);
    auto* group = new QButtonGroup(this);
    group->addButton(from_scratch_);
    group->addButton(from_folder_);
    from_scratch_->setChecked(true);

    preset_ = new QComboBox(this);
    for (const auto& name : models::preset_names())
        preset_->addItem(QString::fromStdString(name));
    folder_ = new QLineEdit(this);
    folder_->setPlaceholderText("folder holding config.json");
    auto* browse = new QPushButton("Browse…", this);
    auto* folder_row = new QHBoxLayout;
    folder_row->addWidget(folder_);
    folder_row->addWidget(browse);

    dtype_ = new QComboBox(this);
    dtype_->addItem("as stored", "");
    for (const char* dtype : {"float32", "bfloat16", "float16", "float64"})
        dtype_->addItem(dtype, dtype);

    summary_ = new QLabel(this);
    summary_->setObjectName("model_summary");
    summary_->setWordWrap(true);
    error_label_ = new QLabel(this);
    error_label_->setObjectName("model_error");
    error_label_->setWordWrap(true);
    error_label_->setStyleSheet("color: #c0392b;");

    auto* form = new QFormLayout(this);
    form->addRow(from_scratch_, preset_);
    form->addRow(from_folder_, folder_row);
    form->addRow("dtype", dtype_);
    form->addRow(summary_);
    form->addRow(error_label_);

    connect(browse, &QPushButton::clicked, this, &ModelPicker::browse);
    connect(from_scratch_, &QRadioButton::toggled, this, &ModelPicker::refresh);
    connect(preset_, &QComboBox::currentTextChanged, this, &ModelPicker::refresh);
    connect(folder_, &QLineEdit::editingFinished, this, &ModelPicker::refresh);
    connect(dtype_, &QComboBox::currentIndexChanged, this, &ModelPicker::changed);
    refresh();
}

void ModelPicker::browse() {
    const auto path =
        QFileDialog::getExistingDirectory(this, "Hugging Face model folder", folder_->text());
    if (!path.isEmpty())
        set_folder(path);
}

void ModelPicker::set_preset(const QString& preset) {
    preset_->setCurrentText(preset);
    from_scratch_->setChecked(true);
    refresh();
}

void ModelPicker::set_folder(const QString& path) {
    folder_->setText(path);
    from_folder_->setChecked(true);
    refresh();
}

void ModelPicker::set_dtype(const QString& dtype) {
    const int index = dtype_->findData(dtype);
    dtype_->setCurrentIndex(index < 0 ? 0 : index);
}

void ModelPicker::set_spec(const core::run::ModelSpec& spec) {
    set_dtype(QString::fromStdString(spec.dtype));
    if (!spec.path.empty())
        set_folder(QString::fromStdString(spec.path));
    else
        set_preset(QString::fromStdString(spec.preset));
}

core::run::ModelSpec ModelPicker::spec() const {
    core::run::ModelSpec spec;
    if (from_scratch_->isChecked())
        spec.preset = preset_->currentText().toStdString();
    else
        spec.path = folder_->text().toStdString();
    spec.dtype = dtype_->currentData().toString().toStdString();
    return spec;
}

void ModelPicker::refresh() {
    error_.clear();
    parameters_.reset();
    try {
        models::ModelConfig config;
        if (from_scratch_->isChecked()) {
            config =
                models::preset_config(preset_->currentText().toStdString(), kByteLevelVocabSize);
        } else {
            if (folder_->text().isEmpty())
                throw core::Error("choose a Hugging Face model folder (one holding config.json)");
            config = models::load_model_config(
                QDir(folder_->text()).filePath("config.json").toStdString());
        }
        parameters_ = models::count_parameters(config);
        summary_->setText(describe(config, *parameters_));
    } catch (const std::exception& e) {  // core::Error, or a filesystem error
        error_ = QString::fromStdString(e.what());
        summary_->clear();
    }
    error_label_->setText(error_);
    error_label_->setVisible(!error_.isEmpty());
    emit changed();
    if (is_valid() != valid_) {
        valid_ = is_valid();
        emit validityChanged(valid_);
    }
}

}  // namespace lathe::ui::run_form

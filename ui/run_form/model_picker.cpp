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
#include "ui/run_form/recent_paths.h"

namespace lathe::ui::run_form {

namespace {

namespace models = core::models;

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

    overrides_ = new QLineEdit(this);
    overrides_->setObjectName("config_overrides");
    overrides_->setPlaceholderText(
        R"(presets: config.json changes, e.g. {"n_layer": 2, "n_embd": 128})");

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
    form->addRow("Config overrides", overrides_);
    form->addRow("dtype", dtype_);
    form->addRow(summary_);
    form->addRow(error_label_);

    connect(browse, &QPushButton::clicked, this, &ModelPicker::browse);
    connect(from_scratch_, &QRadioButton::toggled, this, &ModelPicker::refresh);
    connect(preset_, &QComboBox::currentTextChanged, this, &ModelPicker::refresh);
    connect(folder_, &QLineEdit::editingFinished, this, &ModelPicker::refresh);
    connect(overrides_, &QLineEdit::textChanged, this, &ModelPicker::refresh);
    connect(dtype_, &QComboBox::currentIndexChanged, this, &ModelPicker::changed);
    refresh();
}

void ModelPicker::browse() {
    const auto path = QFileDialog::getExistingDirectory(
        this, "Hugging Face model folder",
        folder_->text().isEmpty() ? last_folder("model") : folder_->text());
    if (path.isEmpty())
        return;
    remember_folder("model", path);
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

void ModelPicker::set_config_overrides(const QString& json_text) {
    overrides_->setText(json_text);
}

void ModelPicker::set_vocab_size(std::int64_t vocab_size) {
    if (vocab_size > 0 && vocab_size != vocab_size_) {
        vocab_size_ = vocab_size;
        refresh();
    }
}

void ModelPicker::set_spec(const core::run::ModelSpec& spec) {
    set_dtype(QString::fromStdString(spec.dtype));
    overrides_->setText(spec.config_overrides.empty()
                            ? QString()
                            : QString::fromStdString(spec.config_overrides.dump()));
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
    // Invalid text leaves the overrides out of the spec; refresh() shows why and the picker is
    // invalid, so such a spec never launches.
    if (from_scratch_->isChecked() && !overrides_->text().trimmed().isEmpty()) {
        const auto parsed = nlohmann::json::parse(overrides_->text().toStdString(), nullptr, false);
        if (parsed.is_object())
            spec.config_overrides = parsed;
    }
    return spec;
}

void ModelPicker::refresh() {
    overrides_->setEnabled(from_scratch_->isChecked());
    error_.clear();
    parameters_.reset();
    try {
        models::ModelConfig config;
        if (from_scratch_->isChecked()) {
            config = models::preset_config(preset_->currentText().toStdString(), vocab_size_);
            const QString text = overrides_->text().trimmed();
            if (!text.isEmpty()) {
                const auto overrides = nlohmann::json::parse(text.toStdString(), nullptr, false);
                if (overrides.is_discarded())
                    throw core::Error(
                        "config overrides: not JSON; write an object such as "
                        "{\"n_layer\": 2}");
                config = models::apply_config_overrides(config, overrides,
                                                        "run.json model.config_overrides");
            }
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

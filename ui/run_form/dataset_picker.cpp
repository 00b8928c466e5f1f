#include "ui/run_form/dataset_picker.h"

#include <algorithm>
#include <memory>

#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLocale>
#include <QPushButton>
#include <QSignalBlocker>

#include "core/data/clm_dataset.h"
#include "ui/run_form/recent_paths.h"

namespace lathe::ui::run_form {

namespace {

constexpr std::size_t kPreviewSamples = 5;
constexpr int kMaxBlockSize = 1 << 20;

QStringList split_paths(const QString& text) {
    QStringList paths;
    for (const auto& part : text.split(';', Qt::SkipEmptyParts)) {
        if (!part.trimmed().isEmpty())
            paths << part.trimmed();
    }
    return paths;
}

std::vector<std::string> to_std(const QStringList& list) {
    std::vector<std::string> out;
    for (const auto& item : list)
        out.push_back(item.toStdString());
    return out;
}

QStringList to_qt(const std::vector<std::string>& list) {
    QStringList out;
    for (const auto& item : list)
        out << QString::fromStdString(item);
    return out;
}

}  // namespace

DatasetPicker::DatasetPicker(QWidget* parent) : QWidget(parent) {
    const core::run::DatasetSpec defaults;
    embedded_ = new QCheckBox("Embedded corpus (fortunes)", this);
    train_files_ = new QLineEdit(this);
    train_files_->setPlaceholderText("train files, separated by ;");
    eval_files_ = new QLineEdit(this);
    eval_files_->setPlaceholderText("optional eval files; otherwise a validation split");
    validation_percent_ = new QDoubleSpinBox(this);
    validation_percent_->setRange(0.0, 99.0);
    validation_percent_->setSuffix(" %");
    validation_percent_->setValue(defaults.validation_split_percent);
    format_ = new QComboBox(this);
    format_->addItems({"auto", "txt", "jsonl", "json", "csv", "tsv"});
    detected_ = new QLabel(this);
    text_field_ = new QComboBox(this);
    text_field_->setEditable(true);
    text_field_->setCurrentText(QString::fromStdString(defaults.text_field));
    sample_by_ = new QComboBox(this);
    sample_by_->addItems({"paragraph", "line", "file", "separator"});
    separator_ = new QLineEdit(QString::fromStdString(defaults.txt_separator), this);
    block_size_ = new QSpinBox(this);
    block_size_->setRange(2, kMaxBlockSize);
    block_size_->setValue(static_cast<int>(defaults.block_size));
    preview_ = new QPlainTextEdit(this);
    preview_->setReadOnly(true);
    error_label_ = new QLabel(this);
    error_label_->setObjectName("dataset_error");
    error_label_->setWordWrap(true);
    error_label_->setStyleSheet("color: #c0392b;");

    auto with_browse = [this](QLineEdit* line) {
        auto* row = new QHBoxLayout;
        auto* button = new QPushButton("Browse…", this);
        row->addWidget(line);
        row->addWidget(button);
        connect(button, &QPushButton::clicked, this, [this, line] { browse(line); });
        return row;
    };
    auto* format_row = new QHBoxLayout;
    format_row->addWidget(format_);
    format_row->addWidget(detected_);

    auto* form = new QFormLayout(this);
    form->addRow(embedded_);
    form->addRow("Train files", with_browse(train_files_));
    form->addRow("Eval files", with_browse(eval_files_));
    form->addRow("Validation split", validation_percent_);
    form->addRow("Format", format_row);
    form->addRow("Text field / column", text_field_);
    form->addRow("Text samples by", sample_by_);
    form->addRow("Separator line", separator_);
    form->addRow("Block size (tokens)", block_size_);
    estimate_ = new QLabel(this);
    estimate_->setWordWrap(true);
    estimate_->setObjectName("dataset_estimate");
    plan_ = new QLabel(this);
    plan_->setWordWrap(true);
    plan_->setObjectName("dataset_plan");
    form->addRow("Preview", preview_);
    form->addRow("Tokens", estimate_);
    form->addRow("Steps", plan_);
    form->addRow(error_label_);

    // Anything that changes what is read re-probes; the rest only changes the spec.
    connect(embedded_, &QCheckBox::toggled, this, &DatasetPicker::start_probe);
    connect(train_files_, &QLineEdit::editingFinished, this, &DatasetPicker::start_probe);
    connect(format_, &QComboBox::currentIndexChanged, this, &DatasetPicker::start_probe);
    connect(text_field_, &QComboBox::currentTextChanged, this, &DatasetPicker::start_probe);
    connect(sample_by_, &QComboBox::currentIndexChanged, this, &DatasetPicker::start_probe);
    connect(separator_, &QLineEdit::editingFinished, this, &DatasetPicker::start_probe);
    connect(eval_files_, &QLineEdit::textChanged, this, &DatasetPicker::changed);
    connect(validation_percent_, &QDoubleSpinBox::valueChanged, this, &DatasetPicker::changed);
    connect(block_size_, &QSpinBox::valueChanged, this, [this] {
        show_estimate();
        emit changed();
    });
    start_probe();
}

DatasetPicker::~DatasetPicker() {
    if (probe_cancel_)
        *probe_cancel_ = true;
    for (auto& worker : workers_) {
        if (worker)
            worker->wait();
    }
}

void DatasetPicker::browse(QLineEdit* target) {
    const auto paths = QFileDialog::getOpenFileNames(
        this, "Text files", last_folder("data"),
        "Text data (*.txt *.jsonl *.json *.csv *.tsv);;All files (*)");
    if (paths.isEmpty())
        return;
    remember_folder("data", paths.front());
    target->setText(paths.join(';'));
    if (target == train_files_)
        start_probe();
    else
        emit changed();
}

void DatasetPicker::set_train_files(const QStringList& paths) {
    train_files_->setText(paths.join(';'));
    start_probe();
}

void DatasetPicker::set_eval_files(const QStringList& paths) {
    eval_files_->setText(paths.join(';'));
}

void DatasetPicker::set_text_field(const QString& field) {
    text_field_->setCurrentText(field);
}

void DatasetPicker::set_spec(const core::run::DatasetSpec& spec) {
    {
        // One probe for the whole spec, not one per widget.
        const QSignalBlocker b1(embedded_), b2(format_), b3(text_field_), b4(sample_by_);
        embedded_->setChecked(spec.embedded_corpus);
        format_->setCurrentText(QString::fromStdString(spec.format));
        text_field_->setCurrentText(QString::fromStdString(spec.text_field));
        sample_by_->setCurrentText(QString::fromStdString(spec.txt_sample_by));
        separator_->setText(QString::fromStdString(spec.txt_separator));
        eval_files_->setText(to_qt(spec.eval_files).join(';'));
        validation_percent_->setValue(spec.validation_split_percent);
        block_size_->setValue(static_cast<int>(spec.block_size));
    }
    set_train_files(to_qt(spec.train_files));
}

core::run::DatasetSpec DatasetPicker::spec() const {
    core::run::DatasetSpec spec;
    spec.embedded_corpus = embedded_->isChecked();
    if (!spec.embedded_corpus) {
        spec.train_files = to_std(split_paths(train_files_->text()));
        spec.eval_files = to_std(split_paths(eval_files_->text()));
    }
    spec.validation_split_percent = validation_percent_->value();
    spec.format = format_->currentText().toStdString();
    spec.text_field = text_field_->currentText().toStdString();
    spec.txt_sample_by = sample_by_->currentText().toStdString();
    spec.txt_separator = separator_->text().toStdString();
    spec.block_size = block_size_->value();
    return spec;
}

QStringList DatasetPicker::fields() const {
    return to_qt(probe_.fields);
}

QStringList DatasetPicker::preview_samples() const {
    return to_qt(probe_.samples);
}

void DatasetPicker::set_tokenizer(const core::run::ModelSpec& model,
                                  const core::run::TokenizerSpec& tokenizer) {
    const bool same = model.path == model_.path && model.preset == model_.preset &&
                      tokenizer.path == tokenizer_.path &&
                      tokenizer.byte_level == tokenizer_.byte_level;
    model_ = model;
    tokenizer_ = tokenizer;
    if (!same)
        start_probe();
}

void DatasetPicker::start_probe() {
    ++probe_generation_;
    if (probe_cancel_)
        *probe_cancel_ = true;  // a superseded probe stops counting
    probe_cancel_ = std::make_shared<std::atomic<bool>>(false);
    const auto files = split_paths(train_files_->text());
    if (!embedded_->isChecked() && files.isEmpty()) {
        probing_ = false;
        DatasetProbe none;
        none.error = "choose train files, or the embedded corpus";
        show_probe(none);
        return;
    }
    ProbeRequest request;
    request.max_samples = kPreviewSamples;
    request.model = model_;
    request.tokenizer = tokenizer_;
    request.cancelled = probe_cancel_;
    try {
        // The engine's own mapping from the spec (the embedded corpus's files and text options).
        const auto options = core::run::to_dataset_options(spec(), 0);
        request.train_files = options.train_files;
        request.text = options.text;
    } catch (const std::exception& e) {
        DatasetProbe bad;
        bad.error = e.what();
        show_probe(bad);
        return;
    }

    probing_ = true;
    detected_->setText("reading…");
    update_validity();
    const auto generation = probe_generation_;
    auto result = std::make_shared<DatasetProbe>();
    QThread* worker = QThread::create([result, request] { *result = probe_dataset(request); });
    // finished is emitted on the worker; the context object makes the slot run on the UI thread,
    // and the connection dies with this widget.
    connect(worker, &QThread::finished, this, [this, result, generation] {
        if (generation != probe_generation_)
            return;
        probing_ = false;
        show_probe(*result);
    });
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    workers_.erase(std::remove(workers_.begin(), workers_.end(), nullptr), workers_.end());
    workers_.emplace_back(worker);
    worker->start();
}

std::optional<std::int64_t> DatasetPicker::train_blocks(std::uint64_t data_seed) const {
    if (probing_ || !probe_.error.empty() || probe_.documents_counted == 0)
        return std::nullopt;
    const auto spec_now = spec();
    const std::int64_t block = std::max<std::int64_t>(1, spec_now.block_size);
    const bool split = spec_now.eval_files.empty() && spec_now.validation_split_percent > 0.0;
    if (probe_.exact) {
        std::int64_t tokens = 0;
        if (split) {
            const auto halves = core::data::split_documents(
                static_cast<std::int64_t>(probe_.document_tokens.size()),
                spec_now.validation_split_percent, data_seed);
            for (const std::int64_t i : halves.train)
                tokens += probe_.document_tokens[static_cast<std::size_t>(i)];
        } else {
            tokens = probe_.tokens_counted;
        }
        return tokens / block;
    }
    const double share = split ? 1.0 - spec_now.validation_split_percent / 100.0 : 1.0;
    return static_cast<std::int64_t>(static_cast<double>(probe_.estimated_tokens) * share) / block;
}

void DatasetPicker::set_plan_text(const QString& text) {
    plan_->setText(text);
}

void DatasetPicker::show_estimate() {
    if (!probe_.error.empty() || probe_.documents_counted == 0) {
        estimate_->setText(probing_ ? QStringLiteral("counting…") : QString());
        return;
    }
    const QLocale locale;
    QString text =
        probe_.exact
            ? QStringLiteral("%1 tokens in %2 documents (counted)")
                  .arg(locale.toString(static_cast<qlonglong>(probe_.estimated_tokens)),
                       locale.toString(static_cast<qlonglong>(probe_.documents_counted)))
            : QStringLiteral("≈ %1 tokens (%2 counted in the first %3 documents, scaled to %4)")
                  .arg(locale.toString(static_cast<qlonglong>(probe_.estimated_tokens)),
                       locale.toString(static_cast<qlonglong>(probe_.tokens_counted)),
                       locale.toString(static_cast<qlonglong>(probe_.documents_counted)),
                       locale.formattedDataSize(static_cast<qint64>(probe_.bytes_total)));
    text += QStringLiteral(", tokenizer %1").arg(QString::fromStdString(probe_.tokenizer));
    estimate_->setText(text);
}
void DatasetPicker::show_probe(const DatasetProbe& probe) {
    probe_ = probe;
    detected_->setText(probe.format.empty() ? QString()
                                            : "detected: " + QString::fromStdString(probe.format));
    if (!probe.fields.empty()) {
        const QSignalBlocker blocker(text_field_);
        const auto current = text_field_->currentText();
        text_field_->clear();
        text_field_->addItems(to_qt(probe.fields));
        text_field_->setCurrentText(current);
    }
    QStringList shown;
    for (std::size_t i = 0; i < probe.samples.size(); ++i) {
        const QString tokens = i < probe.sample_tokens.size()
                                   ? QStringLiteral("[%1 tokens]\n").arg(probe.sample_tokens[i])
                                   : QString();
        shown << tokens + QString::fromStdString(probe.samples[i]);
    }
    preview_->setPlainText(shown.join("\n――――――――\n"));
    error_ = QString::fromStdString(probe.error);
    error_label_->setText(error_);
    error_label_->setVisible(!error_.isEmpty());
    show_estimate();
    update_validity();
    emit probed();
}

void DatasetPicker::update_validity() {
    emit changed();
    if (is_valid() != valid_) {
        valid_ = is_valid();
        emit validityChanged(valid_);
    }
}

}  // namespace lathe::ui::run_form

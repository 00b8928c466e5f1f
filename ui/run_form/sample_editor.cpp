#include "ui/run_form/sample_editor.h"

#include <QFormLayout>

#include <limits>

namespace lathe::ui::run_form {

SampleEditor::SampleEditor(QWidget* parent) : QWidget(parent) {
    const core::run::SampleSpec defaults;
    prompt_ = new QLineEdit(this);
    prompt_->setPlaceholderText("empty: no samples");
    prompt_->setToolTip(
        "Continued by the model at each evaluation; the dashboard shows the latest");
    max_new_tokens_ = new QSpinBox(this);
    // The ranges are run.json's (read_sample): a loaded preset keeps its values.
    max_new_tokens_->setRange(1, std::numeric_limits<int>::max());
    max_new_tokens_->setValue(static_cast<int>(defaults.max_new_tokens));
    temperature_ = new QDoubleSpinBox(this);
    temperature_->setRange(0.0, 1e6);
    temperature_->setSingleStep(0.1);
    temperature_->setDecimals(6);
    temperature_->setValue(defaults.temperature);
    temperature_->setToolTip("0: greedy");
    top_k_ = new QSpinBox(this);
    top_k_->setRange(0, std::numeric_limits<int>::max());
    top_k_->setValue(static_cast<int>(defaults.top_k));
    top_k_->setToolTip("0: the whole vocabulary");

    auto* form = new QFormLayout(this);
    form->addRow("Prompt", prompt_);
    form->addRow("New tokens", max_new_tokens_);
    form->addRow("Temperature", temperature_);
    form->addRow("Top-k", top_k_);

    connect(prompt_, &QLineEdit::textChanged, this, &SampleEditor::changed);
    connect(max_new_tokens_, &QSpinBox::valueChanged, this, &SampleEditor::changed);
    connect(temperature_, &QDoubleSpinBox::valueChanged, this, &SampleEditor::changed);
    connect(top_k_, &QSpinBox::valueChanged, this, &SampleEditor::changed);
}

void SampleEditor::set_spec(const core::run::SampleSpec& spec) {
    prompt_->setText(QString::fromStdString(spec.prompt));
    max_new_tokens_->setValue(static_cast<int>(spec.max_new_tokens));
    temperature_->setValue(spec.temperature);
    top_k_->setValue(static_cast<int>(spec.top_k));
}

core::run::SampleSpec SampleEditor::spec() const {
    core::run::SampleSpec spec;
    spec.prompt = prompt_->text().toStdString();
    spec.max_new_tokens = max_new_tokens_->value();
    spec.temperature = temperature_->value();
    spec.top_k = top_k_->value();
    return spec;
}

}  // namespace lathe::ui::run_form

#include "ui/run_form/field_editor.h"

#include <utility>

namespace lathe::ui::run_form {

FieldEditor::FieldEditor(core::training_args::FieldSpec spec, QWidget* parent)
    : QWidget(parent), spec_(std::move(spec)) {
    layout_ = new QVBoxLayout(this);
    layout_->setContentsMargins(0, 0, 0, 0);
    layout_->setSpacing(2);
    error_label_ = new QLabel(this);
    error_label_->setObjectName("error");
    error_label_->setWordWrap(true);
    error_label_->setStyleSheet("color: #c0392b;");
    error_label_->setVisible(false);
    layout_->addWidget(error_label_);
    setToolTip(QString::fromStdString(spec_.help));
}

void FieldEditor::set_input(QWidget* input) {
    input->setToolTip(QString::fromStdString(spec_.help));
    input->setObjectName(QString::fromStdString(spec_.name));
    layout_->insertWidget(0, input);
}

bool FieldEditor::is_default() const {
    nlohmann::json value;
    QString problem;
    // nlohmann compares numbers by value across int/float, so 3 equals the default 3.0.
    return read(value, problem) && value == spec_.default_value;
}

void FieldEditor::set_error(const QString& message) {
    error_label_->setText(message);
    // isHidden, not isVisible: the form may be on a tab that is not shown.
    error_label_->setVisible(!message.isEmpty());
}

QString FieldEditor::error() const {
    return error_label_->isHidden() ? QString() : error_label_->text();
}

}  // namespace lathe::ui::run_form

// The concrete editors behind make_field_editor, one per schema FieldType.
#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpressionValidator>
#include <QStringList>

#include "ui/run_form/field_editor.h"

namespace lathe::ui::run_form {

namespace {

using core::training_args::FieldSpec;
using core::training_args::FieldType;
using nlohmann::json;

class BoolEditor : public FieldEditor {
  public:
    explicit BoolEditor(const FieldSpec& spec) : FieldEditor(spec), box_(new QCheckBox(this)) {
        set_input(box_);
        connect(box_, &QCheckBox::stateChanged, this, &FieldEditor::edited);
    }
    bool read(json& value, QString&) const override {
        value = box_->isChecked();
        return true;
    }
    void write(const json& value) override {
        box_->setChecked(value.is_boolean() && value.get<bool>());
    }
    QWidget* input() const override { return box_; }

  private:
    QCheckBox* box_;
};

// Partially checked means null: "leave it to the engine" (tf32, greater_is_better).
class OptionalBoolEditor : public FieldEditor {
  public:
    explicit OptionalBoolEditor(const FieldSpec& spec)
        : FieldEditor(spec), box_(new QCheckBox(this)) {
        box_->setTristate(true);
        set_input(box_);
        connect(box_, &QCheckBox::stateChanged, this, [this] {
            box_->setText(box_->checkState() == Qt::PartiallyChecked ? "(unset)" : QString());
            emit edited();
        });
    }
    bool read(json& value, QString&) const override {
        switch (box_->checkState()) {
            case Qt::Checked:
                value = true;
                break;
            case Qt::Unchecked:
                value = false;
                break;
            default:
                value = nullptr;
        }
        return true;
    }
    void write(const json& value) override {
        box_->setCheckState(value.is_null()     ? Qt::PartiallyChecked
                            : value.get<bool>() ? Qt::Checked
                                                : Qt::Unchecked);
        box_->setText(value.is_null() ? "(unset)" : QString());
    }
    QWidget* input() const override { return box_; }

  private:
    QCheckBox* box_;
};

class ChoiceEditor : public FieldEditor {
  public:
    explicit ChoiceEditor(const FieldSpec& spec) : FieldEditor(spec), combo_(new QComboBox(this)) {
        if (spec.nullable)
            combo_->addItem("");
        for (const auto& choice : spec.choices)
            combo_->addItem(QString::fromStdString(choice));
        set_input(combo_);
        connect(combo_, &QComboBox::currentTextChanged, this, &FieldEditor::edited);
    }
    bool read(json& value, QString&) const override {
        const auto text = combo_->currentText();
        if (text.isEmpty() && spec().nullable)
            value = nullptr;
        else
            value = text.toStdString();
        return true;
    }
    void write(const json& value) override {
        const auto text = value.is_string() ? QString::fromStdString(value.get<std::string>()) : "";
        // A value outside the choices (from a preset) is still shown, so validate() can name it.
        if (combo_->findText(text) < 0)
            combo_->addItem(text);
        combo_->setCurrentText(text);
    }
    QWidget* input() const override { return combo_; }

  private:
    QComboBox* combo_;
};

// Line edits rather than spin boxes: a spin box silently clamps, while the point of the form is
// to let the engine say why a value is out of range.
class NumberEditor : public FieldEditor {
  public:
    explicit NumberEditor(const FieldSpec& spec) : FieldEditor(spec), line_(new QLineEdit(this)) {
        const bool integer = spec.type == FieldType::Int;
        const QString pattern = integer ? R"([-+]?\d*)" : R"([-+]?(\d*\.?\d*)([eE][-+]?\d*)?)";
        line_->setValidator(new QRegularExpressionValidator(QRegularExpression(pattern), line_));
        if (spec.nullable)
            line_->setPlaceholderText("null");
        set_input(line_);
        connect(line_, &QLineEdit::textChanged, this, &FieldEditor::edited);
    }
    bool read(json& value, QString& problem) const override {
        const auto text = line_->text().trimmed();
        if (text.isEmpty()) {
            if (spec().nullable) {
                value = nullptr;
                return true;
            }
            problem = QString::fromStdString(spec().name) + " needs a value";
            return false;
        }
        bool ok = false;
        if (spec().type == FieldType::Int) {
            value = text.toLongLong(&ok);
        } else if (spec().type == FieldType::IntOrFloat &&
                   !text.contains(QRegularExpression("[.eE]"))) {
            value = text.toLongLong(&ok);
        } else {
            value = text.toDouble(&ok);
        }
        if (!ok)
            problem = QString::fromStdString(spec().name) + ": \"" + text + "\" is not a number";
        return ok;
    }
    void write(const json& value) override {
        // json's dump gives the shortest text that reads back the same double ("5e-05").
        line_->setText(value.is_null() ? QString() : QString::fromStdString(value.dump()));
    }
    QWidget* input() const override { return line_; }

  private:
    QLineEdit* line_;
};

class StringEditor : public FieldEditor {
  public:
    explicit StringEditor(const FieldSpec& spec) : FieldEditor(spec), line_(new QLineEdit(this)) {
        if (spec.nullable)
            line_->setPlaceholderText("null");
        set_input(line_);
        connect(line_, &QLineEdit::textChanged, this, &FieldEditor::edited);
    }
    bool read(json& value, QString&) const override {
        if (line_->text().isEmpty() && spec().nullable)
            value = nullptr;
        else
            value = line_->text().toStdString();
        return true;
    }
    void write(const json& value) override {
        line_->setText(value.is_string() ? QString::fromStdString(value.get<std::string>()) : "");
    }
    QWidget* input() const override { return line_; }

  private:
    QLineEdit* line_;
};

// report_to: comma-separated names; empty is [].
class StringListEditor : public FieldEditor {
  public:
    explicit StringListEditor(const FieldSpec& spec)
        : FieldEditor(spec), line_(new QLineEdit(this)) {
        line_->setPlaceholderText("none");
        set_input(line_);
        connect(line_, &QLineEdit::textChanged, this, &FieldEditor::edited);
    }
    bool read(json& value, QString&) const override {
        value = json::array();
        for (const auto& part : line_->text().split(',', Qt::SkipEmptyParts)) {
            if (!part.trimmed().isEmpty())
                value.push_back(part.trimmed().toStdString());
        }
        return true;
    }
    void write(const json& value) override {
        QStringList parts;
        if (value.is_string())
            parts << QString::fromStdString(value.get<std::string>());
        for (const auto& item : value.is_array() ? value : json::array())
            parts << QString::fromStdString(item.is_string() ? item.get<std::string>()
                                                             : item.dump());
        line_->setText(parts.join(", "));
    }
    QWidget* input() const override { return line_; }

  private:
    QLineEdit* line_;
};

class JsonEditor : public FieldEditor {
  public:
    explicit JsonEditor(const FieldSpec& spec)
        : FieldEditor(spec), text_(new QPlainTextEdit(this)) {
        text_->setMaximumHeight(60);
        set_input(text_);
        connect(text_, &QPlainTextEdit::textChanged, this, &FieldEditor::edited);
    }
    bool read(json& value, QString& problem) const override {
        const auto text = text_->toPlainText().trimmed();
        if (text.isEmpty()) {
            value = spec().nullable ? json(nullptr) : json::object();
            return true;
        }
        try {
            value = json::parse(text.toStdString());
            return true;
        } catch (const json::exception& e) {
            problem = QString::fromStdString(spec().name) + ": invalid JSON: " + e.what();
            return false;
        }
    }
    void write(const json& value) override {
        text_->setPlainText(QString::fromStdString(value.dump()));
    }
    QWidget* input() const override { return text_; }

  private:
    QPlainTextEdit* text_;
};

// resume_from_checkpoint: empty is null, "true"/"false" are booleans, anything else a folder.
class StringOrBoolEditor : public FieldEditor {
  public:
    explicit StringOrBoolEditor(const FieldSpec& spec)
        : FieldEditor(spec), combo_(new QComboBox(this)) {
        combo_->setEditable(true);
        combo_->addItems({"", "true", "false"});
        set_input(combo_);
        connect(combo_, &QComboBox::currentTextChanged, this, &FieldEditor::edited);
    }
    bool read(json& value, QString&) const override {
        const auto text = combo_->currentText();
        if (text.isEmpty())
            value = nullptr;
        else if (text == "true" || text == "false")
            value = text == "true";
        else
            value = text.toStdString();
        return true;
    }
    void write(const json& value) override {
        if (value.is_boolean())
            combo_->setCurrentText(value.get<bool>() ? "true" : "false");
        else
            combo_->setCurrentText(
                value.is_string() ? QString::fromStdString(value.get<std::string>()) : QString());
    }
    QWidget* input() const override { return combo_; }

  private:
    QComboBox* combo_;
};

}  // namespace

std::unique_ptr<FieldEditor> make_field_editor(const FieldSpec& spec) {
    std::unique_ptr<FieldEditor> editor;
    if (!spec.choices.empty()) {
        editor = std::make_unique<ChoiceEditor>(spec);
    } else {
        switch (spec.type) {
            case FieldType::Bool:
                editor = std::make_unique<BoolEditor>(spec);
                break;
            case FieldType::OptionalBool:
                editor = std::make_unique<OptionalBoolEditor>(spec);
                break;
            case FieldType::Int:
            case FieldType::Float:
            case FieldType::IntOrFloat:
                editor = std::make_unique<NumberEditor>(spec);
                break;
            case FieldType::String:
                editor = std::make_unique<StringEditor>(spec);
                break;
            case FieldType::StringList:
                editor = std::make_unique<StringListEditor>(spec);
                break;
            case FieldType::Json:
                editor = std::make_unique<JsonEditor>(spec);
                break;
            case FieldType::StringOrBool:
                editor = std::make_unique<StringOrBoolEditor>(spec);
                break;
        }
    }
    editor->write(spec.default_value);
    return editor;
}

}  // namespace lathe::ui::run_form

#pragma once

#include <memory>

#include <QLabel>
#include <QString>
#include <QVBoxLayout>
#include <QWidget>
#include <nlohmann/json.hpp>

#include "core/training_args/schema.h"

namespace lathe::ui::run_form {

// The editor of one TrainingArguments field: an input chosen by the field's schema type and an
// inline error line under it. Values are JSON as run.json's training_args spells them, so the
// form can hand them to the engine's own from_json/validate unchanged.
class FieldEditor : public QWidget {
    Q_OBJECT

  public:
    explicit FieldEditor(core::training_args::FieldSpec spec, QWidget* parent = nullptr);

    const core::training_args::FieldSpec& spec() const { return spec_; }

    // The value shown; false (and `problem` set) when the text is not a value of the field's type,
    // e.g. "abc" in a float field or broken JSON, which the engine never gets to see.
    virtual bool read(nlohmann::json& value, QString& problem) const = 0;
    virtual void write(const nlohmann::json& value) = 0;

    // The input widget itself, for tests and focus.
    virtual QWidget* input() const = 0;

    bool is_default() const;
    void reset_to_default() { write(spec_.default_value); }

    // Empty hides the error line.
    void set_error(const QString& message);
    QString error() const;

  signals:
    void edited();

  protected:
    // Subclasses put their input here, above the error line.
    void set_input(QWidget* input);

  private:
    core::training_args::FieldSpec spec_;
    QLabel* error_label_ = nullptr;
    QVBoxLayout* layout_ = nullptr;
};

// The editor for spec.type (and spec.choices), showing spec.default_value, help as tooltip.
std::unique_ptr<FieldEditor> make_field_editor(const core::training_args::FieldSpec& spec);

}  // namespace lathe::ui::run_form

#pragma once

#include <map>
#include <memory>
#include <string>

#include <QLabel>
#include <QString>
#include <QTabWidget>
#include <QWidget>
#include <nlohmann/json.hpp>

#include "ui/run_form/field_editor.h"

namespace lathe::ui::run_form {

// TrainingArguments as a form generated from training_args::schema(): one tab per schema group,
// one editor per supported field. Every edit goes through the engine's from_json + validate(), so
// the form can never accept what lathe-train would refuse, and it shows the engine's message.
class TrainingArgumentsForm : public QWidget {
    Q_OBJECT

  public:
    explicit TrainingArgumentsForm(QWidget* parent = nullptr);

    // Only the values that differ from the schema defaults, under Transformers' keys. Fields whose
    // text is not a value of their type are left out (the form is then invalid).
    nlohmann::json values() const;
    // Fields missing from `values` go back to their defaults; unknown keys are ignored here
    // (validation reports them when they reach run.json).
    void set_values(const nlohmann::json& values);

    bool is_valid() const { return valid_; }
    // The engine's message (or the local parse problem); empty when valid.
    QString error() const { return error_; }

    // nullptr for unknown or unsupported fields.
    FieldEditor* editor(const std::string& field) const;
    QTabWidget* tabs() const { return tabs_; }

  signals:
    void validityChanged(bool valid);
    // Any edit, valid or not.
    void valuesChanged();

  private:
    void revalidate();
    void show_error(const QString& message);

    QTabWidget* tabs_ = nullptr;
    QLabel* summary_ = nullptr;  // a message that names no field, e.g. an unknown key
    std::map<std::string, FieldEditor*> editors_;
    std::map<std::string, QLabel*> labels_;
    std::map<std::string, int> tab_of_group_;
    bool valid_ = true;
    QString error_;
    bool applying_ = false;  // set_values edits many fields: validate once at the end
};

}  // namespace lathe::ui::run_form

#pragma once

#include <cstdint>
#include <optional>

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QString>
#include <QWidget>

#include "core/run/run_config.h"

namespace lathe::ui::run_form {

// Where the model comes from: a preset from scratch, or a local Hugging Face folder whose
// config.json is read (small, so on the UI thread) by the engine's load_model_config. Shows what
// the engine makes of it: architecture, parameter count, dtype, vocabulary, max positions.
class ModelPicker : public QWidget {
    Q_OBJECT

  public:
    explicit ModelPicker(QWidget* parent = nullptr);

    // From scratch with `preset` (one of preset_names()).
    void set_preset(const QString& preset);
    // A Hugging Face model folder (what the Browse dialog calls); validated at once.
    void set_folder(const QString& path);
    // "" keeps the stored dtype.
    void set_dtype(const QString& dtype);
    // A preset's config.json changes, as JSON text ({"n_layer": 2}); "" for none.
    void set_config_overrides(const QString& json_text);
    // A preset's vocabulary comes from the tokenizer: 256 (byte-level) until the dialog says.
    void set_vocab_size(std::int64_t vocab_size);
    void set_spec(const core::run::ModelSpec& spec);

    core::run::ModelSpec spec() const;
    bool is_valid() const { return error_.isEmpty(); }
    QString error() const { return error_; }
    // Of the model shown; nullopt when the folder is invalid.
    std::optional<std::int64_t> parameter_count() const { return parameters_; }
    // "architecture gpt2, 110 592 parameters, ..." as displayed.
    QString summary() const { return summary_->text(); }

  signals:
    void changed();
    void validityChanged(bool valid);

  private:
    void browse();
    void refresh();

    QRadioButton* from_scratch_ = nullptr;
    QRadioButton* from_folder_ = nullptr;
    QComboBox* preset_ = nullptr;
    QLineEdit* folder_ = nullptr;
    QComboBox* dtype_ = nullptr;
    QLineEdit* overrides_ = nullptr;
    std::int64_t vocab_size_ = 256;
    QLabel* summary_ = nullptr;
    QLabel* error_label_ = nullptr;
    QString error_;
    std::optional<std::int64_t> parameters_;
    bool valid_ = true;
};

}  // namespace lathe::ui::run_form

#pragma once

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QWidget>

#include "core/run/run_config.h"

namespace lathe::ui::run_form {

// run.json's "tokenizer": the model's own (the folder's tokenizer.json; Lathe's byte-level
// tokenizer for a preset), the byte-level tokenizer, or a tokenizer.json file or folder. It is
// loaded by the dataset probe (off the UI thread), whose result set_status shows here.
class TokenizerPicker : public QWidget {
    Q_OBJECT

  public:
    explicit TokenizerPicker(QWidget* parent = nullptr);

    void set_spec(const core::run::TokenizerSpec& spec);
    core::run::TokenizerSpec spec() const;
    // "vocabulary 50 257 (path)" or the loader's error.
    void set_status(const QString& text, bool error);
    QString status() const { return status_->text(); }
    QComboBox* choice_box() const { return choice_; }
    QLineEdit* path_edit() const { return path_; }

  signals:
    void changed();

  private:
    void update_enabled();

    QComboBox* choice_ = nullptr;
    QLineEdit* path_ = nullptr;
    QWidget* browse_ = nullptr;
    QLabel* status_ = nullptr;
};

}  // namespace lathe::ui::run_form

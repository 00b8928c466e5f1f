#pragma once

#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QWidget>

#include "core/run/run_config.h"

namespace lathe::ui::run_form {

// run.json's "sample": the prompt the trainer continues at each evaluation (the dashboard shows
// the latest), and how: new tokens, temperature (0: greedy), top-k (0: the whole vocabulary).
// An empty prompt means no samples. The ranges are the engine's checks (parse_run_config).
class SampleEditor : public QWidget {
    Q_OBJECT

  public:
    explicit SampleEditor(QWidget* parent = nullptr);

    void set_spec(const core::run::SampleSpec& spec);
    core::run::SampleSpec spec() const;
    QLineEdit* prompt_edit() const { return prompt_; }

  signals:
    void changed();

  private:
    QLineEdit* prompt_ = nullptr;
    QSpinBox* max_new_tokens_ = nullptr;
    QDoubleSpinBox* temperature_ = nullptr;
    QSpinBox* top_k_ = nullptr;
};

}  // namespace lathe::ui::run_form

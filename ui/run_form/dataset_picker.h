#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QSpinBox>
#include <QStringList>
#include <QThread>
#include <QWidget>

#include "core/run/run_config.h"
#include "ui/run_form/dataset_probe.h"

namespace lathe::ui::run_form {

// Train files (and eval files or a validation percentage), their format, the text field, the
// block size. The train files are probed on a worker thread (datasets can be big): detected
// format, the first record's fields, a preview of the first samples with their token counts, and
// the total tokens (counted, or extrapolated from the file sizes past 16 MB of text), with the
// run's tokenizer (set_tokenizer). The embedded corpus is probed the same way.
class DatasetPicker : public QWidget {
    Q_OBJECT

  public:
    explicit DatasetPicker(QWidget* parent = nullptr);
    // Waits for a probe still running: it only reads, but must not outlive what it reports to.
    ~DatasetPicker() override;

    void set_train_files(const QStringList& paths);
    void set_eval_files(const QStringList& paths);
    void set_text_field(const QString& field);
    void set_spec(const core::run::DatasetSpec& spec);
    core::run::DatasetSpec spec() const;
    // The run's model and tokenizer choice: token counts use the tokenizer they resolve to.
    void set_tokenizer(const core::run::ModelSpec& model,
                       const core::run::TokenizerSpec& tokenizer);
    // Training blocks of block_size tokens per epoch, as run_clm cuts them: exact when every
    // document was counted (the validation split made with `data_seed`, as the engine does),
    // else estimated; nullopt before a probe succeeded.
    std::optional<std::int64_t> train_blocks(std::uint64_t data_seed) const;
    // A line under the estimate (the dialog's steps per epoch).
    void set_plan_text(const QString& text);
    QString estimate_text() const { return estimate_->text(); }
    const DatasetProbe& probe() const { return probe_; }

    // Valid once the first train file was read without error (or the embedded corpus is used).
    bool is_valid() const { return error_.isEmpty() && !probing_; }
    bool is_probing() const { return probing_; }
    QString error() const { return error_; }
    // From the last probe.
    QString detected_format() const { return QString::fromStdString(probe_.format); }
    QStringList fields() const;
    QStringList preview_samples() const;

  signals:
    void changed();
    void validityChanged(bool valid);
    // A probe's result is shown.
    void probed();

  private:
    void browse(QLineEdit* target);
    void start_probe();
    void show_probe(const DatasetProbe& probe);
    void show_estimate();
    void update_validity();

    QCheckBox* embedded_ = nullptr;
    QLineEdit* train_files_ = nullptr;
    QLineEdit* eval_files_ = nullptr;
    QDoubleSpinBox* validation_percent_ = nullptr;
    QComboBox* format_ = nullptr;
    QLabel* detected_ = nullptr;
    QComboBox* text_field_ = nullptr;
    QComboBox* sample_by_ = nullptr;
    QLineEdit* separator_ = nullptr;
    QSpinBox* block_size_ = nullptr;
    QPlainTextEdit* preview_ = nullptr;
    QLabel* estimate_ = nullptr;
    QLabel* plan_ = nullptr;
    core::run::ModelSpec model_;
    core::run::TokenizerSpec tokenizer_;
    QLabel* error_label_ = nullptr;

    DatasetProbe probe_;
    QString error_;
    bool probing_ = false;
    bool valid_ = false;
    std::uint64_t probe_generation_ = 0;  // results of superseded probes are dropped
    std::vector<QPointer<QThread>> workers_;
    std::shared_ptr<std::atomic<bool>> probe_cancel_;  // the running probe's; set to drop it
};

}  // namespace lathe::ui::run_form

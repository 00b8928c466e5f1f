#pragma once

#include <cstdint>
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
// block size. The first train file is probed on a worker thread (datasets can be big): detected
// format, the first record's fields, a preview of the first samples.
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
    QLabel* error_label_ = nullptr;

    DatasetProbe probe_;
    QString error_;
    bool probing_ = false;
    bool valid_ = false;
    std::uint64_t probe_generation_ = 0;  // results of superseded probes are dropped
    std::vector<QPointer<QThread>> workers_;
};

}  // namespace lathe::ui::run_form

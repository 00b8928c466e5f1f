#pragma once

#include <map>

#include <QDialog>

#include <nlohmann/json.hpp>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace lathe::ui::hosts {

// Add (or edit) a host by hand: how to reach it (address, user, port, key, jump host) and how to
// run Lathe there (worker and supervisor commands, runs folder). Empty fields take what
// ~/.ssh/config says. Save stays disabled while the spec does not validate, with the message
// naming the field (remote::runs::validate_host_spec, the same check `lathe hosts add` makes).
class HostEditorDialog : public QDialog {
    Q_OBJECT

  public:
    explicit HostEditorDialog(QWidget* parent = nullptr);
    // Fills the fields from a saved spec (remote::runs::to_json).
    void load(const nlohmann::json& spec);
    nlohmann::json spec() const;
    QString error() const;
    QLineEdit* field(const QString& key) const;
    QSpinBox* port() const { return port_; }

  signals:
    void saveRequested(const QString& spec_json);

  private:
    void validate();

    std::map<QString, QLineEdit*> fields_;
    QSpinBox* port_ = nullptr;
    QSpinBox* timeout_ = nullptr;
    QLabel* error_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;
};

}  // namespace lathe::ui::hosts

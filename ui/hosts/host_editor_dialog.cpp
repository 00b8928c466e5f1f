#include "ui/hosts/host_editor_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "remote/runs/host_list.h"

namespace lathe::ui::hosts {

namespace {

struct FieldSpec {
    const char* key;
    const char* label;
    const char* placeholder;
    const char* default_value;
};

constexpr FieldSpec kFields[] = {
    {"name", "Name", "gpu1 (runs target ssh:gpu1)", ""},
    {"host", "Address", "host name or IP; empty: the name", ""},
    {"user", "User", "empty: ~/.ssh/config or your user name", ""},
    {"identity_file", "Key file", "empty: ssh-agent, ~/.ssh/config, ~/.ssh/id_*", ""},
    {"proxy_jump", "Jump host", "[user@]jumphost[:port]", ""},
    {"worker_command", "Worker command", "lathe-train, /opt/lathe/bin/lathe-train, apptainer ...",
     "lathe-train"},
    {"supervisor_command", "Supervisor command", "lathe-supervisor", "lathe-supervisor"},
    {"runs_dir", "Runs folder", "relative to the remote home", "lathe-runs"},
};

}  // namespace

HostEditorDialog::HostEditorDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Add host"));
    setObjectName(QStringLiteral("host-editor"));
    auto* form = new QFormLayout;
    for (const auto& f : kFields) {
        auto* edit = new QLineEdit(QString::fromUtf8(f.default_value), this);
        edit->setObjectName(QString::fromUtf8(f.key));
        edit->setPlaceholderText(tr(f.placeholder));
        fields_[QString::fromUtf8(f.key)] = edit;
        form->addRow(tr(f.label), edit);
        connect(edit, &QLineEdit::textChanged, this, &HostEditorDialog::validate);
        if (std::string(f.key) == "user") {
            port_ = new QSpinBox(this);
            port_->setObjectName(QStringLiteral("port"));
            port_->setRange(0, 65535);
            port_->setSpecialValueText(tr("from ~/.ssh/config (22)"));
            form->addRow(tr("Port"), port_);
            connect(port_, &QSpinBox::valueChanged, this, &HostEditorDialog::validate);
        }
    }
    timeout_ = new QSpinBox(this);
    timeout_->setRange(100, 600000);
    timeout_->setSingleStep(1000);
    timeout_->setValue(10000);
    timeout_->setSuffix(tr(" ms"));
    form->addRow(tr("Connect timeout"), timeout_);
    error_ = new QLabel(this);
    error_->setObjectName(QStringLiteral("host-error"));
    error_->setWordWrap(true);
    error_->setStyleSheet(QStringLiteral("color: #b00020"));
    buttons_ = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons_, &QDialogButtonBox::accepted, this, [this] {
        emit saveRequested(QString::fromStdString(spec().dump()));
        accept();
    });
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(error_);
    layout->addWidget(buttons_);
    validate();
}

QLineEdit* HostEditorDialog::field(const QString& key) const {
    auto it = fields_.find(key);
    return it == fields_.end() ? nullptr : it->second;
}

void HostEditorDialog::load(const nlohmann::json& spec) {
    for (auto& [key, edit] : fields_) {
        if (key == QLatin1String("identity_file")) {
            const auto files = spec.value("identity_files", std::vector<std::string>());
            edit->setText(files.empty() ? QString() : QString::fromStdString(files.front()));
        } else {
            edit->setText(QString::fromStdString(spec.value(key.toStdString(), std::string())));
        }
    }
    port_->setValue(spec.value("port", 0));
    timeout_->setValue(spec.value("connect_timeout_ms", 10000));
    setWindowTitle(tr("Edit host"));
}

nlohmann::json HostEditorDialog::spec() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [key, edit] : fields_) {
        const std::string value = edit->text().trimmed().toStdString();
        if (key == QLatin1String("identity_file")) {
            j["identity_files"] =
                value.empty() ? std::vector<std::string>{} : std::vector<std::string>{value};
        } else if (key == QLatin1String("host")) {
            j["host"] = value.empty()
                            ? fields_.at(QStringLiteral("name"))->text().trimmed().toStdString()
                            : value;
        } else {
            j[key.toStdString()] = value;
        }
    }
    j["port"] = port_->value();
    j["connect_timeout_ms"] = timeout_->value();
    return j;
}

QString HostEditorDialog::error() const {
    return error_->text();
}

void HostEditorDialog::validate() {
    QString message;
    try {
        remote::runs::validate_host_spec(spec(), "host");
    } catch (const std::exception& e) {
        message = QString::fromStdString(e.what());
    }
    error_->setText(message);
    buttons_->button(QDialogButtonBox::Save)->setEnabled(message.isEmpty());
}

}  // namespace lathe::ui::hosts

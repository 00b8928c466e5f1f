#pragma once

#include <QWidget>

#include "ui/hosts/host_rows.h"

class QLabel;
class QPushButton;
class QTableWidget;

namespace lathe::ui::hosts {

// The Hosts view: every machine runs can go to (this machine, added hosts, ~/.ssh/config
// aliases) with its state, GPUs, free memory and disk, worker version and runs; for the selected
// host its facts, a per-GPU table (utilisation, memory, temperature) and its runs. Add host,
// Remove, Test connection and Install on host are asked for through signals (the monitor and the
// install dialog do the work off the UI thread). It only shows snapshots.
class HostsView : public QWidget {
    Q_OBJECT

  public:
    explicit HostsView(QWidget* parent = nullptr);

    void set_snapshot(const HostsSnapshot& snapshot);
    void show_action(const HostAction& result);
    // Selects a host by name; false when it is not listed.
    bool select_host(const QString& name);
    QString selected_host() const;
    const HostsSnapshot& snapshot() const { return snapshot_; }

    QTableWidget* hosts_table() const { return hosts_; }
    QTableWidget* gpus_table() const { return gpus_; }
    QTableWidget* runs_table() const { return runs_; }
    QLabel* details() const { return details_; }
    QLabel* message() const { return message_; }
    QPushButton* test_button() const { return test_; }
    QPushButton* install_button() const { return install_; }
    QPushButton* add_button() const { return add_; }
    QPushButton* remove_button() const { return remove_; }

  signals:
    void testRequested(const QString& name);
    void saveRequested(const QString& spec_json);
    void removeRequested(const QString& name);
    void installRequested(const QString& name);
    void runActivated(const QString& run_id);
    // The Add host dialog was opened (for tests and for the window to parent it).
    void editorOpened(QWidget* dialog);

  private:
    void show_selected();
    const HostRow* selected_row() const;

    HostsSnapshot snapshot_;
    QTableWidget* hosts_ = nullptr;
    QLabel* details_ = nullptr;
    QTableWidget* gpus_ = nullptr;
    QTableWidget* runs_ = nullptr;
    QLabel* message_ = nullptr;
    QPushButton* add_ = nullptr;
    QPushButton* remove_ = nullptr;
    QPushButton* test_ = nullptr;
    QPushButton* install_ = nullptr;
};

}  // namespace lathe::ui::hosts

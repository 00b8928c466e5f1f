#pragma once

#include <QObject>
#include <QThread>

#include "ui/runs/registry_watcher.h"

namespace lathe::ui::runs {

// Owns the worker thread and the RegistryWatcher that lives in it. The watcher's RunManager is
// created in start() and destroyed in shutdown(), both on the worker thread, so the registry
// connection is only ever used by that thread. Destroying this object stops the thread.
class RegistryWatcherThread : public QObject {
    Q_OBJECT

  public:
    explicit RegistryWatcherThread(WatcherOptions options, QObject* parent = nullptr);
    ~RegistryWatcherThread() override;

    // Connect to its signals and slots before start(); they are queued across the threads.
    RegistryWatcher* watcher() const { return watcher_; }
    void start();

  private:
    QThread thread_;
    RegistryWatcher* watcher_;
};

}  // namespace lathe::ui::runs

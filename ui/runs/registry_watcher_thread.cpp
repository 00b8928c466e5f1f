#include "ui/runs/registry_watcher_thread.h"

#include <utility>

namespace lathe::ui::runs {

RegistryWatcherThread::RegistryWatcherThread(WatcherOptions options, QObject* parent)
    : QObject(parent), watcher_(new RegistryWatcher(std::move(options))) {
    thread_.setObjectName("lathe-registry-watcher");
    watcher_->moveToThread(&thread_);
    connect(&thread_, &QThread::started, watcher_, &RegistryWatcher::start);
}

RegistryWatcherThread::~RegistryWatcherThread() {
    if (thread_.isRunning()) {
        // The connection and the timer belong to the worker thread: close them there.
        QMetaObject::invokeMethod(watcher_, &RegistryWatcher::shutdown,
                                  Qt::BlockingQueuedConnection);
        thread_.quit();
        thread_.wait();
    }
    // The thread has ended, so nothing else touches the watcher; its timer is already gone.
    delete watcher_;
}

void RegistryWatcherThread::start() {
    thread_.start();
}

}  // namespace lathe::ui::runs

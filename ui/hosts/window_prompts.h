#pragma once

#include <memory>

#include <QObject>
#include <QPointer>
#include <QWidget>

#include "remote/ssh/ssh_target.h"

namespace lathe::ui::hosts {

// The window's answers to SSH's questions (remote/ssh/ssh_target.h Prompts): an unknown host key
// is shown with its SHA256 fingerprint for the user to accept (then recorded in known_hosts by
// the session), passphrases and passwords are asked in a password field. The questions come
// from worker threads (the hosts monitor, the registry watcher's sync, the launcher); each
// waits, without blocking the UI thread, for the dialog that the UI thread shows, one at a time.
// A key refused once is refused without asking again until forget_refusals() (the Hosts view's
// Test connection), so a background sync does not ask every few seconds. Answers are never
// stored. Lives in the UI thread; close() (or destruction) answers every pending and later
// question "no", so that worker threads can be stopped while a question is open.
class WindowPrompts : public QObject {
    Q_OBJECT

  public:
    explicit WindowPrompts(QWidget* parent);
    ~WindowPrompts() override;

    // Callable from any thread, for as long as any copy lives (after close(): "no").
    remote::ssh::Prompts prompts() const;
    void close();
    void forget_refusals();

    struct State;

  private:
    std::shared_ptr<State> state_;
};

}  // namespace lathe::ui::hosts

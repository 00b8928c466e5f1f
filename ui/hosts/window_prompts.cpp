#include "ui/hosts/window_prompts.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <utility>

#include <QApplication>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QThread>

namespace lathe::ui::hosts {

struct WindowPrompts::State {
    std::atomic<bool> closed{false};
    std::mutex asking;  // one dialog at a time, whichever thread asks
    std::mutex sets;
    std::set<std::pair<std::string, std::string>> refused, accepted;  // (host, fingerprint)
    QPointer<WindowPrompts> owner;
    QPointer<QWidget> parent;

    // Runs `question` on the UI thread and waits for its answer; `no` once closed.
    template <typename T>
    T ask(std::function<T()> question, T no) {
        if (closed) {
            return no;
        }
        if (QThread::currentThread() == qApp->thread()) {
            return question();
        }
        std::lock_guard<std::mutex> one_at_a_time(asking);
        auto answer = std::make_shared<std::promise<T>>();
        auto future = answer->get_future();
        QPointer<WindowPrompts> target = owner;
        if (target.isNull() ||
            !QMetaObject::invokeMethod(
                target.data(), [answer, question] { answer->set_value(question()); },
                Qt::QueuedConnection)) {
            return no;
        }
        while (future.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
            if (closed) {
                return no;  // the dialog, if it still shows, answers into the void
            }
        }
        return future.get();
    }
};

WindowPrompts::WindowPrompts(QWidget* parent) : QObject(parent), state_(std::make_shared<State>()) {
    state_->owner = this;
    state_->parent = parent;
}

WindowPrompts::~WindowPrompts() {
    close();
}

void WindowPrompts::close() {
    state_->closed = true;
}

void WindowPrompts::forget_refusals() {
    std::lock_guard<std::mutex> lock(state_->sets);
    state_->refused.clear();
}

remote::ssh::Prompts WindowPrompts::prompts() const {
    remote::ssh::Prompts p;
    std::shared_ptr<State> state = state_;
    p.accept_new_host = [state](const std::string& host, const std::string& fingerprint) {
        const auto key = std::make_pair(host, fingerprint);
        {
            std::lock_guard<std::mutex> lock(state->sets);
            if (state->refused.count(key) != 0) {
                return false;
            }
            if (state->accepted.count(key) != 0) {
                return true;
            }
        }
        const bool yes = state->ask<bool>(
            [state, host, fingerprint] {
                QMessageBox box(QMessageBox::Warning, QObject::tr("Unknown host key"),
                                QObject::tr("The authenticity of host %1 can't be established.")
                                    .arg(QString::fromStdString(host)),
                                QMessageBox::Yes | QMessageBox::No, state->parent.data());
                box.setObjectName(QStringLiteral("unknown-host-key"));
                box.setInformativeText(
                    QObject::tr("Its key fingerprint is\n%1\n\nCompare it with the one the host's "
                                "administrator gives you. Trust this key and record it in "
                                "known_hosts?")
                        .arg(QString::fromStdString(fingerprint)));
                box.setDefaultButton(QMessageBox::No);
                return box.exec() == QMessageBox::Yes;
            },
            false);
        std::lock_guard<std::mutex> lock(state->sets);
        (yes ? state->accepted : state->refused).insert(key);
        return yes;
    };
    auto ask_text = [state](const QString& title, const QString& label, bool echo) {
        return state->ask<std::optional<std::string>>(
            [state, title, label, echo]() -> std::optional<std::string> {
                QInputDialog dialog(state->parent.data());
                dialog.setObjectName(QStringLiteral("ssh-secret"));
                dialog.setWindowTitle(title);
                dialog.setLabelText(label);
                dialog.setTextEchoMode(echo ? QLineEdit::Normal : QLineEdit::Password);
                if (dialog.exec() != QDialog::Accepted) {
                    return std::nullopt;
                }
                QString text = dialog.textValue();
                std::string answer = text.toStdString();
                text.fill(QChar(' '));  // do not leave the secret in a freed Qt buffer
                return answer;
            },
            std::nullopt);
    };
    p.passphrase = [ask_text](const std::string& key_path) {
        return ask_text(QObject::tr("Key passphrase"),
                        QObject::tr("Passphrase for %1:").arg(QString::fromStdString(key_path)),
                        false);
    };
    p.password = [ask_text](const std::string& prompt, bool echo) {
        return ask_text(QObject::tr("SSH login"), QString::fromStdString(prompt), echo);
    };
    return p;
}

}  // namespace lathe::ui::hosts

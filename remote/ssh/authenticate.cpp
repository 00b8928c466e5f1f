#include "remote/ssh/authenticate.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "remote/ssh/ssh_error.h"

namespace lathe::remote::ssh {

namespace {

// Copies a passphrase into libssh's buffer and wipes the temporary: secrets live only as long
// as a call needs them.
int answer_passphrase(const Prompts& prompts, const std::string& key_path, char* buf, size_t len) {
    if (!prompts.passphrase) {
        return -1;
    }
    std::optional<std::string> answer = prompts.passphrase(key_path);
    if (!answer || answer->size() + 1 > len) {
        return -1;
    }
    std::memcpy(buf, answer->c_str(), answer->size() + 1);
    std::fill(answer->begin(), answer->end(), '\0');
    return 0;
}

struct AutoAuthContext {
    ssh_session session;
    const Prompts* prompts;
};

extern "C" int auto_auth_passphrase(const char* /*prompt*/, char* buf, size_t len, int /*echo*/,
                                    int /*verify*/, void* userdata) {
    auto* context = static_cast<AutoAuthContext*>(userdata);
    char* identity = nullptr;
    ssh_userauth_publickey_auto_get_current_identity(context->session, &identity);
    const std::string key_path = identity != nullptr ? identity : "a private key";
    ssh_string_free_char(identity);
    return answer_passphrase(*context->prompts, key_path, buf, len);
}

// One explicitly named key file: offered first (cheap), then signed with.
bool try_key_file(ssh_session session, const std::string& path, const Prompts& prompts,
                  std::string& problems) {
    struct Context {
        const Prompts* prompts;
        std::string path;
    } context{&prompts, path};
    auto callback = [](const char*, char* buf, size_t len, int, int, void* userdata) -> int {
        auto* c = static_cast<Context*>(userdata);
        return answer_passphrase(*c->prompts, c->path, buf, len);
    };
    ssh_key key = nullptr;
    const int rc = ssh_pki_import_privkey_file(path.c_str(), nullptr, callback, &context, &key);
    if (rc != SSH_OK) {
        problems += "; cannot read key " + path +
                    (::access(path.c_str(), R_OK) != 0 ? " (missing or unreadable)"
                                                       : " (wrong or no passphrase)");
        return false;
    }
    const int auth = ssh_userauth_publickey(session, nullptr, key);
    ssh_key_free(key);
    return auth == SSH_AUTH_SUCCESS;
}

bool try_password(ssh_session session, const Prompts& prompts, int methods) {
    if (!prompts.password) {
        return false;
    }
    if ((methods & SSH_AUTH_METHOD_INTERACTIVE) != 0) {
        int rc = ssh_userauth_kbdint(session, nullptr, nullptr);
        while (rc == SSH_AUTH_INFO) {
            const int n = ssh_userauth_kbdint_getnprompts(session);
            for (int i = 0; i < n; ++i) {
                char echo = 0;
                const char* text =
                    ssh_userauth_kbdint_getprompt(session, static_cast<unsigned>(i), &echo);
                std::optional<std::string> answer =
                    prompts.password(text != nullptr ? text : "", echo != 0);
                if (!answer) {
                    return false;
                }
                ssh_userauth_kbdint_setanswer(session, static_cast<unsigned>(i), answer->c_str());
                std::fill(answer->begin(), answer->end(), '\0');
            }
            rc = ssh_userauth_kbdint(session, nullptr, nullptr);
        }
        if (rc == SSH_AUTH_SUCCESS) {
            return true;
        }
    }
    if ((methods & SSH_AUTH_METHOD_PASSWORD) != 0) {
        std::optional<std::string> answer = prompts.password("Password:", false);
        if (!answer) {
            return false;
        }
        const int rc = ssh_userauth_password(session, nullptr, answer->c_str());
        std::fill(answer->begin(), answer->end(), '\0');
        return rc == SSH_AUTH_SUCCESS;
    }
    return false;
}

}  // namespace

void authenticate(ssh_session session, const std::string& label, const SshTarget& target,
                  const Prompts& prompts) {
    if (ssh_userauth_none(session, nullptr) == SSH_AUTH_SUCCESS) {
        return;
    }
    const int methods = ssh_userauth_list(session, nullptr);
    std::vector<std::string> tried;
    std::string problems;
    if ((methods & SSH_AUTH_METHOD_PUBLICKEY) != 0) {
        for (const auto& path : target.identity_files) {
            tried.push_back("key " + path);
            if (try_key_file(session, path, prompts, problems)) {
                return;
            }
        }
        // ssh-agent, then the config's IdentityFile entries and the default keys.
        AutoAuthContext context{session, &prompts};
        ssh_callbacks_struct callbacks{};
        callbacks.userdata = &context;
        callbacks.auth_function = auto_auth_passphrase;
        ssh_callbacks_init(&callbacks);
        ssh_set_callbacks(session, &callbacks);
        const int rc = ssh_userauth_publickey_auto(session, nullptr, nullptr);
        // libssh cannot unset callbacks; leave a static empty set, never this stack frame's.
        static ssh_callbacks_struct no_callbacks = [] {
            ssh_callbacks_struct c{};
            ssh_callbacks_init(&c);
            return c;
        }();
        ssh_set_callbacks(session, &no_callbacks);
        if (rc == SSH_AUTH_SUCCESS) {
            return;
        }
        tried.push_back(std::getenv("SSH_AUTH_SOCK") != nullptr
                            ? "ssh-agent and the default keys"
                            : "the default keys (no ssh-agent)");
    }
    if ((methods & (SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE)) != 0) {
        if (try_password(session, prompts, methods)) {
            return;
        }
        tried.push_back(prompts.password ? "password" : "password (not asked)");
    }
    if (ssh_is_connected(session) == 0) {
        // Refused because the connection broke mid-handshake, not by the server: try again.
        throw SshError(SshError::Kind::disconnected,
                       "host " + label + ": connection lost during authentication (" +
                           ssh_get_error(session) + ")");
    }
    std::string tried_text;
    for (const auto& t : tried) {
        tried_text += (tried_text.empty() ? "" : ", ") + t;
    }
    throw SshError(
        SshError::Kind::auth_failed,
        "host " + label + ": authentication refused (tried " +
            (tried_text.empty() ? std::string("nothing the server accepts") : tried_text) + ")" +
            problems +
            ". Add your public key to the host's ~/.ssh/authorized_keys, or name the "
            "right key as IdentityFile.");
}

}  // namespace lathe::remote::ssh

#include "remote/ssh/host_key.h"

#include <libssh/libssh.h>
#include <sys/stat.h>

#include <filesystem>

#include "remote/ssh/ssh_error.h"

namespace lathe::remote::ssh {

namespace {

std::string fingerprint_of(ssh_session session, const std::string& label) {
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(session, &key) != SSH_OK) {
        if (ssh_is_connected(session) == 0) {
            throw SshError(SshError::Kind::disconnected,
                           "host " + label + ": connection lost during the handshake");
        }
        throw SshError(
            SshError::Kind::remote_failure,
            "host " + label + ": the server sent no host key: " + ssh_get_error(session));
    }
    unsigned char* hash = nullptr;
    size_t hash_len = 0;
    const int rc = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len);
    ssh_key_free(key);
    if (rc != 0) {
        throw SshError(SshError::Kind::remote_failure,
                       "host " + label + ": cannot hash the host key");
    }
    char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len);
    ssh_clean_pubkey_hash(&hash);
    std::string fingerprint = text != nullptr ? text : "";
    ssh_string_free_char(text);
    return fingerprint;
}

}  // namespace

std::string verify_host_key(ssh_session session, const std::string& label,
                            const std::string& known_hosts_path, const Prompts& prompts) {
    const std::string fingerprint = fingerprint_of(session, label);
    switch (ssh_session_is_known_server(session)) {
        case SSH_KNOWN_HOSTS_OK:
            return fingerprint;
        case SSH_KNOWN_HOSTS_CHANGED:
        case SSH_KNOWN_HOSTS_OTHER:
            throw SshError(
                SshError::Kind::host_key_changed,
                "host " + label + ": the host key has CHANGED (it is now " + fingerprint +
                    ") and does not match " + known_hosts_path +
                    ". Someone may be intercepting the connection, or the host was reinstalled. "
                    "Lathe refuses to connect. If the change is expected, remove the old key "
                    "(ssh-keygen -R HOST -f " +
                    known_hosts_path + ") and connect again to accept the new one.");
        case SSH_KNOWN_HOSTS_NOT_FOUND:
        case SSH_KNOWN_HOSTS_UNKNOWN:
            break;
        case SSH_KNOWN_HOSTS_ERROR:
        default:
            if (ssh_is_connected(session) == 0) {
                throw SshError(SshError::Kind::disconnected,
                               "host " + label + ": connection lost during the handshake");
            }
            throw SshError(SshError::Kind::remote_failure,
                           "host " + label + ": cannot check the host key against " +
                               known_hosts_path + ": " + ssh_get_error(session));
    }
    if (!prompts.accept_new_host || !prompts.accept_new_host(label, fingerprint)) {
        throw SshError(SshError::Kind::host_key_unknown,
                       "host " + label + ": unknown host key " + fingerprint + " (not in " +
                           known_hosts_path +
                           "). Check the fingerprint with the host's administrator and accept "
                           "it, or connect once with `ssh` to record it.");
    }
    // libssh appends to the file but does not create its folder (~/.ssh on a fresh account).
    const auto parent = std::filesystem::path(known_hosts_path).parent_path();
    if (!parent.empty() && !std::filesystem::exists(parent)) {
        std::filesystem::create_directories(parent);
        ::chmod(parent.c_str(), 0700);
    }
    if (ssh_session_update_known_hosts(session) != SSH_OK) {
        throw SshError(SshError::Kind::remote_failure,
                       "host " + label + ": cannot record the host key in " + known_hosts_path +
                           ": " + ssh_get_error(session));
    }
    return fingerprint;
}

}  // namespace lathe::remote::ssh

#pragma once

#include <string>

#include "core/util/error.h"

namespace lathe::remote::ssh {

// An SSH failure, with what kind it is so callers can decide: a dropped connection is retried,
// a changed host key or refused authentication never is. The message names the host.
class SshError : public core::Error {
  public:
    enum class Kind {
        unreachable,       // no TCP connection (refused, no route, name unknown)
        timeout,           // connected or connecting, but no answer in time
        host_key_unknown,  // not in known_hosts and not accepted
        host_key_changed,  // known_hosts has another key: possible man-in-the-middle
        auth_failed,       // every method refused
        disconnected,      // the connection broke during use
        remote_failure,    // a remote command or SFTP operation failed
    };
    SshError(Kind kind, const std::string& message) : core::Error(message), kind_(kind) {}
    Kind kind() const { return kind_; }
    // Whether connecting again may help.
    bool transient() const {
        return kind_ == Kind::unreachable || kind_ == Kind::timeout || kind_ == Kind::disconnected;
    }

  private:
    Kind kind_;
};

}  // namespace lathe::remote::ssh

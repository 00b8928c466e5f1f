#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "remote/runs/remote_host.h"
#include "remote/ssh/session.h"
#include "remote/ssh/sftp_client.h"

namespace lathe::remote::runs {

// One open connection (session + SFTP) per host, reused across passes and reopened after a
// failure. Single-threaded, like Session.
class SessionPool {
  public:
    explicit SessionPool(ssh::Prompts prompts = {}) : prompts_(std::move(prompts)) {}

    struct Connection {
        std::unique_ptr<ssh::Session> session;
        std::unique_ptr<ssh::SftpClient> sftp;
    };
    // The open connection to `host`, connecting when there is none or it broke.
    Connection& get(const RemoteHost& host);
    // Forgets a connection after an error, so that the next get() reconnects.
    void drop(const std::string& host_name);
    int connects() const { return connects_; }

  private:
    ssh::Prompts prompts_;
    std::map<std::string, Connection> connections_;
    int connects_ = 0;
};

}  // namespace lathe::remote::runs

#include "remote/runs/session_pool.h"

namespace lathe::remote::runs {

SessionPool::Connection& SessionPool::get(const RemoteHost& host) {
    auto it = connections_.find(host.name);
    if (it != connections_.end() && it->second.session->connected()) {
        return it->second;
    }
    if (it != connections_.end()) {
        connections_.erase(it);
    }
    Connection connection;
    connection.session = ssh::Session::connect(host.ssh, prompts_);
    connection.sftp = std::make_unique<ssh::SftpClient>(*connection.session);
    ++connects_;
    return connections_[host.name] = std::move(connection);
}

void SessionPool::drop(const std::string& host_name) {
    auto it = connections_.find(host_name);
    if (it != connections_.end()) {
        it->second.sftp.reset();  // before its session
        connections_.erase(it);
    }
}

}  // namespace lathe::remote::runs

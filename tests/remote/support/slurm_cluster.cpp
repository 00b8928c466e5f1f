#include "tests/remote/support/slurm_cluster.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/remote/support/sshd_server.h"

namespace lathe::tests {

namespace fs = std::filesystem;

namespace {

const char* const kDaemons[] = {"/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd",
                                "/usr/bin/sbatch", "/usr/bin/sinfo"};

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

std::string SlurmCluster::unavailable_reason() {
    if (::geteuid() != 0)
        return "slurmd runs as root only (run the tests as root, as CI does)";
    for (const char* program : kDaemons) {
        if (::access(program, X_OK) != 0)
            return std::string(program) + " is missing (scripts/setup.sh installs SLURM)";
    }
    return "";
}

SlurmCluster::SlurmCluster(const std::string& name) {
    dir_ = fs::temp_directory_path() / ("lathe-slurm-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    for (const char* sub : {"munge", "spool", "state", "log"})
        fs::create_directories(dir_ / sub);
    fs::permissions(dir_ / "munge", fs::perms::owner_all, fs::perm_options::replace);
    const std::string d = dir_.string();
    const std::string host = shell_output("hostname -s");
    const std::string node = host.substr(0, host.find('\n'));
    const std::string cpus = shell_output("nproc");
    std::ofstream conf_file(conf());
    conf_file << "ClusterName=lathetest\n"
         << "SlurmctldHost=" << node << "(127.0.0.1)\n"
         << "SlurmctldPort=" << free_tcp_port() << "\n"
         << "SlurmdPort=" << free_tcp_port() << "\n"
         << "AuthType=auth/munge\nCredType=cred/munge\n"
         << "AuthInfo=socket=" << d << "/munge/munge.sock\n"
         << "SlurmUser=root\nSlurmdUser=root\n"
         << "StateSaveLocation=" << d << "/state\n"
         << "SlurmdSpoolDir=" << d << "/spool\n"
         << "SlurmctldPidFile=" << d << "/slurmctld.pid\n"
         << "SlurmdPidFile=" << d << "/slurmd.pid\n"
         << "SlurmctldLogFile=" << d << "/log/slurmctld.log\n"
         << "SlurmdLogFile=" << d
         << "/log/slurmd.log\n"
         // No cgroups in a container: plain process tracking, no task plugin, no accounting.
         << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
         << "JobAcctGatherType=jobacct_gather/none\n"
         << "AccountingStorageType=accounting_storage/none\nJobCompType=jobcomp/none\n"
         << "SchedulerType=sched/backfill\nSelectType=select/cons_tres\n"
         << "SelectTypeParameters=CR_Core\nReturnToService=2\nMpiDefault=none\n"
         << "KillWait=5\nMinJobAge=600\n"
         << "NodeName=" << node << " NodeAddr=127.0.0.1 CPUs=" << cpus.substr(0, cpus.find('\n'))
         << " State=UNKNOWN\n"
         << "PartitionName=debug Nodes=" << node << " Default=YES MaxTime=INFINITE State=UP\n";
    conf_file.close();
    const std::string env = "SLURM_CONF=" + conf().string() + " ";
    shell_output("dd if=/dev/urandom of=" + d +
                 "/munge/munge.key bs=1024 count=1 2>/dev/null && "
                 "chmod 600 " +
                 d +
                 "/munge/munge.key && "
                 "/usr/sbin/munged --force -S " +
                 d + "/munge/munge.sock --key-file " + d + "/munge/munge.key --pid-file " + d +
                 "/munge/munged.pid --log-file " + d + "/munge/munged.log --seed-file " + d +
                 "/munge/seed && " + env + "/usr/sbin/slurmctld -f " + conf().string() +
                 " && sleep 0.5 && " + env + "/usr/sbin/slurmd -f " + conf().string());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        std::string state;
        try {
            state = shell_output(env + "sinfo -h -o %t 2>/dev/null");
        } catch (const std::exception&) {
        }
        if (state.rfind("idle", 0) == 0)
            return;
        if (std::chrono::steady_clock::now() > deadline) {
            const std::string why =
                "the SLURM node did not become idle (sinfo: " + state + ")\n" + logs();
            stop();
            throw std::runtime_error(why);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

SlurmCluster::~SlurmCluster() {
    stop();
}

void SlurmCluster::stop() {
    const std::string d = dir_.string();
    try {
        shell_output("SLURM_CONF=" + conf().string() + " scancel --full --signal=KILL -u root " +
                     "2>/dev/null; sleep 0.5; for f in " + d + "/slurmd.pid " + d +
                     "/slurmctld.pid " + d +
                     "/munge/munged.pid; do "
                     "[ -f \"$f\" ] && kill $(cat \"$f\") 2>/dev/null; done; sleep 0.5; true");
    } catch (const std::exception&) {
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

std::string SlurmCluster::logs() const {
    return "--- slurmctld.log\n" + read_text(dir_ / "log" / "slurmctld.log") + "--- slurmd.log\n" +
           read_text(dir_ / "log" / "slurmd.log") + "--- munged.log\n" +
           read_text(dir_ / "munge" / "munged.log");
}

}  // namespace lathe::tests

#pragma once

#include <filesystem>
#include <string>

namespace lathe::tests {

// A one-node SLURM cluster on this machine, started by the test that needs it: munged with a
// fresh key on its own socket, slurmctld and slurmd on free ports, state and logs in a temporary
// folder, all stopped (running jobs cancelled) when this object goes away. slurmd must run as
// root, so tests skip when unavailable_reason() says why they cannot.
class SlurmCluster {
  public:
    // "" when a cluster can start here; else what is missing (not root, no slurmctld, ...).
    static std::string unavailable_reason();

    // Throws std::runtime_error with the daemons' logs when the node does not become idle.
    explicit SlurmCluster(const std::string& name);
    ~SlurmCluster();
    SlurmCluster(const SlurmCluster&) = delete;
    SlurmCluster& operator=(const SlurmCluster&) = delete;

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path conf() const { return dir_ / "slurm.conf"; }
    // What SlurmClient pastes before sbatch/squeue/scancel to reach this cluster.
    std::string command_prefix() const { return "SLURM_CONF=" + conf().string(); }
    std::string logs() const;

  private:
    void stop();
    std::filesystem::path dir_;
};

}  // namespace lathe::tests

#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/distributed/world.h"

namespace lathe::core::distributed {

// A c10d process group for one data-parallel job: a TCPStore rendezvous at MASTER_ADDR:PORT
// (rank 0 serves it), then ProcessGroupNCCL for CUDA tensors (on builds whose libtorch has it)
// or ProcessGroupGloo for CPU ones. Every call is a collective: every rank must make the same
// calls in the same order. A peer that died makes the next collective throw (Gloo: at once; NCCL:
// at the timeout); lathe-train's rank agent takes the job down first in the usual case.
class ProcessGroup {
  public:
    class Pending {
      public:
        Pending();
        ~Pending();
        Pending(Pending&&) noexcept;
        Pending& operator=(Pending&&) noexcept;
        void wait();  // rethrows the collective's error

      private:
        friend class ProcessGroup;
        struct Work;
        std::unique_ptr<Work> work_;
    };

    // Throws Error naming the master address and port when the rendezvous fails or times out,
    // and the device when no backend serves it.
    static std::shared_ptr<ProcessGroup> connect(const WorldInfo& world,
                                                 const torch::Device& device,
                                                 std::chrono::milliseconds timeout);
    ~ProcessGroup();

    const WorldInfo& world() const { return world_; }
    std::int64_t rank() const { return world_.rank; }
    std::int64_t world_size() const { return world_.world_size; }
    const std::string& backend() const { return backend_; }

    Pending all_reduce_sum_async(torch::Tensor tensor);  // in place
    void all_reduce_sum(torch::Tensor tensor);
    void all_reduce_max(torch::Tensor tensor);
    void broadcast(torch::Tensor tensor, std::int64_t root = 0);
    void barrier();
    // The store every rank shares, for small values such as a staging folder's name. get waits
    // for the key (up to the timeout).
    void store_set(const std::string& key, const std::string& value);
    std::string store_get(const std::string& key);

  private:
    struct Impl;
    ProcessGroup(WorldInfo world, std::string backend, std::unique_ptr<Impl> impl);
    WorldInfo world_;
    std::string backend_;
    std::unique_ptr<Impl> impl_;
};

// Whether this build can make a process group for `device` ("gloo" for CPU, "nccl" for CUDA).
bool backend_available(const torch::Device& device);

}  // namespace lathe::core::distributed

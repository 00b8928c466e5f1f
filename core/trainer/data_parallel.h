#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/distributed/process_group.h"

namespace lathe::core::trainer {

// The trainer's view of its data-parallel job: what all ranks must agree on (logged loss, stop and
// save requests, evaluation sums, checkpoint folders). Without a process group it is a
// one-process job and every call is local.
class DataParallel {
  public:
    DataParallel(std::shared_ptr<distributed::ProcessGroup> group, torch::Device device);

    bool active() const { return group_ != nullptr; }
    std::int64_t rank() const { return group_ ? group_->rank() : 0; }
    std::int64_t world_size() const { return group_ ? group_->world_size() : 1; }
    bool is_main() const { return rank() == 0; }
    const std::shared_ptr<distributed::ProcessGroup>& group() const { return group_; }

    double mean(double local);
    void sum(std::vector<double>& values);
    // Each flag true when it is true on any rank.
    std::vector<bool> any(const std::vector<bool>& flags);
    void barrier();
    // Rank 0's `value` on every rank, under a key unique to this call site and occasion.
    std::string from_main(const std::string& key, const std::string& value);

  private:
    torch::Tensor on_device(const std::vector<double>& values) const;
    std::shared_ptr<distributed::ProcessGroup> group_;
    torch::Device device_;
};

}  // namespace lathe::core::trainer

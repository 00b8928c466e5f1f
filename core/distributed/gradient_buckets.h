#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/distributed/process_group.h"

namespace lathe::core::distributed {

// Averages gradients across ranks as DDP's reducer does: parameters are grouped, in reverse
// registration order (roughly the order backward produces their gradients), into buckets of about
// `bucket_bytes`; a hook on each parameter copies its finished gradient into its bucket, and a
// bucket whose gradients are all in is all-reduced while backward goes on. Buckets are launched
// strictly in index order so that every rank issues the same collectives in the same order.
//
// Only the backward that ends an accumulation window syncs (set_sync(true) before it), as DDP's
// no_sync() leaves the others local. A parameter that gets no gradient is reduced as zero; one
// whose gradient arrives twice in a backward (tied weights under reentrant checkpointing) makes
// its bucket be reduced again from the final gradients in finish().
class GradientBuckets {
  public:
    static constexpr std::int64_t kDefaultBucketBytes = 25LL * 1024 * 1024;  // DDP's default

    GradientBuckets(std::vector<torch::Tensor> parameters, std::shared_ptr<ProcessGroup> group,
                    std::int64_t bucket_bytes = kDefaultBucketBytes);
    ~GradientBuckets();
    GradientBuckets(const GradientBuckets&) = delete;
    GradientBuckets& operator=(const GradientBuckets&) = delete;

    void set_sync(bool sync) { sync_ = sync; }
    // After the syncing backward: waits for every bucket and leaves the ranks' mean gradient in
    // each parameter's .grad.
    void finish();

    std::size_t bucket_count() const { return buckets_.size(); }

  private:
    struct Slot {
        torch::Tensor parameter;
        std::size_t bucket = 0;
        torch::Tensor view;  // this parameter's part of its bucket's buffer
        bool filled = false;
        unsigned hook = 0;
    };
    struct Bucket {
        torch::Tensor buffer;
        std::vector<std::size_t> slots;
        std::size_t waiting = 0;  // slots not yet filled in this backward
        bool launched = false;
        bool dirty = false;
        ProcessGroup::Pending pending;
    };

    void on_gradient(std::size_t slot, const torch::Tensor& grad);
    void launch_ready();
    void launch(Bucket& bucket);
    void reset();

    std::shared_ptr<ProcessGroup> group_;
    std::vector<Slot> slots_;
    std::vector<Bucket> buckets_;
    std::size_t next_launch_ = 0;
    bool sync_ = false;
};

// Copies rank 0's values into every rank's parameters (at start, as DDP does), so that ranks
// whose initialisation differed train one model.
void broadcast_parameters(const std::vector<torch::Tensor>& parameters, ProcessGroup& group);

}  // namespace lathe::core::distributed

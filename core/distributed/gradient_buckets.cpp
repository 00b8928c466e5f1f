#include "core/distributed/gradient_buckets.h"

#include "core/util/error.h"

namespace lathe::core::distributed {

GradientBuckets::GradientBuckets(std::vector<torch::Tensor> parameters,
                                 std::shared_ptr<ProcessGroup> group, std::int64_t bucket_bytes)
    : group_(std::move(group)) {
    if (bucket_bytes <= 0)
        throw Error("ddp_bucket_cap_mb must be positive");
    std::vector<torch::Tensor> trainable;
    for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
        if (it->requires_grad())
            trainable.push_back(*it);
    }
    // Group consecutive parameters of one dtype and device up to the byte cap.
    std::vector<std::vector<std::size_t>> groups;
    std::int64_t bytes = 0;
    for (std::size_t i = 0; i < trainable.size(); ++i) {
        const auto& p = trainable[i];
        const std::int64_t size = p.numel() * static_cast<std::int64_t>(p.element_size());
        const bool fits = !groups.empty() && bytes + size <= bucket_bytes &&
                          trainable[groups.back().front()].dtype() == p.dtype() &&
                          trainable[groups.back().front()].device() == p.device();
        if (!fits) {
            groups.emplace_back();
            bytes = 0;
        }
        groups.back().push_back(i);
        bytes += size;
    }
    slots_.resize(trainable.size());
    buckets_.resize(groups.size());
    for (std::size_t b = 0; b < groups.size(); ++b) {
        std::int64_t numel = 0;
        for (auto i : groups[b])
            numel += trainable[i].numel();
        const auto& first = trainable[groups[b].front()];
        auto& bucket = buckets_[b];
        bucket.buffer = torch::zeros({numel}, first.options().requires_grad(false));
        std::int64_t offset = 0;
        for (auto i : groups[b]) {
            auto& slot = slots_[i];
            slot.parameter = trainable[i];
            slot.bucket = b;
            slot.view = bucket.buffer.narrow(0, offset, trainable[i].numel()).view_as(trainable[i]);
            offset += trainable[i].numel();
            bucket.slots.push_back(i);
        }
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        slots_[i].hook = slots_[i].parameter.register_hook(
            [this, i](const torch::Tensor& grad) { on_gradient(i, grad); });
    }
    reset();
}

GradientBuckets::~GradientBuckets() {
    for (auto& slot : slots_) {
        try {
            slot.parameter.remove_hook(slot.hook);
        } catch (...) {
            // The tensor is going away with the model; nothing to undo.
        }
    }
}

void GradientBuckets::reset() {
    for (auto& slot : slots_)
        slot.filled = false;
    for (auto& bucket : buckets_) {
        bucket.waiting = bucket.slots.size();
        bucket.launched = false;
        bucket.dirty = false;
    }
    next_launch_ = 0;
}

// Runs before AccumulateGrad adds `grad` into .grad, so the finished gradient is .grad + grad.
void GradientBuckets::on_gradient(std::size_t index, const torch::Tensor& grad) {
    if (!sync_)
        return;
    torch::NoGradGuard no_grad;
    auto& slot = slots_[index];
    auto& bucket = buckets_[slot.bucket];
    if (slot.filled) {
        if (bucket.launched) {
            bucket.dirty = true;
        } else {
            slot.view.add_(grad);
        }
        return;
    }
    const auto& current = slot.parameter.grad();
    if (current.defined()) {
        torch::add_out(slot.view, current, grad);
    } else {
        slot.view.copy_(grad);
    }
    slot.filled = true;
    if (--bucket.waiting == 0)
        launch_ready();
}

void GradientBuckets::launch(Bucket& bucket) {
    bucket.pending = group_->all_reduce_sum_async(bucket.buffer);
    bucket.launched = true;
}

void GradientBuckets::launch_ready() {
    while (next_launch_ < buckets_.size() && buckets_[next_launch_].waiting == 0) {
        launch(buckets_[next_launch_]);
        ++next_launch_;
    }
}

void GradientBuckets::finish() {
    torch::NoGradGuard no_grad;
    // Parameters that got no gradient in this backward count as zero, as DDP's
    // find_unused_parameters does.
    for (; next_launch_ < buckets_.size(); ++next_launch_) {
        auto& bucket = buckets_[next_launch_];
        for (auto i : bucket.slots) {
            auto& slot = slots_[i];
            if (slot.filled)
                continue;
            const auto& current = slot.parameter.grad();
            if (current.defined()) {
                slot.view.copy_(current);
            } else {
                slot.view.zero_();
            }
        }
        launch(bucket);
    }
    for (auto& bucket : buckets_)
        bucket.pending.wait();
    for (auto& bucket : buckets_) {
        if (!bucket.dirty)
            continue;
        for (auto i : bucket.slots) {
            const auto& current = slots_[i].parameter.grad();
            if (current.defined()) {
                slots_[i].view.copy_(current);
            } else {
                slots_[i].view.zero_();
            }
        }
        group_->all_reduce_sum(bucket.buffer);
    }
    const double world = static_cast<double>(group_->world_size());
    for (auto& bucket : buckets_)
        bucket.buffer.div_(world);
    for (auto& slot : slots_) {
        auto& grad = slot.parameter.mutable_grad();
        if (grad.defined()) {
            grad.copy_(slot.view);
        } else {
            grad = slot.view.clone();
        }
    }
    reset();
    sync_ = false;
}

void broadcast_parameters(const std::vector<torch::Tensor>& parameters, ProcessGroup& group) {
    torch::NoGradGuard no_grad;
    for (const auto& p : parameters) {
        auto data = p.detach();
        if (data.is_contiguous()) {
            group.broadcast(data);
        } else {
            auto copy = data.contiguous();
            group.broadcast(copy);
            data.copy_(copy);
        }
    }
}

}  // namespace lathe::core::distributed

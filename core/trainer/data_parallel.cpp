#include "core/trainer/data_parallel.h"

namespace lathe::core::trainer {

DataParallel::DataParallel(std::shared_ptr<distributed::ProcessGroup> group, torch::Device device)
    : group_(std::move(group)), device_(device) {}

// float64 so that sums of losses and sample counts stay exact enough to match one process.
torch::Tensor DataParallel::on_device(const std::vector<double>& values) const {
    return torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat64)).to(device_);
}

double DataParallel::mean(double local) {
    if (!group_)
        return local;
    std::vector<double> values{local};
    sum(values);
    return values[0] / static_cast<double>(world_size());
}

void DataParallel::sum(std::vector<double>& values) {
    if (!group_ || values.empty())
        return;
    auto t = on_device(values);
    group_->all_reduce_sum(t);
    auto cpu = t.cpu();
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = cpu[static_cast<std::int64_t>(i)].item<double>();
}

std::vector<bool> DataParallel::any(const std::vector<bool>& flags) {
    if (!group_ || flags.empty())
        return flags;
    std::vector<double> values;
    for (bool f : flags)
        values.push_back(f ? 1.0 : 0.0);
    auto t = on_device(values);
    group_->all_reduce_max(t);
    auto cpu = t.cpu();
    std::vector<bool> out;
    for (std::size_t i = 0; i < flags.size(); ++i)
        out.push_back(cpu[static_cast<std::int64_t>(i)].item<double>() > 0.5);
    return out;
}

void DataParallel::barrier() {
    if (group_)
        group_->barrier();
}

std::string DataParallel::from_main(const std::string& key, const std::string& value) {
    if (!group_)
        return value;
    if (is_main()) {
        group_->store_set(key, value);
        return value;
    }
    return group_->store_get(key);
}

}  // namespace lathe::core::trainer

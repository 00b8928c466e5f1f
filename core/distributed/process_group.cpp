#include "core/distributed/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>

#include "core/util/error.h"

namespace lathe::core::distributed {

// The Backend base differs between libtorch 1.13 (ProcessGroup) and 2.x (c10d::Backend); the
// collectives used here have the same signature on both, so the concrete type is kept.
struct ProcessGroup::Impl {
    c10::intrusive_ptr<c10d::Store> store;
    torch::Device device = torch::kCPU;  // the rank's device, where the barrier's number lives
#ifdef USE_C10D_GLOO
    c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#endif
#ifdef USE_C10D_NCCL
    c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif

    template <typename F>
    c10::intrusive_ptr<c10d::Work> call(F&& f) {
#ifdef USE_C10D_NCCL
        if (nccl)
            return f(*nccl);
#endif
#ifdef USE_C10D_GLOO
        if (gloo)
            return f(*gloo);
#endif
        (void)f;
        throw Error("distributed: no process group backend in this build");
    }
};

struct ProcessGroup::Pending::Work {
    c10::intrusive_ptr<c10d::Work> work;
};

ProcessGroup::Pending::Pending() = default;
ProcessGroup::Pending::~Pending() = default;
ProcessGroup::Pending::Pending(Pending&&) noexcept = default;
ProcessGroup::Pending& ProcessGroup::Pending::operator=(Pending&&) noexcept = default;

void ProcessGroup::Pending::wait() {
    if (work_ && work_->work)
        work_->work->wait();
    work_.reset();
}

bool backend_available(const torch::Device& device) {
#ifdef USE_C10D_NCCL
    if (device.is_cuda())
        return true;
#endif
#ifdef USE_C10D_GLOO
    if (device.is_cpu())
        return true;
#endif
    (void)device;
    return false;
}

namespace {

bool is_loopback(const std::string& addr) {
    return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

}  // namespace

ProcessGroup::ProcessGroup(WorldInfo world, std::string backend, std::unique_ptr<Impl> impl)
    : world_(std::move(world)), backend_(std::move(backend)), impl_(std::move(impl)) {}

ProcessGroup::~ProcessGroup() = default;

std::shared_ptr<ProcessGroup> ProcessGroup::connect(const WorldInfo& world,
                                                    const torch::Device& device,
                                                    std::chrono::milliseconds timeout) {
    if (!backend_available(device)) {
        throw Error("distributed training on " + device.str() +
                    ": this build of Lathe has no process group for it (Gloo serves CPU "
                    "tensors, NCCL CUDA ones; see docs/distributed.md)");
    }
    const std::string where = world.master_addr + ":" + std::to_string(world.master_port);
    auto impl = std::make_unique<Impl>();
    impl->device = device;
    try {
        c10d::TCPStoreOptions options;
        options.port = static_cast<std::uint16_t>(world.master_port);
        options.isServer = world.rank == 0;
        options.numWorkers = static_cast<std::size_t>(world.world_size);
        options.waitWorkers = true;
        options.timeout = timeout;
        auto tcp = c10::make_intrusive<c10d::TCPStore>(world.master_addr, options);
        impl->store = c10::make_intrusive<c10d::PrefixStore>("lathe", tcp);
    } catch (const std::exception& e) {
        throw Error("distributed rendezvous at MASTER_ADDR:MASTER_PORT = " + where +
                    " failed for rank " + std::to_string(world.rank) + " of " +
                    std::to_string(world.world_size) + ": " + e.what());
    }
    const int rank = static_cast<int>(world.rank);
    const int size = static_cast<int>(world.world_size);
    std::string backend;
    try {
#ifdef USE_C10D_NCCL
        if (device.is_cuda()) {
            auto options = c10d::ProcessGroupNCCL::Options::create();
            options->timeout = timeout;
            impl->nccl =
                c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, rank, size, options);
            backend = "nccl";
        }
#endif
#ifdef USE_C10D_GLOO
        if (backend.empty()) {
            auto options = c10d::ProcessGroupGloo::Options::create();
            options->timeout = timeout;
            if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME")) {
                options->devices.push_back(
                    c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
            } else if (is_loopback(world.master_addr)) {
                options->devices.push_back(
                    c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
            } else {
                options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            }
            impl->gloo =
                c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, rank, size, options);
            backend = "gloo";
        }
#endif
    } catch (const std::exception& e) {
        throw Error("distributed: rank " + std::to_string(world.rank) +
                    " could not join the process group at " + where + ": " + e.what());
    }
    return std::shared_ptr<ProcessGroup>(
        new ProcessGroup(world, std::move(backend), std::move(impl)));
}

ProcessGroup::Pending ProcessGroup::all_reduce_sum_async(torch::Tensor tensor) {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    Pending pending;
    pending.work_ = std::make_unique<Pending::Work>();
    pending.work_->work = impl_->call([&](auto& pg) { return pg.allreduce(tensors, options); });
    return pending;
}

void ProcessGroup::all_reduce_sum(torch::Tensor tensor) {
    all_reduce_sum_async(std::move(tensor)).wait();
}

void ProcessGroup::all_reduce_max(torch::Tensor tensor) {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::MAX;
    impl_->call([&](auto& pg) { return pg.allreduce(tensors, options); })->wait();
}

void ProcessGroup::broadcast(torch::Tensor tensor, std::int64_t root) {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    impl_->call([&](auto& pg) { return pg.broadcast(tensors, options); })->wait();
}

void ProcessGroup::barrier() {
    // An all-reduce of one number: Gloo's barrier and NCCL's differ in what they wait for, this
    // waits for the same thing on both. NCCL's wait() only orders the current CUDA stream after
    // the collective; reading the sum back makes this thread wait for every rank too (the
    // checkpoint commit after a barrier relies on it).
    auto one =
        torch::ones({1}, torch::TensorOptions().dtype(torch::kFloat32).device(impl_->device));
    all_reduce_sum(one);
    (void)one.item<float>();
}

void ProcessGroup::store_set(const std::string& key, const std::string& value) {
    impl_->store->set(key, std::vector<std::uint8_t>(value.begin(), value.end()));
}

std::string ProcessGroup::store_get(const std::string& key) {
    const auto bytes = impl_->store->get(key);
    return std::string(bytes.begin(), bytes.end());
}

}  // namespace lathe::core::distributed

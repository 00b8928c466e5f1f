// The process group and the gradient buckets as lathe-train's ranks use them, with the ranks as
// threads of this test: Gloo on the CPU everywhere, and NCCL with one rank per CUDA device where
// this build has NCCL and the machine has enough GPUs (skipped otherwise; CI has none).
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "core/distributed/gradient_buckets.h"
#include "core/distributed/process_group.h"
#include "core/trainer/training_device.h"
#include "tests/test_support.h"

namespace lathe::core::distributed {
namespace {

struct Case {
    bool cuda = false;
    int world_size = 1;
};

// What gtest prints for a case (instead of the struct's bytes, padding included).
void PrintTo(const Case& c, std::ostream* os) {
    *os << (c.cuda ? "nccl" : "gloo") << " x " << c.world_size;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    return std::string(info.param.cuda ? "Nccl" : "Gloo") + std::to_string(info.param.world_size) +
           "Ranks";
}

class ProcessGroupRanks : public ::testing::TestWithParam<Case> {
  protected:
    void SetUp() override {
        const auto& c = GetParam();
        if (!c.cuda)
            return;
        if (!torch::cuda::is_available())
            GTEST_SKIP() << "no CUDA device (the NCCL path runs on a GPU machine)";
        if (!backend_available(torch::Device(torch::kCUDA, 0)))
            GTEST_SKIP() << "this build's libtorch has no NCCL process group";
        if (static_cast<int>(torch::cuda::device_count()) < c.world_size)
            GTEST_SKIP() << c.world_size << " NCCL ranks need as many GPUs";
    }

    // body(rank, device, group) on world_size threads, each joined to one process group.
    void with_ranks(
        const std::function<void(int, torch::Device, std::shared_ptr<ProcessGroup>)>& body) {
        const auto& c = GetParam();
        // Known before rank 0 listens, since every rank's connect() waits for the others.
        const int port = tests::free_tcp_port();
        ASSERT_GT(port, 0);
        std::vector<std::exception_ptr> errors(static_cast<std::size_t>(c.world_size));
        std::vector<std::thread> threads;
        for (int r = 0; r < c.world_size; ++r) {
            threads.emplace_back([&, r] {
                try {
                    WorldInfo world;
                    world.rank = r;
                    world.world_size = c.world_size;
                    world.local_rank = r;
                    world.local_world_size = c.world_size;
                    world.master_port = port;
                    // training_device makes cuda:r this thread's current device, as in a rank.
                    const auto device =
                        c.cuda ? trainer::training_device(r, false) : torch::Device(torch::kCPU);
                    auto group = ProcessGroup::connect(world, device, std::chrono::seconds(60));
                    body(r, device, group);
                } catch (...) {
                    errors[static_cast<std::size_t>(r)] = std::current_exception();
                }
            });
        }
        for (auto& t : threads)
            t.join();
        for (auto& e : errors) {
            if (e)
                std::rethrow_exception(e);
        }
    }
};

TEST_P(ProcessGroupRanks, CollectivesAndTheStore) {
    const int world = GetParam().world_size;
    with_ranks([&](int rank, torch::Device device, std::shared_ptr<ProcessGroup> pg) {
        auto& group = *pg;
        EXPECT_EQ(group.backend(), device.is_cuda() ? "nccl" : "gloo");
        const auto on = torch::TensorOptions().dtype(torch::kFloat32).device(device);
        auto sum = torch::tensor({1.0f, 10.0f}, on) * static_cast<float>(rank + 1);
        group.all_reduce_sum(sum);
        const float ranks_sum = static_cast<float>(world * (world + 1) / 2);
        EXPECT_TRUE(torch::equal(sum.cpu(), torch::tensor({ranks_sum, 10.0f * ranks_sum})));
        auto max = torch::full({3}, static_cast<double>(rank), on.dtype(torch::kFloat64));
        group.all_reduce_max(max);
        EXPECT_EQ(max.cpu()[2].item<double>(), world - 1);
        auto from_zero = torch::full({4}, static_cast<float>(rank + 7), on);
        group.broadcast(from_zero, 0);
        EXPECT_TRUE(torch::equal(from_zero.cpu(), torch::full({4}, 7.0f)));
        if (rank == 0)
            group.store_set("greeting", "from rank 0");
        EXPECT_EQ(group.store_get("greeting"), "from rank 0");
        // The barrier holds this thread until the last rank arrives (NCCL's wait alone would
        // only order the GPU stream): rank 0 commits checkpoints right after one.
        if (rank == world - 1 && world > 1)
            std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        const auto start = std::chrono::steady_clock::now();
        group.barrier();
        const auto waited = std::chrono::steady_clock::now() - start;
        if (rank == 0 && world > 1) {
            EXPECT_GE(waited, std::chrono::milliseconds(800));
        }
    });
}

// Every rank ends with the mean of all ranks' gradients, across several buckets, with a parameter
// that got no gradient reduced as zero; the parameters start as rank 0's.
TEST_P(ProcessGroupRanks, BucketsLeaveTheMeanGradientOnEveryRank) {
    const int world = GetParam().world_size;
    auto inputs_of = [](int rank) {
        return torch::randn({5, 8}, torch::Generator(at::detail::createCPUGenerator(100 + rank)));
    };
    with_ranks([&](int rank, torch::Device device, std::shared_ptr<ProcessGroup> pg) {
        auto& group = *pg;
        torch::nn::Sequential model(torch::nn::Linear(8, 6), torch::nn::Tanh(),
                                    torch::nn::Linear(6, 3));
        torch::nn::Linear unused(3, 3);
        model->to(device);
        unused->to(device);
        auto parameters = model->parameters();
        for (const auto& p : unused->parameters())
            parameters.push_back(p);
        broadcast_parameters(parameters, group);

        // The reference: this rank's copy of the model on every rank's inputs, averaged.
        std::vector<torch::Tensor> expected;
        {
            auto copy = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(model->clone(device));
            for (int r = 0; r < world; ++r)
                copy->forward(inputs_of(r).to(device)).pow(2).sum().backward();
            for (const auto& p : copy->parameters())
                expected.push_back(p.grad().cpu() / static_cast<double>(world));
        }

        GradientBuckets buckets(parameters, pg, /*bucket_bytes=*/100);
        EXPECT_GE(buckets.bucket_count(), 3u);
        buckets.set_sync(true);
        model->forward(inputs_of(rank).to(device)).pow(2).sum().backward();
        buckets.finish();
        const auto got = model->parameters();
        ASSERT_EQ(got.size(), expected.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_TRUE(torch::allclose(got[i].grad().cpu(), expected[i], 1e-5, 1e-6))
                << "rank " << rank << " parameter " << i;
        }
        for (const auto& p : unused->parameters())
            EXPECT_EQ(p.grad().abs().sum().item<double>(), 0.0);
    });
}

INSTANTIATE_TEST_SUITE_P(Backends, ProcessGroupRanks,
                         ::testing::Values(Case{false, 1}, Case{false, 2}, Case{false, 3},
                                           Case{true, 1}, Case{true, 2}),
                         case_name);

}  // namespace
}  // namespace lathe::core::distributed

#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace lathe::ui::dashboard {

// Calls fn(i) for every i in [0, count), spread over up to max_threads threads, the calling one
// included, and returns when all are done. fn must not throw. Meant for a few coarse, independent
// items (one run's curves each): threads are started per call, which costs ~50 us, nothing next
// to the milliseconds an item takes.
template <typename Fn>
void parallel_for(std::size_t count, unsigned max_threads, Fn&& fn) {
    const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t threads =
        std::min<std::size_t>({count, static_cast<std::size_t>(max_threads), hardware});
    if (threads <= 1) {
        for (std::size_t i = 0; i < count; ++i) {
            fn(i);
        }
        return;
    }
    std::atomic<std::size_t> next{0};
    auto drain = [&] {
        for (std::size_t i = next++; i < count; i = next++) {
            fn(i);
        }
    };
    std::vector<std::thread> helpers;
    helpers.reserve(threads - 1);
    for (std::size_t t = 1; t < threads; ++t) {
        helpers.emplace_back(drain);
    }
    drain();
    for (std::thread& helper : helpers) {
        helper.join();
    }
}

}  // namespace lathe::ui::dashboard

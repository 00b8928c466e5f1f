#pragma once

#include <cstddef>
#include <vector>

namespace lathe::ui::dashboard {

// Append-only column stored in chunks of at most kChunkSize elements. Unlike one std::vector,
// growth never copies more than one chunk (no latency spike on the UI thread at 1M points) and the
// unused capacity is bounded by the last chunk, so bytes per point stay close to sizeof(T). The
// last chunk grows geometrically, so a run with 50 points does not pay for a full chunk.
template <typename T>
class ChunkedColumn {
  public:
    static constexpr std::size_t kChunkShift = 16;
    static constexpr std::size_t kChunkSize = std::size_t{1} << kChunkShift;
    static constexpr std::size_t kChunkMask = kChunkSize - 1;

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    const T& operator[](std::size_t i) const { return chunks_[i >> kChunkShift][i & kChunkMask]; }
    T& operator[](std::size_t i) { return chunks_[i >> kChunkShift][i & kChunkMask]; }
    const T& back() const { return (*this)[size_ - 1]; }

    void push_back(const T& value) {
        if (chunks_.empty() || chunks_.back().size() == kChunkSize) {
            chunks_.emplace_back();
        }
        chunks_.back().push_back(value);
        ++size_;
    }

    void clear() {
        chunks_.clear();
        size_ = 0;
    }

    // Calls fn(pointer, count, first_index) for each contiguous piece of [begin, end), so hot
    // loops run over plain arrays instead of paying the chunk lookup per element.
    template <typename Fn>
    void for_each_span(std::size_t begin, std::size_t end, Fn&& fn) const {
        while (begin < end) {
            const std::size_t offset = begin & kChunkMask;
            std::size_t count = kChunkSize - offset;
            if (count > end - begin) {
                count = end - begin;
            }
            fn(chunks_[begin >> kChunkShift].data() + offset, count, begin);
            begin += count;
        }
    }

    std::size_t memory_bytes() const {
        std::size_t bytes = sizeof(*this) + chunks_.capacity() * sizeof(std::vector<T>);
        for (const auto& chunk : chunks_) {
            bytes += chunk.capacity() * sizeof(T);
        }
        return bytes;
    }

  private:
    std::vector<std::vector<T>> chunks_;
    std::size_t size_ = 0;
};

}  // namespace lathe::ui::dashboard

// Mutates a valid safetensors image many times and checks that the reader either accepts it (with
// a self-consistent header) or throws lathe::core::Error: never another exception, a crash, an
// ASan/UBSan report or a hang. Seeded, so a failure reproduces.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <typeinfo>
#include <vector>

#include <gtest/gtest.h>

#include "core/safetensors/file.h"
#include "core/safetensors/header.h"
#include "core/safetensors/writer.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::safetensors {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr int kMutatedImages = 20000;
constexpr int kMutatedFiles = 200;

// A valid image with several dtypes, a 0-rank and an empty tensor and metadata, made by the
// writer under test.
Bytes valid_image() {
    static const float f32[6] = {1, 2, 3, 4, 5, 6};
    static const std::int64_t i64[3] = {-1, 0, 1};
    static const std::uint16_t bf16[4] = {0x3F80, 0x4000, 0x4040, 0x4080};
    static const std::uint8_t flags[3] = {1, 0, 1};
    static const double scalar = 0.5;
    const auto path = (tests::temp_dir("fuzz-seed") / "seed.safetensors").string();
    write_file(path,
               {{"model.embed.weight", DType::F32, {2, 3}, f32, sizeof(f32)},
                {"positions", DType::I64, {3}, i64, sizeof(i64)},
                {"norm.weight", DType::BF16, {2, 2}, bf16, sizeof(bf16)},
                {"mask", DType::Bool, {3}, flags, sizeof(flags)},
                {"temperature", DType::F64, {}, &scalar, sizeof(scalar)},
                {"unused", DType::F16, {0, 4}, nullptr, 0}},
               {{"format", "pt"}, {"note", "fuzz seed"}});
    const std::string text = util::read_file(path);
    return Bytes(text.begin(), text.end());
}

std::uint64_t header_length(const Bytes& image) {
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | image[static_cast<std::size_t>(i)];
    return n;
}

void set_header_length(Bytes& image, std::uint64_t n) {
    for (int i = 0; i < 8; ++i)
        image[static_cast<std::size_t>(i)] = std::uint8_t(n >> (8 * i));
}

class Mutator {
  public:
    explicit Mutator(std::uint64_t seed) : rng_(seed) {}

    void mutate(Bytes& image) {
        const int count = 1 + static_cast<int>(below(3));
        for (int i = 0; i < count; ++i)
            mutate_once(image);
    }

  private:
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }

    // Offsets inside the JSON text when the length field still points inside the image.
    std::pair<std::size_t, std::size_t> json_range(const Bytes& image) {
        if (image.size() < 8)
            return {0, 0};
        const std::uint64_t n = header_length(image);
        const std::size_t end =
            static_cast<std::size_t>(std::min<std::uint64_t>(8 + n, image.size()));
        return {8, end};
    }

    void mutate_once(Bytes& image) {
        static const char kJsonChars[] = "{}[]\",:-0123456789e.E+ntrufals\\ ";
        static const std::vector<std::string> kSnippets = {"\"F32\"",
                                                           "\"F7\"",
                                                           "\"BF16\"",
                                                           "\"F8_E4M3\"",
                                                           "-1",
                                                           "0",
                                                           "18446744073709551615",
                                                           "18446744073709551616",
                                                           "9223372036854775807",
                                                           "4294967296",
                                                           "1e999",
                                                           "2.5",
                                                           "null",
                                                           "[]",
                                                           "{}",
                                                           "\"shape\"",
                                                           "\"dtype\"",
                                                           "\"data_offsets\"",
                                                           "\"__metadata__\"",
                                                           "\"mask\"",
                                                           ",",
                                                           "\\u0000",
                                                           std::string(1, '\0'),
                                                           "\xff",
                                                           "\"",
                                                           "[[[[[[[["};
        switch (below(12)) {
            case 0:  // bit flip
                if (!image.empty())
                    image[below(image.size())] ^= std::uint8_t(1u << below(8));
                break;
            case 1:  // random byte
                if (!image.empty())
                    image[below(image.size())] = std::uint8_t(rng_());
                break;
            case 2:  // truncate
                image.resize(below(image.size() + 1));
                break;
            case 3: {  // insert random bytes
                const std::size_t at = below(image.size() + 1);
                Bytes extra(1 + below(16));
                for (auto& b : extra)
                    b = std::uint8_t(rng_());
                image.insert(image.begin() + static_cast<std::ptrdiff_t>(at), extra.begin(),
                             extra.end());
                break;
            }
            case 4: {  // delete a range
                if (image.empty())
                    break;
                const std::size_t at = below(image.size());
                const std::size_t n = std::min<std::size_t>(1 + below(32), image.size() - at);
                image.erase(image.begin() + static_cast<std::ptrdiff_t>(at),
                            image.begin() + static_cast<std::ptrdiff_t>(at + n));
                break;
            }
            case 5: {  // header length edits
                if (image.size() < 8)
                    break;
                const std::uint64_t n = header_length(image);
                switch (below(6)) {
                    case 0:
                        set_header_length(image, n + 1 + below(16));
                        break;
                    case 1:
                        set_header_length(image, n - std::min<std::uint64_t>(n, 1 + below(16)));
                        break;
                    case 2:
                        set_header_length(image, rng_());
                        break;
                    case 3:
                        set_header_length(image, image.size() - 8 + below(3));
                        break;
                    case 4:
                        set_header_length(image, kMaxHeaderBytes + below(2));
                        break;
                    default:
                        set_header_length(image, below(image.size()));
                        break;
                }
                break;
            }
            case 6: {  // change a digit (offsets, shapes)
                auto [b, e] = json_range(image);
                std::vector<std::size_t> digits;
                for (std::size_t i = b; i < e; ++i) {
                    if (image[i] >= '0' && image[i] <= '9')
                        digits.push_back(i);
                }
                if (!digits.empty())
                    image[digits[below(digits.size())]] = std::uint8_t('0' + below(10));
                break;
            }
            case 7: {  // insert digits next to a digit (makes numbers huge)
                auto [b, e] = json_range(image);
                std::vector<std::size_t> digits;
                for (std::size_t i = b; i < e; ++i) {
                    if (image[i] >= '0' && image[i] <= '9')
                        digits.push_back(i);
                }
                if (digits.empty())
                    break;
                const std::size_t at = digits[below(digits.size())];
                const std::string more(1 + below(20), char('0' + below(10)));
                image.insert(image.begin() + static_cast<std::ptrdiff_t>(at), more.begin(),
                             more.end());
                if (below(2) == 0)
                    set_header_length(image, header_length(image) + more.size());
                break;
            }
            case 8: {  // replace a JSON character with a structural one
                auto [b, e] = json_range(image);
                if (e > b)
                    image[b + below(e - b)] =
                        std::uint8_t(kJsonChars[below(sizeof(kJsonChars) - 1)]);
                break;
            }
            case 9: {  // insert a JSON snippet, keeping the length consistent
                auto [b, e] = json_range(image);
                if (e <= b)
                    break;
                const std::string& s = kSnippets[below(kSnippets.size())];
                const std::size_t at = b + below(e - b);
                image.insert(image.begin() + static_cast<std::ptrdiff_t>(at), s.begin(), s.end());
                set_header_length(image, header_length(image) + s.size());
                break;
            }
            case 10: {  // duplicate a tensor name: copy one quoted key over another
                auto [b, e] = json_range(image);
                const std::string text(image.begin() + static_cast<std::ptrdiff_t>(b),
                                       image.begin() + static_cast<std::ptrdiff_t>(e));
                for (const char* name : {"\"positions\"", "\"norm.weight\"", "\"temperature\""}) {
                    const auto pos = text.find(name);
                    if (pos != std::string::npos && below(2) == 0) {
                        const std::string to = "\"mask\"";
                        Bytes replaced(image.begin(),
                                       image.begin() + static_cast<std::ptrdiff_t>(b + pos));
                        replaced.insert(replaced.end(), to.begin(), to.end());
                        replaced.insert(replaced.end(),
                                        image.begin() + static_cast<std::ptrdiff_t>(
                                                            b + pos + std::strlen(name)),
                                        image.end());
                        const std::uint64_t n = header_length(image);
                        image = std::move(replaced);
                        set_header_length(image, n - std::strlen(name) + to.size());
                        break;
                    }
                }
                break;
            }
            default: {  // append or drop data bytes
                if (below(2) == 0) {
                    image.push_back(std::uint8_t(rng_()));
                } else if (!image.empty()) {
                    image.pop_back();
                }
                break;
            }
        }
    }

    std::mt19937_64 rng_;
};

// An accepted header must describe bytes that are really there.
void check_consistent(const Header& header, std::size_t size) {
    ASSERT_LE(header.data_start, size);
    std::uint64_t cursor = 0;
    for (const auto& t : header.tensors) {
        ASSERT_EQ(t.begin, cursor);
        ASSERT_LE(t.begin, t.end);
        ASSERT_EQ(static_cast<std::uint64_t>(t.numel()) * dtype_size_bytes(t.dtype),
                  t.size_bytes());
        cursor = t.end;
    }
    ASSERT_EQ(header.data_start + cursor, size);
}

TEST(safetensors_fuzz, ParseReturnsAHeaderOrThrowsError) {
    const Bytes seed = valid_image();
    ASSERT_NO_THROW(parse(seed.data(), seed.size(), "seed.safetensors"));
    Mutator mutator(20240601);
    int accepted = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kMutatedImages; ++i) {
        Bytes image = seed;
        mutator.mutate(image);
        try {
            const Header header = parse(image.data(), image.size(), "fuzz.safetensors");
            ++accepted;
            check_consistent(header, image.size());
            if (::testing::Test::HasFatalFailure()) {
                FAIL() << "iteration " << i << " accepted an inconsistent header";
            }
        } catch (const Error& e) {
            if (std::string(e.what()).find("fuzz.safetensors") == std::string::npos) {
                FAIL() << "iteration " << i << ": error without the file name: " << e.what();
            }
        } catch (const std::exception& e) {
            FAIL() << "iteration " << i << ": " << typeid(e).name() << ": " << e.what();
        } catch (...) {
            FAIL() << "iteration " << i << ": unknown exception";
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%d mutated images, %d accepted, %.2f s\n", kMutatedImages, accepted, seconds);
    EXPECT_GT(accepted, 0);  // some mutations (e.g. of data bytes) keep the file valid
    EXPECT_LT(accepted, kMutatedImages / 2);
}

TEST(safetensors_fuzz, FileOpenReturnsAFileOrThrowsError) {
    const Bytes seed = valid_image();
    const auto dir = tests::temp_dir("fuzz-files");
    Mutator mutator(7);
    for (int i = 0; i < kMutatedFiles; ++i) {
        Bytes image = seed;
        mutator.mutate(image);
        const std::string path = (dir / ("m" + std::to_string(i) + ".safetensors")).string();
        {
            std::ofstream out(path, std::ios::binary);
            out.write(reinterpret_cast<const char*>(image.data()),
                      static_cast<std::streamsize>(image.size()));
        }
        try {
            const File file = File::open(path);
            check_consistent(file.header(), image.size());
            for (const auto& t : file.header().tensors) {
                const std::uint8_t* p = file.data(t);
                volatile std::uint8_t sink = 0;
                for (std::uint64_t b = 0; b < t.size_bytes(); ++b)
                    sink = sink ^ p[b];  // ASan reads
                (void)sink;
            }
        } catch (const Error& e) {
            if (std::string(e.what()).find(path) == std::string::npos) {
                FAIL() << path << ": error without the path: " << e.what();
            }
        } catch (const std::exception& e) {
            FAIL() << path << ": " << typeid(e).name() << ": " << e.what();
        }
        std::filesystem::remove(path);
    }
}

}  // namespace
}  // namespace lathe::core::safetensors

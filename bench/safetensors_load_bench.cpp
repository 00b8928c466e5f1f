// Loading a few-hundred-MB safetensors model folder (GPT-2 small, 124M parameters, fp32, ~500 MB)
// against reading the same file with `cat > /dev/null`, both from the page cache, in one run.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/models/model_factory.h"
#include "core/models/model_folder.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Every parameter byte read once: a zero-copy load that never touches its pages would be a lie.
double touch(lathe::core::models::CausalLanguageModel& model) {
    double s = 0.0;
    for (const auto& p : model.parameters())
        s += p.sum().item<double>();
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path dir =
        argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "lathe-bench-gpt2-small";
    const int repeats = 5;
    if (!fs::exists(dir / "model.safetensors")) {
        std::cout << "writing GPT-2 small (124M, fp32) to " << dir << " ...\n";
        auto model = lathe::core::models::create_model(
            lathe::core::models::preset_config("gpt2-small", 50257), 0);
        lathe::core::models::save_model(*model, dir.string());
    }
    const auto file = dir / "model.safetensors";
    const double mb = static_cast<double>(fs::file_size(file)) / 1e6;
    const std::string cat = "cat '" + file.string() + "' > /dev/null";
    if (std::system(cat.c_str()) != 0)
        return 1;  // warm the page cache for both contenders

    double best_cat = 1e9, best_open = 1e9, best_load = 1e9, best_copy = 1e9;
    double checksum = 0.0;
    for (int i = 0; i < repeats; ++i) {
        auto t0 = Clock::now();
        if (std::system(cat.c_str()) != 0)
            return 1;
        best_cat = std::min(best_cat, seconds(t0));

        t0 = Clock::now();
        auto model = lathe::core::models::load_model(dir.string());
        best_open = std::min(best_open, seconds(t0));
        checksum += touch(*model);
        best_load = std::min(best_load, seconds(t0));

        t0 = Clock::now();
        lathe::core::models::LoadOptions to_bf16;
        to_bf16.dtype = torch::kBFloat16;
        auto converted = lathe::core::models::load_model(dir.string(), to_bf16);
        checksum += touch(*converted);
        best_copy = std::min(best_copy, seconds(t0));
    }
    std::printf("file                    %.1f MB (%s)\n", mb, file.c_str());
    std::printf("cat > /dev/null         %8.1f MB/s  (%.3f s, best of %d)\n", mb / best_cat,
                best_cat, repeats);
    std::printf("lathe load (zero-copy)  %8.1f MB/s  (%.3f s, every weight read once)\n",
                mb / best_load, best_load);
    std::printf("  of which load_model   %.3f s (mapping, validation, building the module)\n",
                best_open);
    std::printf("lathe load -> bf16      %8.1f MB/s  (%.3f s, converted copy)\n", mb / best_copy,
                best_copy);
    std::printf("ratio load/cat          %8.2f\n", best_cat / best_load);
    std::printf("(checksum %.3f)\n", checksum);
    return 0;
}

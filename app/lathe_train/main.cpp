// lathe-train: the headless worker. With no arguments it runs the embedded default job.
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/lathe_train/embedded_default.h"
#include "core/util/error.h"

int main(int argc, char** argv) {
    CLI::App app{"lathe-train: the Lathe training worker"};
    lathe::app::EmbeddedDefaultOptions options;
    app.add_option("--output-dir", options.output_dir, "Where the model folder is written");
    app.add_option("--preset", options.preset, "Model size preset (gpt2-tiny, llama-tiny, ...)");
    app.add_option("--block-size", options.block_size, "Tokens per training block");
    app.add_option("--seed", options.seed, "Seed for data split, weights and sampling");
    CLI11_PARSE(app, argc, argv);
    try {
        return lathe::app::run_embedded_default(options);
    } catch (const lathe::core::Error& e) {
        std::cerr << "lathe-train: " << e.what() << "\n";
        return 2;
    }
}

#include "core/run/run_tokenizer.h"

#include <filesystem>

#include "core/util/error.h"

namespace lathe::core::run {

namespace fs = std::filesystem;

std::string tokenizer_file(const ModelSpec& model, const TokenizerSpec& spec) {
    if (spec.byte_level)
        return {};
    std::string path = spec.path;
    if (path.empty() && !model.path.empty())
        path = model.path;
    if (path.empty())
        return {};
    if (fs::is_directory(path)) {
        const auto file = fs::path(path) / "tokenizer.json";
        if (!fs::exists(file)) {
            throw Error(
                "run.json tokenizer: " + path +
                " has no tokenizer.json (set tokenizer.path, or tokenizer.byte_level: true)");
        }
        return file.string();
    }
    return path;
}

tokenizer::Tokenizer load_tokenizer(const ModelSpec& model, const TokenizerSpec& spec) {
    const std::string file = tokenizer_file(model, spec);
    return file.empty() ? tokenizer::Tokenizer::byte_level()
                        : tokenizer::Tokenizer::from_file(file);
}

}  // namespace lathe::core::run

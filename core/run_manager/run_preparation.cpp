#include "core/run_manager/run_preparation.h"

#include <filesystem>

#include "core/training_args/parse.h"
#include "core/training_args/validate.h"
#include "core/util/error.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace lathe::core::run_manager {

namespace {

void require_exists(const std::string& path, const std::string& source, const std::string& field) {
    if (!path.empty() && !fs::exists(path))
        throw Error(source + ": " + field + ": " + path + " does not exist");
}

void check_files(const run::RunConfig& c, const std::string& source) {
    require_exists(c.model.path, source, "model.path");
    require_exists(c.tokenizer.path, source, "tokenizer.path");
    for (std::size_t i = 0; i < c.dataset.train_files.size(); ++i) {
        require_exists(c.dataset.train_files[i], source,
                       "dataset.train_files[" + std::to_string(i) + "]");
    }
    for (std::size_t i = 0; i < c.dataset.eval_files.size(); ++i) {
        require_exists(c.dataset.eval_files[i], source,
                       "dataset.eval_files[" + std::to_string(i) + "]");
    }
    if (!c.dataset.embedded_corpus && c.dataset.train_files.empty())
        throw Error(source + ": dataset: no train_files and embedded_corpus is false");
}

PreparedRun finish(run::ParsedRunConfig parsed, const std::string& source,
                   const std::vector<std::string>& overrides, const ResumeFrom* resume) {
    PreparedRun out;
    out.warnings = parsed.warnings;
    auto args = parsed.args;
    if (resume != nullptr) {
        args.resume_from_checkpoint = resume->checkpoint_path;
        if (resume->max_steps > 0)
            args.max_steps = resume->max_steps;
    }
    training_args::apply_overrides(args, overrides, &out.warnings);
    training_args::validate(args);
    check_files(parsed.config, source);
    if (resume != nullptr && !resume->on_node &&
        !fs::exists(fs::path(resume->checkpoint_path) / "trainer_state.json")) {
        throw Error(resume->checkpoint_path +
                    ": not a complete checkpoint (no trainer_state.json); nothing to resume");
    }
    out.config = std::move(parsed.config);
    out.config.training_args = args.to_json();
    return out;
}

}  // namespace

PreparedRun prepare_run(const std::string& config_path, const std::vector<std::string>& overrides) {
    if (config_path.empty()) {
        auto parsed = run::parse_run_config(run::to_json(run::embedded_default_run_config()),
                                            "embedded default");
        return finish(std::move(parsed), "embedded default", overrides, nullptr);
    }
    if (!fs::exists(config_path))
        throw Error(config_path + ": no such file");
    return finish(run::load_run_config(config_path), config_path, overrides, nullptr);
}

PreparedRun prepare_run_json(const json& run_json, const std::string& source,
                             const std::vector<std::string>& overrides, const ResumeFrom* resume) {
    return finish(run::parse_run_config(run_json, source), source, overrides, resume);
}

json run_json_for_directory(PreparedRun prepared, const std::string& run_dir) {
    prepared.config.training_args["output_dir"] = run_dir;
    return run::to_json(prepared.config);
}

}  // namespace lathe::core::run_manager

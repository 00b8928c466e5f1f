// run.json (core/run): everything needed to start a run again. Errors name the path in the file
// and suggest the closest key; relative paths resolve against the run.json folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/embedded_corpus.h"
#include "core/run/run_config.h"
#include "core/training_args/parse.h"
#include "core/training_args/validate.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::run {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// Every key run.json knows, none at its default.
json full_example() {
    return json::parse(R"({
        "name": "fortunes-gpt2",
        "model": {"preset": "gpt2-small", "config_overrides": {"n_layer": 4, "n_embd": 256}, "dtype": "bfloat16"},
        "tokenizer": {"path": "tok/tokenizer.json", "byte_level": false},
        "dataset": {
            "embedded_corpus": false,
            "train_files": ["data/train.jsonl", "data/more.jsonl"],
            "eval_files": ["data/eval.jsonl"],
            "validation_split_percent": 0.0,
            "format": "jsonl",
            "text_field": "content",
            "txt_sample_by": "separator",
            "txt_separator": "---",
            "block_size": 256,
            "cache_dir": "cache"
        },
        "sample": {"prompt": "Once upon", "max_new_tokens": 20, "temperature": 0.5, "top_k": 10},
        "training_args": {"output_dir": "out", "learning_rate": 0.0003, "max_steps": 50},
        "target": {"kind": "ssh", "host": "gpu-node"}
    })");
}

// A minimal valid run.json to break one piece of.
json minimal() {
    return json::parse(
        R"({"model": {"preset": "gpt2-tiny"}, "dataset": {"train_files": ["a.txt"]}})");
}

std::string error_of(const json& j, const std::string& source = "run.json") {
    try {
        parse_run_config(j, source);
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected an Error for " << j.dump();
    return "";
}

#define EXPECT_CONTAINS(haystack, needle)                            \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
        << "\"" << (haystack) << "\" lacks \"" << (needle) << "\""

TEST(RunConfigParse, AcceptsAFullExample) {
    const auto parsed = parse_run_config(full_example(), "run.json");
    EXPECT_TRUE(parsed.warnings.empty());
    const auto& c = parsed.config;
    EXPECT_EQ(c.name, "fortunes-gpt2");
    EXPECT_EQ(c.model.preset, "gpt2-small");
    EXPECT_EQ(c.model.path, "");
    EXPECT_EQ(c.model.config_overrides, json::parse(R"({"n_layer": 4, "n_embd": 256})"));
    EXPECT_EQ(c.model.dtype, "bfloat16");
    EXPECT_EQ(c.tokenizer.path, "tok/tokenizer.json");
    EXPECT_FALSE(c.tokenizer.byte_level);
    const auto& d = c.dataset;
    EXPECT_FALSE(d.embedded_corpus);
    EXPECT_EQ(d.train_files, (std::vector<std::string>{"data/train.jsonl", "data/more.jsonl"}));
    EXPECT_EQ(d.eval_files, std::vector<std::string>{"data/eval.jsonl"});
    EXPECT_DOUBLE_EQ(d.validation_split_percent, 0.0);
    EXPECT_EQ(d.format, "jsonl");
    EXPECT_EQ(d.text_field, "content");
    EXPECT_EQ(d.txt_sample_by, "separator");
    EXPECT_EQ(d.txt_separator, "---");
    EXPECT_EQ(d.block_size, 256);
    EXPECT_EQ(d.cache_dir, "cache");
    EXPECT_EQ(c.sample.prompt, "Once upon");
    EXPECT_EQ(c.sample.max_new_tokens, 20);
    EXPECT_DOUBLE_EQ(c.sample.temperature, 0.5);
    EXPECT_EQ(c.sample.top_k, 10);
    EXPECT_EQ(c.training_args["learning_rate"], 0.0003);
    EXPECT_EQ(c.target, json::parse(R"({"kind": "ssh", "host": "gpu-node"})"));
    // training_args are read as TrainingArguments on the way in.
    EXPECT_DOUBLE_EQ(parsed.args.learning_rate, 0.0003);
    EXPECT_EQ(parsed.args.max_steps, 50);
    EXPECT_EQ(parsed.args.output_dir, "out");
}

TEST(RunConfigParse, TrainingArgsErrorsNameThePath) {
    json j = minimal();
    j["training_args"] = {{"learnig_rate", 0.1}};
    const auto message = error_of(j);
    EXPECT_EQ(message.rfind("run.json: training_args", 0), 0u) << message;
    EXPECT_CONTAINS(message, "did you mean \"learning_rate\"?");
}

TEST(RunConfigParse, DefaultsOfAMinimalFile) {
    const auto c = parse_run_config(minimal(), "run.json").config;
    const RunConfig defaults;
    EXPECT_EQ(c.name, "");
    EXPECT_FALSE(c.tokenizer.byte_level);
    EXPECT_EQ(c.dataset.block_size, defaults.dataset.block_size);
    EXPECT_DOUBLE_EQ(c.dataset.validation_split_percent, defaults.dataset.validation_split_percent);
    EXPECT_EQ(c.dataset.format, "auto");
    EXPECT_EQ(c.dataset.txt_sample_by, "paragraph");
    EXPECT_EQ(c.sample.prompt, "");
    EXPECT_EQ(c.training_args, json::object());
    EXPECT_EQ(c.target, json::parse(R"({"kind": "local"})"));
}

TEST(RunConfigParse, UnknownKeysSuggestTheClosest) {
    json top = minimal();
    top["datset"] = top["dataset"];
    auto message = error_of(top);
    EXPECT_CONTAINS(message, "run.json");
    EXPECT_CONTAINS(message, "unknown key \"datset\"");
    EXPECT_CONTAINS(message, "did you mean \"dataset\"?");

    json nested = minimal();
    nested["dataset"]["block_sise"] = 64;
    message = error_of(nested);
    EXPECT_CONTAINS(message, "run.json: dataset");
    EXPECT_CONTAINS(message, "unknown key \"block_sise\"");
    EXPECT_CONTAINS(message, "did you mean \"block_size\"?");

    json model = minimal();
    model["model"]["presett"] = "gpt2-tiny";
    message = error_of(model);
    EXPECT_CONTAINS(message, "run.json: model");
    EXPECT_CONTAINS(message, "did you mean \"preset\"?");

    json sample = minimal();
    sample["sample"] = {{"temprature", 0.7}};
    EXPECT_CONTAINS(error_of(sample), "did you mean \"temperature\"?");

    json far = minimal();
    far["completely_unrelated"] = 1;
    message = error_of(far);
    EXPECT_CONTAINS(message, "unknown key \"completely_unrelated\"");
    EXPECT_EQ(message.find("did you mean"), std::string::npos) << message;
}

TEST(RunConfigParse, WrongTypesNameThePath) {
    struct Case {
        std::string pointer;
        json value;
        std::string path;
    };
    const std::vector<Case> cases = {
        {"/dataset/block_size", "128", "run.json: dataset.block_size"},
        {"/dataset/block_size", 128.5, "run.json: dataset.block_size"},
        {"/dataset/block_size", true, "run.json: dataset.block_size"},
        {"/dataset/train_files", "a.txt", "run.json: dataset.train_files"},
        {"/dataset/train_files", json::array({"a.txt", 3}), "run.json: dataset.train_files"},
        {"/dataset/validation_split_percent", "5", "run.json: dataset.validation_split_percent"},
        {"/dataset/validation_split_percent", false, "run.json: dataset.validation_split_percent"},
        {"/dataset/embedded_corpus", 1, "run.json: dataset.embedded_corpus"},
        {"/dataset/format", 3, "run.json: dataset.format"},
        {"/model/preset", 7, "run.json: model.preset"},
        {"/model/dtype", json::array(), "run.json: model.dtype"},
        {"/tokenizer/byte_level", "yes", "run.json: tokenizer.byte_level"},
        {"/sample/max_new_tokens", 8.5, "run.json: sample.max_new_tokens"},
        {"/sample/temperature", "hot", "run.json: sample.temperature"},
        {"/name", 5, "run.json: name"},
    };
    for (const auto& c : cases) {
        json j = minimal();
        j[json::json_pointer(c.pointer)] = c.value;
        const auto message = error_of(j);
        EXPECT_EQ(message.rfind(c.path, 0), 0u)
            << c.pointer << " = " << c.value.dump() << ": " << message;
        EXPECT_CONTAINS(message, c.value.dump());
    }

    json overrides = minimal();
    overrides["model"]["config_overrides"] = json::array();
    EXPECT_CONTAINS(error_of(overrides), "run.json: model.config_overrides");
    json args = minimal();
    args["training_args"] = "lr=3e-4";
    EXPECT_CONTAINS(error_of(args), "run.json: training_args");
    json target = minimal();
    target["target"] = "local";
    EXPECT_CONTAINS(error_of(target), "run.json: target");
    EXPECT_CONTAINS(error_of(json::parse(R"({"model": 3, "dataset": {"train_files": ["a"]}})")),
                    "run.json: model");
    EXPECT_CONTAINS(error_of(json::array()), "run.json");
}

TEST(RunConfigParse, ModelNeedsExactlyOneOfPathAndPreset) {
    json neither = minimal();
    neither["model"] = json::object();
    auto message = error_of(neither);
    EXPECT_CONTAINS(message, "run.json");
    EXPECT_CONTAINS(message, "model needs exactly one of");

    json both = minimal();
    both["model"]["path"] = "models/gpt2";
    EXPECT_CONTAINS(error_of(both), "model needs exactly one of");

    json missing = minimal();
    missing.erase("model");
    EXPECT_CONTAINS(error_of(missing), "model needs exactly one of");

    json path_only = minimal();
    path_only["model"] = {{"path", "models/gpt2"}};
    EXPECT_EQ(parse_run_config(path_only, "run.json").config.model.path, "models/gpt2");
}

TEST(RunConfigParse, DatasetNeedsTrainFilesOrTheEmbeddedCorpus) {
    json none = minimal();
    none["dataset"] = json::object();
    auto message = error_of(none);
    EXPECT_CONTAINS(message, "run.json: dataset");
    EXPECT_CONTAINS(message, "train_files");
    EXPECT_CONTAINS(message, "embedded_corpus");

    json empty = minimal();
    empty["dataset"]["train_files"] = json::array();
    EXPECT_CONTAINS(error_of(empty), "train_files");

    json missing = minimal();
    missing.erase("dataset");
    EXPECT_CONTAINS(error_of(missing), "\"dataset\" is missing");

    json embedded = minimal();
    embedded["dataset"] = {{"embedded_corpus", true}};
    EXPECT_TRUE(parse_run_config(embedded, "run.json").config.dataset.embedded_corpus);

    json tiny_block = minimal();
    tiny_block["dataset"]["block_size"] = 1;
    EXPECT_CONTAINS(error_of(tiny_block), "run.json: dataset.block_size");
}

TEST(RunConfigParse, BadFormatAndSampleByNameTheValueAndThePath) {
    json format = minimal();
    format["dataset"]["format"] = "parquet";
    auto message = error_of(format);
    EXPECT_CONTAINS(message, "run.json: dataset.format");
    EXPECT_CONTAINS(message, "\"parquet\"");
    EXPECT_CONTAINS(message, "jsonl");  // the choices

    json sample_by = minimal();
    sample_by["dataset"]["txt_sample_by"] = "sentence";
    message = error_of(sample_by);
    EXPECT_CONTAINS(message, "run.json: dataset.txt_sample_by");
    EXPECT_CONTAINS(message, "\"sentence\"");
    EXPECT_CONTAINS(message, "paragraph");

    for (const char* f : {"auto", "txt", "jsonl", "json", "csv", "tsv"}) {
        json ok = minimal();
        ok["dataset"]["format"] = f;
        EXPECT_NO_THROW(parse_run_config(ok, "run.json")) << f;
    }
    for (const char* by : {"file", "line", "paragraph", "separator"}) {
        json ok = minimal();
        ok["dataset"]["txt_sample_by"] = by;
        EXPECT_NO_THROW(parse_run_config(ok, "run.json")) << by;
    }
}

TEST(RunConfigParse, TheSourceStartsEveryMessage) {
    json j = minimal();
    j["dataset"]["block_size"] = "x";
    EXPECT_EQ(error_of(j, "/runs/a/run.json").rfind("/runs/a/run.json: dataset.block_size", 0), 0u);
}

TEST(RunConfigLoad, RelativePathsResolveAgainstTheRunJsonFolder) {
    const auto dir = tests::temp_dir("run-load");
    const auto sub = dir / "configs";
    fs::create_directories(sub);
    json j = full_example();
    j["model"] = {{"path", "../models/gpt2"}};
    j["tokenizer"]["path"] = "./tok/tokenizer.json";
    j["dataset"]["train_files"] = {"data/train.jsonl", "/abs/train.jsonl"};
    j["dataset"]["eval_files"] = {"../eval.jsonl"};
    j["dataset"]["cache_dir"] = "cache";
    const auto path = sub / "run.json";
    util::write_file_atomic(path.string(), j.dump(2));

    const auto c = load_run_config(path.string()).config;
    EXPECT_EQ(c.model.path, (dir / "models" / "gpt2").string());
    EXPECT_EQ(c.tokenizer.path, (sub / "tok" / "tokenizer.json").string());
    EXPECT_EQ(
        c.dataset.train_files,
        (std::vector<std::string>{(sub / "data" / "train.jsonl").string(), "/abs/train.jsonl"}));
    EXPECT_EQ(c.dataset.eval_files, std::vector<std::string>{(dir / "eval.jsonl").string()});
    EXPECT_EQ(c.dataset.cache_dir, (sub / "cache").string());
    // Not paths: left as written.
    EXPECT_EQ(c.name, "fortunes-gpt2");
    EXPECT_EQ(c.training_args["output_dir"], "out");
}

TEST(RunConfigLoad, ARelativeRunJsonPathResolvesFromTheCurrentDirectory) {
    const auto dir = tests::temp_dir("run-load-relative");
    util::write_file_atomic((dir / "run.json").string(), minimal().dump());
    const auto previous = fs::current_path();
    fs::current_path(dir.parent_path());
    ParsedRunConfig parsed;
    EXPECT_NO_THROW(parsed = load_run_config((dir.filename() / "run.json").string()));
    fs::current_path(previous);
    ASSERT_EQ(parsed.config.dataset.train_files.size(), 1u);
    EXPECT_EQ(parsed.config.dataset.train_files[0], (dir / "a.txt").string());
}

TEST(RunConfigLoad, ErrorsNameTheFile) {
    const auto dir = tests::temp_dir("run-load-errors");
    const auto bad = (dir / "run.json").string();
    util::write_file_atomic(bad, "{\"model\": {\"preset\": \"gpt2-tiny\"},");
    try {
        load_run_config(bad);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_CONTAINS(e.what(), bad);
        EXPECT_CONTAINS(e.what(), "invalid JSON");
    }

    const auto typo = (dir / "typo.json").string();
    json j = minimal();
    j["dataset"]["block_sise"] = 3;
    util::write_file_atomic(typo, j.dump());
    try {
        load_run_config(typo);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(typo + ": dataset", 0), 0u) << e.what();
    }

    const auto missing = (dir / "nope.json").string();
    try {
        load_run_config(missing);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_CONTAINS(e.what(), missing);
    }
}

TEST(RunConfigParse, ToJsonRoundTrips) {
    const auto original = parse_run_config(full_example(), "run.json").config;
    const json written = to_json(original);
    const auto back = parse_run_config(written, "written run.json").config;
    EXPECT_EQ(to_json(back), written);
    EXPECT_EQ(back.name, original.name);
    EXPECT_EQ(back.model.preset, original.model.preset);
    EXPECT_EQ(back.model.config_overrides, original.model.config_overrides);
    EXPECT_EQ(back.model.dtype, original.model.dtype);
    EXPECT_EQ(back.tokenizer.path, original.tokenizer.path);
    EXPECT_EQ(back.tokenizer.byte_level, original.tokenizer.byte_level);
    EXPECT_EQ(back.dataset.train_files, original.dataset.train_files);
    EXPECT_EQ(back.dataset.eval_files, original.dataset.eval_files);
    EXPECT_DOUBLE_EQ(back.dataset.validation_split_percent,
                     original.dataset.validation_split_percent);
    EXPECT_EQ(back.dataset.format, original.dataset.format);
    EXPECT_EQ(back.dataset.text_field, original.dataset.text_field);
    EXPECT_EQ(back.dataset.txt_sample_by, original.dataset.txt_sample_by);
    EXPECT_EQ(back.dataset.txt_separator, original.dataset.txt_separator);
    EXPECT_EQ(back.dataset.block_size, original.dataset.block_size);
    EXPECT_EQ(back.dataset.cache_dir, original.dataset.cache_dir);
    EXPECT_EQ(back.sample.prompt, original.sample.prompt);
    EXPECT_EQ(back.sample.max_new_tokens, original.sample.max_new_tokens);
    EXPECT_DOUBLE_EQ(back.sample.temperature, original.sample.temperature);
    EXPECT_EQ(back.sample.top_k, original.sample.top_k);
    EXPECT_EQ(back.training_args, original.training_args);
    EXPECT_EQ(back.target, original.target);

    // A path-based model with byte_level and no sample round-trips too.
    RunConfig other;
    other.model.path = "/models/llama";
    other.tokenizer.byte_level = true;
    other.dataset.embedded_corpus = true;
    const auto other_back = parse_run_config(to_json(other), "run.json").config;
    EXPECT_EQ(to_json(other_back), to_json(other));
    EXPECT_EQ(other_back.model.path, "/models/llama");
    EXPECT_TRUE(other_back.tokenizer.byte_level);
    EXPECT_TRUE(other_back.dataset.embedded_corpus);
}

TEST(RunConfigDataset, MapsEveryField) {
    const auto spec = parse_run_config(full_example(), "run.json").config.dataset;
    const auto o = to_dataset_options(spec, 1234);
    EXPECT_EQ(o.train_files, spec.train_files);
    EXPECT_EQ(o.eval_files, spec.eval_files);
    EXPECT_DOUBLE_EQ(o.validation_split_percent, 0.0);
    EXPECT_EQ(o.text.format, data::TextFormat::Jsonl);
    EXPECT_EQ(o.text.text_field, "content");
    EXPECT_EQ(o.text.txt_sample_by, data::TxtSampleBy::SeparatorLine);
    EXPECT_EQ(o.text.txt_separator, "---");
    EXPECT_EQ(o.block_size, 256);
    EXPECT_EQ(o.seed, 1234u);
    EXPECT_EQ(o.cache_dir, "cache");

    DatasetSpec txt;
    txt.train_files = {"a.txt"};
    txt.format = "txt";
    txt.txt_sample_by = "line";
    const auto t = to_dataset_options(txt, 7);
    EXPECT_EQ(t.text.format, data::TextFormat::Txt);
    EXPECT_EQ(t.text.txt_sample_by, data::TxtSampleBy::Line);
    EXPECT_EQ(t.cache_dir, "")
        << "empty: the data library picks .lathe-cache beside the train file";
}

bool has_fortunes() {
    return fs::is_directory(data::kEmbeddedCorpusDir);
}

// Sets an environment variable for one test.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(RunConfigDataset, TheEmbeddedCorpusCachesInTheUserCacheDir) {
    if (!has_fortunes())
        GTEST_SKIP() << data::kEmbeddedCorpusDir << " is absent (apt-get install fortunes)";
    const auto cache_home = tests::temp_dir("run-xdg-cache");
    ScopedEnv xdg("XDG_CACHE_HOME", cache_home.string());
    DatasetSpec spec;
    spec.embedded_corpus = true;
    spec.format = "csv";  // the corpus has its own text options
    spec.block_size = 64;
    const auto o = to_dataset_options(spec, 5);
    EXPECT_EQ(o.train_files, data::embedded_corpus_files());
    ASSERT_FALSE(o.train_files.empty());
    EXPECT_EQ(fs::path(o.train_files[0]).parent_path(), fs::path(data::kEmbeddedCorpusDir));
    const auto corpus_text = data::embedded_corpus_text_options();
    EXPECT_EQ(o.text.format, corpus_text.format);
    EXPECT_EQ(o.text.txt_sample_by, corpus_text.txt_sample_by);
    EXPECT_EQ(o.text.txt_separator, corpus_text.txt_separator);
    EXPECT_EQ(o.block_size, 64);
    EXPECT_EQ(o.seed, 5u);
    // /usr/share is not ours to write: the cache goes to $XDG_CACHE_HOME/lathe.
    EXPECT_EQ(fs::path(o.cache_dir), cache_home / "lathe");
    EXPECT_NE(o.cache_dir.rfind("/usr/share", 0), 0u);

    spec.cache_dir = "/tmp/explicit-cache";
    EXPECT_EQ(to_dataset_options(spec, 5).cache_dir, "/tmp/explicit-cache")
        << "an explicit cache_dir wins";
}

TEST(RunConfigDefault, ParsesAfterToJsonAndItsTrainingArgsAreAccepted) {
    const RunConfig c = embedded_default_run_config();
    EXPECT_EQ(c.model.preset, "gpt2-tiny");
    EXPECT_TRUE(c.tokenizer.byte_level);
    EXPECT_TRUE(c.dataset.embedded_corpus);
    EXPECT_FALSE(c.sample.prompt.empty());

    const json written = to_json(c);
    ParsedRunConfig parsed;
    ASSERT_NO_THROW(parsed = parse_run_config(written, "embedded default"));
    EXPECT_TRUE(parsed.warnings.empty());
    EXPECT_EQ(to_json(parsed.config), written);

    const auto args =
        training_args::from_json(parsed.config.training_args, "embedded default training_args");
    EXPECT_TRUE(args.warnings.empty()) << args.warnings.front();
    EXPECT_NO_THROW(training_args::validate(args.args));
    EXPECT_EQ(args.args.max_steps, 300);
    EXPECT_EQ(args.args.eval_strategy, "steps");
    EXPECT_EQ(args.args.save_total_limit, std::optional<std::int64_t>(2));
    EXPECT_EQ(args.args.output_dir, "lathe-runs/embedded-default");
}

}  // namespace
}  // namespace lathe::core::run

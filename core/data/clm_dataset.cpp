#include "core/data/clm_dataset.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/data/clm_cache.h"
#include "core/data/permutation.h"
#include "core/util/error.h"
#include "core/util/sha256.h"

namespace lathe::core::data {
namespace {

namespace fs = std::filesystem;

std::string number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

void check_files(const std::vector<std::string>& files, const std::string& field,
                 const TextSourceOptions& text) {
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::string name = "dataset." + field + "[" + std::to_string(i) + "]";
        if (files[i].empty())
            throw Error(name + " is empty");
        try {
            resolve_format(files[i], text);
        } catch (const Error& e) {
            throw Error(name + ": " + e.what());
        }
    }
}

void check_exist(const std::vector<std::string>& files, const std::string& field) {
    for (std::size_t i = 0; i < files.size(); ++i) {
        std::error_code ec;
        if (!fs::is_regular_file(files[i], ec)) {
            throw Error("dataset." + field + "[" + std::to_string(i) + "] = " + files[i] + ": " +
                        (fs::exists(files[i], ec) ? "not a regular file" : "no such file"));
        }
    }
}

std::string cache_key(const DatasetOptions& options, const tokenizer::Tokenizer& tokenizer) {
    auto sources = [&](const std::vector<std::string>& files) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& file : files) {
            list.push_back(
                {to_string(resolve_format(file, options.text)), util::sha256_file_hex(file)});
        }
        return list;
    };
    // Everything that changes the blocks, and nothing else: paths are left out so that a moved
    // corpus keeps its cache, while content hashes catch any edit.
    nlohmann::json key = {
        {"cache", "lathe causal-lm blocks v1"},
        {"train", sources(options.train_files)},
        {"eval", sources(options.eval_files)},
        {"text_field", options.text.text_field},
        {"txt_sample_by", to_string(options.text.txt_sample_by)},
        {"txt_separator", options.text.txt_separator},
        {"seed", options.seed},
        {"tokenizer", tokenizer.fingerprint()},
        {"block_size", options.block_size},
    };
    if (options.eval_files.empty()) {
        key["validation_split_percent"] = options.validation_split_percent;
    }
    return util::sha256_hex(key.dump());
}

bool usable_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    return fs::is_directory(dir, ec) && ::access(dir.c_str(), W_OK) == 0;
}

std::vector<std::string> read_all(const std::vector<std::string>& files,
                                  const TextSourceOptions& text) {
    std::vector<std::string> docs;
    for (const auto& file : files) {
        auto more = read_documents(file, text);
        docs.insert(docs.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
    }
    return docs;
}

}  // namespace

void validate(const DatasetOptions& options) {
    if (options.train_files.empty()) {
        throw Error("dataset.train_files is empty: give at least one text file");
    }
    check_files(options.train_files, "train_files", options.text);
    check_files(options.eval_files, "eval_files", options.text);
    if (options.block_size <= 0) {
        throw Error("dataset.block_size = " + std::to_string(options.block_size) +
                    " must be at least 1");
    }
    if (options.max_model_positions > 0 && options.block_size > options.max_model_positions) {
        throw Error("dataset.block_size = " + std::to_string(options.block_size) +
                    " exceeds the model's max_position_embeddings " +
                    std::to_string(options.max_model_positions));
    }
    const double percent = options.validation_split_percent;
    if (!std::isfinite(percent) || percent < 0.0 || percent >= 100.0) {
        throw Error("dataset.validation_split_percent = " + number(percent) +
                    " must be at least 0 and below 100");
    }
    if (options.text.text_field.empty()) {
        throw Error("dataset.text.text_field is empty: name the JSON field or CSV column");
    }
    if (options.text.txt_sample_by == TxtSampleBy::SeparatorLine &&
        options.text.txt_separator.empty()) {
        throw Error(
            "dataset.text.txt_separator is empty: sample_by separator needs the line that "
            "separates samples");
    }
}

DocumentSplit split_documents(std::int64_t n, double validation_percent, std::uint64_t seed) {
    DocumentSplit split;
    if (n <= 0)
        return split;
    if (validation_percent <= 0.0) {
        split.train.resize(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i)
            split.train[static_cast<std::size_t>(i)] = i;
        return split;
    }
    const double exact = static_cast<double>(n) * validation_percent / 100.0;
    // The tolerance keeps 5% of 100 at 5 when the product rounds to 5.000000000000001.
    auto k = static_cast<std::int64_t>(std::ceil(exact - 1e-9 * std::max(1.0, exact)));
    k = n >= 2 ? std::clamp<std::int64_t>(k, 1, n - 1) : std::min<std::int64_t>(k, n);
    const auto order = seeded_permutation(n, seed);
    split.validation.assign(order.begin(), order.begin() + k);
    split.train.assign(order.begin() + k, order.end());
    return split;
}

std::vector<std::int32_t> tokenize_documents(const std::vector<const std::string*>& documents,
                                             const tokenizer::Tokenizer& tokenizer) {
    const auto eos = tokenizer.eos_token_id();
    const std::size_t n = documents.size();
    const std::size_t threads =
        std::max<std::size_t>(1, std::min<std::size_t>(std::thread::hardware_concurrency(), n));
    // Contiguous ranges of about equal bytes keep the output in document order.
    std::size_t total_bytes = 0;
    for (const auto* doc : documents)
        total_bytes += doc->size();
    std::vector<std::size_t> bounds{0};
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < n && bounds.size() < threads; ++i) {
        bytes += documents[i]->size();
        if (bytes * threads >= total_bytes * bounds.size())
            bounds.push_back(i + 1);
    }
    if (bounds.back() != n)
        bounds.push_back(n);

    const std::size_t parts = bounds.size() - 1;
    std::vector<std::vector<std::int32_t>> pieces(parts);
    std::vector<std::exception_ptr> errors(parts);
    auto work = [&](std::size_t part) {
        try {
            for (std::size_t i = bounds[part]; i < bounds[part + 1]; ++i) {
                const auto ids = tokenizer.encode(*documents[i], /*add_special_tokens=*/false);
                pieces[part].insert(pieces[part].end(), ids.begin(), ids.end());
                if (eos)
                    pieces[part].push_back(*eos);
            }
        } catch (...) {
            errors[part] = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    for (std::size_t part = 1; part < parts; ++part)
        pool.emplace_back(work, part);
    if (parts > 0)
        work(0);
    for (auto& t : pool)
        t.join();
    for (const auto& e : errors) {
        if (e)
            std::rethrow_exception(e);
    }
    if (parts == 1)
        return std::move(pieces[0]);
    std::size_t size = 0;
    for (const auto& p : pieces)
        size += p.size();
    std::vector<std::int32_t> tokens;
    tokens.reserve(size);
    for (auto& p : pieces) {
        tokens.insert(tokens.end(), p.begin(), p.end());
        std::vector<std::int32_t>().swap(p);
    }
    return tokens;
}

std::string resolve_cache_dir(const DatasetOptions& options) {
    if (!options.cache_dir.empty()) {
        if (!usable_dir(options.cache_dir)) {
            throw Error("dataset.cache_dir = " + options.cache_dir +
                        ": cannot create it or write to it");
        }
        return options.cache_dir;
    }
    if (!options.train_files.empty()) {
        std::error_code ec;
        const fs::path beside =
            fs::absolute(options.train_files.front(), ec).parent_path() / ".lathe-cache";
        if (!ec && usable_dir(beside))
            return beside.string();
    }
    return user_cache_dir();
}

std::string user_cache_dir() {
    fs::path base;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && fs::path(xdg).is_absolute()) {
        base = xdg;
    } else if (const char* home = std::getenv("HOME"); home && *home) {
        base = fs::path(home) / ".cache";
    }
    if (!base.empty() && usable_dir(base / "lathe"))
        return (base / "lathe").string();
    return "";
}

std::string cache_file_name(const DatasetOptions& options, const tokenizer::Tokenizer& tokenizer) {
    return "clm-" + cache_key(options, tokenizer) + ".bin";
}

PreparedDataset prepare_causal_lm(const DatasetOptions& options,
                                  const tokenizer::Tokenizer& tokenizer) {
    validate(options);
    check_exist(options.train_files, "train_files");
    check_exist(options.eval_files, "eval_files");

    PreparedDataset out;
    std::string key;
    if (options.use_cache) {
        key = cache_key(options, tokenizer);
        const std::string dir = resolve_cache_dir(options);
        if (dir.empty()) {
            out.cache_note =
                "no writable cache directory (beside the data, $XDG_CACHE_HOME/lathe "
                "or ~/.cache/lathe); the dataset is not cached";
        } else {
            out.cache_file = (fs::path(dir) / ("clm-" + key + ".bin")).string();
            std::error_code ec;
            if (fs::exists(out.cache_file, ec)) {
                std::string problem;
                if (auto cached =
                        load_clm_cache(out.cache_file, key, options.block_size, &problem)) {
                    out.train = std::move(cached->train);
                    out.validation = std::move(cached->validation);
                    out.train_documents = cached->train_documents;
                    out.validation_documents = cached->validation_documents;
                    out.documents = out.train_documents + out.validation_documents;
                    out.from_cache = true;
                    return out;
                }
                out.cache_note = problem + "; rebuilt";
            }
        }
    }

    const auto train_docs = read_all(options.train_files, options.text);
    const auto eval_docs = read_all(options.eval_files, options.text);
    std::vector<const std::string*> train, validation;
    if (options.eval_files.empty()) {
        const auto n = static_cast<std::int64_t>(train_docs.size());
        if (options.validation_split_percent > 0.0 && n < 2) {
            throw Error("dataset: train_files hold " + std::to_string(n) +
                        " document, too few to hold out validation_split_percent = " +
                        number(options.validation_split_percent) +
                        "; add documents, give eval_files or set validation_split_percent = 0");
        }
        const auto split = split_documents(n, options.validation_split_percent, options.seed);
        for (auto i : split.train)
            train.push_back(&train_docs[static_cast<std::size_t>(i)]);
        for (auto i : split.validation) {
            validation.push_back(&train_docs[static_cast<std::size_t>(i)]);
        }
    } else {
        for (const auto& doc : train_docs)
            train.push_back(&doc);
        for (const auto& doc : eval_docs)
            validation.push_back(&doc);
    }
    out.train_documents = static_cast<std::int64_t>(train.size());
    out.validation_documents = static_cast<std::int64_t>(validation.size());
    out.documents = out.train_documents + out.validation_documents;

    auto blocks = [&](const std::vector<const std::string*>& docs, const std::string& name,
                      const std::string& hint) {
        auto tokens = tokenize_documents(docs, tokenizer);
        if (static_cast<std::int64_t>(tokens.size()) < options.block_size) {
            throw Error("dataset: " + name + " has " + std::to_string(tokens.size()) +
                        " tokens, fewer than block_size " + std::to_string(options.block_size) +
                        "; " + hint);
        }
        return TokenBlocks::owned(std::move(tokens), options.block_size);
    };
    out.train = blocks(train, "train split", "lower block_size or add training text");
    if (!options.eval_files.empty()) {
        out.validation = blocks(validation, "validation split (eval_files)",
                                "lower block_size or add text to eval_files");
    } else if (!validation.empty()) {
        out.validation =
            blocks(validation, "validation split",
                   "lower block_size, raise validation_split_percent or give eval_files");
    }

    if (!out.cache_file.empty()) {
        try {
            write_clm_cache(
                out.cache_file, key,
                {out.train, out.validation, out.train_documents, out.validation_documents});
        } catch (const Error& e) {
            out.cache_note = std::string("cache not written: ") + e.what();
            out.cache_file.clear();
        }
    }
    return out;
}

}  // namespace lathe::core::data

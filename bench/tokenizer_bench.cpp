// Tokenizer encode throughput on the embedded corpus. Writes the exact documents it encoded to
// a JSON file so that bench/tokenizer_bench.py encodes the same text with Python `tokenizers`;
// bench/run-tokenizer-bench.sh runs both and prints the ratio.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "core/data/clm_dataset.h"
#include "core/data/embedded_corpus.h"
#include "core/tokenizer/tokenizer.h"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: bench_tokenizer TOKENIZER_JSON DOCUMENTS_OUT_JSON\n";
        return 2;
    }
    namespace data = lathe::core::data;
    auto tokenizer = lathe::core::tokenizer::Tokenizer::from_file(argv[1]);
    std::vector<std::string> documents;
    for (const auto& file : data::embedded_corpus_files()) {
        auto docs = data::read_documents(file, data::embedded_corpus_text_options());
        documents.insert(documents.end(), docs.begin(), docs.end());
    }
    std::size_t bytes = 0;
    std::string joined;
    for (const auto& d : documents) {
        bytes += d.size();
        joined += d;
        joined += "\n";
    }
    std::ofstream(argv[2]) << nlohmann::json(documents).dump();

    const int repeats = 3;
    double best_single = 1e9, best_batch = 1e9;
    std::size_t tokens_single = 0, tokens_batch = 0;
    std::vector<const std::string*> pointers;
    for (const auto& d : documents)
        pointers.push_back(&d);
    for (int i = 0; i < repeats; ++i) {
        // A fresh tokenizer each time: its word cache must not carry over between repeats.
        auto fresh = lathe::core::tokenizer::Tokenizer::from_file(argv[1]);
        auto t0 = Clock::now();
        tokens_single = fresh.encode(joined, false).size();
        best_single =
            std::min(best_single, std::chrono::duration<double>(Clock::now() - t0).count());

        auto fresh_batch = lathe::core::tokenizer::Tokenizer::from_file(argv[1]);
        t0 = Clock::now();
        // tokenize_documents appends EOS after each document; Python's encode_batch does not.
        tokens_batch = data::tokenize_documents(pointers, fresh_batch).size() -
                       (fresh_batch.eos_token_id() ? documents.size() : 0);
        best_batch = std::min(best_batch, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::printf(
        "{\"documents\": %zu, \"bytes\": %zu, \"single_seconds\": %.6f, \"single_tokens\": %zu, "
        "\"batch_seconds\": %.6f, \"batch_tokens\": %zu}\n",
        documents.size(), bytes, best_single, tokens_single, best_batch, tokens_batch);
    return 0;
}

#include "core/tokenizer/normalizer.h"

#include <vector>

#include "core/util/error.h"

#ifdef LATHE_TOKENIZER_HAVE_ICU
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#endif

namespace lathe::core::tokenizer {

namespace {

constexpr const char* kSupported = "NFC, NFD, NFKC, NFKD, Sequence";

#ifdef LATHE_TOKENIZER_HAVE_ICU
class UnicodeForm : public Normalizer {
  public:
    UnicodeForm(const icu::Normalizer2* form, std::string name)
        : form_(form), name_(std::move(name)) {}

    void normalize(std::string_view text, std::string& out) const override {
        out.clear();
        UErrorCode status = U_ZERO_ERROR;
        const icu::StringPiece piece(text.data(), static_cast<std::int32_t>(text.size()));
        if (form_->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) {
            out.assign(text);
            return;
        }
        status = U_ZERO_ERROR;
        icu::StringByteSink<std::string> sink(&out);
        form_->normalizeUTF8(0, piece, sink, nullptr, status);
        if (U_FAILURE(status)) {
            throw Error("tokenizer normalizer " + name_ + " failed: " + u_errorName(status));
        }
    }

  private:
    const icu::Normalizer2* form_;
    std::string name_;
};
#endif

class SequenceNormalizer : public Normalizer {
  public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<const Normalizer>> parts)
        : parts_(std::move(parts)) {}

    void normalize(std::string_view text, std::string& out) const override {
        out.assign(text);
        std::string next;
        for (const auto& part : parts_) {
            part->normalize(out, next);
            out.swap(next);
        }
    }

  private:
    std::vector<std::unique_ptr<const Normalizer>> parts_;
};

std::unique_ptr<const Normalizer> unicode_form(const JsonFields& fields, const std::string& type) {
#ifdef LATHE_TOKENIZER_HAVE_ICU
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* form = nullptr;
    if (type == "NFC")
        form = icu::Normalizer2::getNFCInstance(status);
    if (type == "NFD")
        form = icu::Normalizer2::getNFDInstance(status);
    if (type == "NFKC")
        form = icu::Normalizer2::getNFKCInstance(status);
    if (type == "NFKD")
        form = icu::Normalizer2::getNFKDInstance(status);
    if (form == nullptr || U_FAILURE(status)) {
        fields.fail_field("type",
                          "\"" + type + "\" could not be loaded from ICU: " + u_errorName(status));
    }
    return std::make_unique<UnicodeForm>(form, type);
#else
    fields.fail_field("type", "\"" + type +
                                  "\" is not supported: this build of Lathe has no ICU (install "
                                  "libicu-dev and reconfigure)");
#endif
}

}  // namespace

bool Normalizer::unicode_forms_available() {
#ifdef LATHE_TOKENIZER_HAVE_ICU
    return true;
#else
    return false;
#endif
}

std::unique_ptr<const Normalizer> Normalizer::from_json(const JsonFields& fields) {
    const std::string type = fields.type();
    if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
        return unicode_form(fields, type);
    }
    if (type == "Sequence") {
        const nlohmann::json& list = fields.required("normalizers");
        if (!list.is_array())
            fields.fail_field("normalizers", "must be an array");
        std::vector<std::unique_ptr<const Normalizer>> parts;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const JsonFields part(list[i], fields.source(),
                                  fields.child_path("normalizers") + "[" + std::to_string(i) + "]");
            parts.push_back(from_json(part));
        }
        return std::make_unique<SequenceNormalizer>(std::move(parts));
    }
    fields.unsupported_type(type, kSupported);
}

}  // namespace lathe::core::tokenizer

#include "core/util/sha256.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "core/util/error.h"

namespace lathe::core::util {
namespace {

struct Digest {
    Digest() : ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
            throw Error("sha256: OpenSSL digest initialisation failed");
        }
    }
    void update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx.get(), data, n); }
    std::string hex() {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx.get(), out, &len);
        static const char* digits = "0123456789abcdef";
        std::string s;
        s.reserve(len * 2);
        for (unsigned int i = 0; i < len; ++i) {
            s.push_back(digits[out[i] >> 4]);
            s.push_back(digits[out[i] & 15]);
        }
        return s;
    }
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx;
};

}  // namespace

struct Sha256::Impl {
    Digest digest;
};
Sha256::Sha256() : impl_(new Impl) {}
Sha256::~Sha256() {
    delete impl_;
}
void Sha256::update(const void* data, std::size_t bytes) {
    impl_->digest.update(data, bytes);
}
std::string Sha256::hex() {
    return impl_->digest.hex();
}

std::string sha256_hex(std::string_view bytes) {
    Digest d;
    d.update(bytes.data(), bytes.size());
    return d.hex();
}

std::string sha256_file_hex(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(path + ": cannot open: " + std::strerror(errno));
    }
    Digest d;
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        d.update(buf.data(), static_cast<std::size_t>(in.gcount()));
    }
    return d.hex();
}

}  // namespace lathe::core::util

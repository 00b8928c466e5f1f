#include "core/registry/metric_chunks.h"

#include <algorithm>
#include <cstring>

#include "core/util/error.h"

namespace lathe::core::registry {
namespace {

// Little-endian whatever the host, so that a registry file can move between machines. On a
// little-endian host (all Lathe runs on) these are plain 8-byte moves.
constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
char* put64(char* out, std::uint64_t v) {
    if constexpr (kLittleEndian) {
        std::memcpy(out, &v, sizeof v);
    } else {
        for (int i = 0; i < 8; ++i)
            out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    return out + 8;
}
std::uint64_t get64(const char* in) {
    std::uint64_t v = 0;
    if constexpr (kLittleEndian) {
        std::memcpy(&v, in, sizeof v);
    } else {
        for (int i = 0; i < 8; ++i)
            v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
    }
    return v;
}
// LEB128: 7 bits a byte, low first; the high bit says more follow.
char* put_varint(char* out, std::uint64_t v) {
    while (v >= 0x80) {
        *out++ = static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    *out++ = static_cast<char>(v);
    return out;
}
bool get_varint(const char*& in, const char* end, std::uint64_t& v) {
    if (in != end && !(static_cast<unsigned char>(*in) & 0x80)) {
        v = static_cast<unsigned char>(*in++);  // the common one-byte case
        return true;
    }
    v = 0;
    for (int shift = 0; in != end && shift < 64; shift += 7) {
        const auto byte = static_cast<unsigned char>(*in++);
        v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}
// Steps may go back (a resumed run): signed deltas, small either way.
std::uint64_t zigzag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t v) {
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

std::uint64_t bits(double d) {
    std::uint64_t v;
    std::memcpy(&v, &d, sizeof v);
    return v;
}
double real(std::uint64_t v) {
    double d;
    std::memcpy(&d, &v, sizeof d);
    return d;
}

bool by_seq(const MetricPoint& a, const MetricPoint& b) {
    return a.seq < b.seq;
}

}  // namespace

std::string encode_chunk(const MetricPoint* begin, const MetricPoint* end) {
    std::string blob;
    blob.reserve(static_cast<std::size_t>(end - begin) * 28);
    char buffer[3 * 10 + 3 * 8];
    std::int64_t seq = begin != end ? begin->seq : 0;
    std::int64_t step = 0;
    for (const MetricPoint* p = begin; p != end; ++p) {
        char* out = buffer;
        // seq only grows within a chunk: (gap << 1) | epoch present, usually one byte.
        out = put_varint(out, (static_cast<std::uint64_t>(p->seq - seq) << 1) | (p->epoch ? 1 : 0));
        out = put_varint(out, zigzag(p->step - step));
        if (p->epoch)
            out = put64(out, bits(*p->epoch));
        out = put64(out, bits(p->time));
        out = put64(out, bits(p->value));
        blob.append(buffer, static_cast<std::size_t>(out - buffer));
        seq = p->seq;
        step = p->step;
    }
    return blob;
}

bool decode_chunk(std::string_view blob, std::int64_t first_seq, std::vector<MetricPoint>& out) {
    const char* in = blob.data();
    const char* end = blob.data() + blob.size();
    std::int64_t seq = first_seq;
    std::int64_t step = 0;
    while (in != end) {
        std::uint64_t head = 0, step_delta = 0;
        if (!get_varint(in, end, head) || !get_varint(in, end, step_delta))
            return false;
        const bool has_epoch = (head & 1) != 0;
        if (static_cast<std::size_t>(end - in) < (has_epoch ? 24u : 16u))
            return false;
        MetricPoint& p = out.emplace_back();
        seq += static_cast<std::int64_t>(head >> 1);
        step += unzigzag(step_delta);
        p.seq = seq;
        p.step = step;
        if (has_epoch) {
            p.epoch = real(get64(in));
            in += 8;
        }
        p.time = real(get64(in));
        p.value = real(get64(in + 8));
        in += 16;
    }
    return true;
}

std::int64_t merge_metric_points(sqlite::Database& db, std::int64_t run, std::int64_t key,
                                 std::vector<MetricPoint>& points) {
    if (points.empty())
        return 0;
    // Stable, so that of repeated seqs the first given stays first and unique() keeps it.
    std::stable_sort(points.begin(), points.end(), by_seq);
    points.erase(
        std::unique(points.begin(), points.end(),
                    [](const MetricPoint& a, const MetricPoint& b) { return a.seq == b.seq; }),
        points.end());
    const std::int64_t lo = points.front().seq;
    const std::int64_t hi = points.back().seq;

    // The merge starts at the chunk that holds (or precedes) lo, unless that one is full and
    // ends before lo: appending then starts a new chunk and leaves the full one untouched.
    std::int64_t from = lo;
    auto& holder = db.cached(
        "SELECT first_seq, last_seq, count FROM metric_chunks WHERE run = ?1 AND key = ?2 AND "
        "first_seq <= ?3 ORDER BY first_seq DESC LIMIT 1");
    holder.bind(1, run).bind(2, key).bind(3, lo);
    if (holder.step()) {
        const bool full_before =
            holder.int64(1) < lo && holder.int64(2) >= static_cast<std::int64_t>(kChunkPoints);
        if (!full_before)
            from = holder.int64(0);
    }
    holder.reset();

    // Every chunk starting in [from, hi]; the last may reach past hi, and is rewritten whole.
    std::vector<MetricPoint> stored;
    auto& read = db.cached(
        "SELECT first_seq, data FROM metric_chunks WHERE run = ?1 AND key = ?2 AND first_seq "
        "BETWEEN ?3 AND ?4 ORDER BY first_seq");
    read.bind(1, run).bind(2, key).bind(3, from).bind(4, hi);
    while (read.step()) {
        if (!decode_chunk(read.blob(1), read.int64(0), stored)) {
            read.reset();
            throw Error(db.path() + ": a metric chunk of run #" + std::to_string(run) +
                        " is damaged");
        }
    }
    read.reset();

    std::vector<MetricPoint> merged;
    std::int64_t added = 0;
    if (stored.empty()) {
        added = static_cast<std::int64_t>(points.size());
    } else {
        merged.reserve(stored.size() + points.size());
        auto s = stored.begin();
        for (const MetricPoint& p : points) {
            while (s != stored.end() && s->seq < p.seq)
                merged.push_back(*s++);
            if (s != stored.end() && s->seq == p.seq)
                continue;  // already stored: kept as it is
            merged.push_back(p);
            ++added;
        }
        merged.insert(merged.end(), s, stored.end());
        if (added == 0)
            return 0;
        db.cached(
              "DELETE FROM metric_chunks WHERE run = ?1 AND key = ?2 AND first_seq BETWEEN ?3 "
              "AND ?4")
            .bind(1, run)
            .bind(2, key)
            .bind(3, from)
            .bind(4, hi)
            .run();
    }

    const std::vector<MetricPoint>& out = stored.empty() ? points : merged;
    auto& insert = db.cached(
        "INSERT INTO metric_chunks(run, key, first_seq, last_seq, count, data) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6)");
    for (std::size_t i = 0; i < out.size(); i += kChunkPoints) {
        const std::size_t n = std::min(kChunkPoints, out.size() - i);
        const std::string blob = encode_chunk(out.data() + i, out.data() + i + n);
        insert.bind(1, run).bind(2, key).bind(3, out[i].seq).bind(4, out[i + n - 1].seq);
        insert.bind(5, static_cast<std::int64_t>(n)).bind_blob(6, blob.data(), blob.size());
        insert.run();
    }
    return added;
}

void read_metric_series(const sqlite::Database& db, std::int64_t run, std::int64_t key,
                        const std::string& what, std::vector<MetricPoint>& out,
                        std::int64_t after_seq) {
    // Chunks hold consecutive seq ranges: the one that starts at or before after_seq may hold
    // newer points, every later one does. Both bounds use the primary key (run, key, first_seq).
    auto& first = db.cached(
        "SELECT coalesce(max(first_seq), 0) FROM metric_chunks WHERE run = ?1 AND key = ?2 AND "
        "first_seq <= ?3");
    first.bind(1, run).bind(2, key).bind(3, after_seq);
    first.step();
    const std::int64_t from_seq = first.int64(0);
    first.reset();
    // One allocation for the points read: their number is in the chunk rows, read without the
    // blobs.
    auto& count = db.cached(
        "SELECT coalesce(sum(count), 0) FROM metric_chunks WHERE run = ?1 AND key = ?2 AND "
        "first_seq >= ?3");
    count.bind(1, run).bind(2, key).bind(3, from_seq);
    count.step();
    out.reserve(out.size() + static_cast<std::size_t>(count.int64(0)));
    count.reset();
    auto& read = db.cached(
        "SELECT first_seq, data FROM metric_chunks WHERE run = ?1 AND key = ?2 AND first_seq >= ?3 "
        "ORDER BY first_seq");
    read.bind(1, run).bind(2, key).bind(3, from_seq);
    const std::size_t start = out.size();
    while (read.step()) {
        if (!decode_chunk(read.blob(1), read.int64(0), out)) {
            read.reset();
            throw Error(db.path() + ": run '" + what + "': a metric chunk is damaged");
        }
    }
    read.reset();
    if (after_seq > 0) {
        out.erase(std::remove_if(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(),
                                 [after_seq](const MetricPoint& p) { return p.seq <= after_seq; }),
                  out.end());
    }
}

}  // namespace lathe::core::registry

#include "core/registry/sqlite.h"

#include <sqlite3.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/util/error.h"

namespace lathe::core::registry::sqlite {

void fail(sqlite3* db, const std::string& path, const std::string& what, int rc) {
    std::string message = path + ": " + what + ": ";
    message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
        throw Error(path + ": not a Lathe registry (" + (db ? sqlite3_errmsg(db) : "corrupt") +
                    "); move it away or pass another --registry");
    }
    // SQLite's own text ("unable to open database file") hides why; errno says it.
    if (db && (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR ||
               primary == SQLITE_READONLY || primary == SQLITE_PERM)) {
        if (const int err = sqlite3_system_errno(db); err != 0)
            message += std::string(" (") + std::strerror(err) + ")";
    }
    throw Error(message);
}

// ---- Statement ----

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<const std::string> path)
    : db_(db), stmt_(stmt), path_(std::move(path)) {}

Statement::~Statement() {
    if (stmt_)
        sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), path_(std::move(other.path_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (stmt_)
            sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
        path_ = std::move(other.path_);
    }
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    if (int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK)
        fail(db_, *path_, "cannot bind parameter " + std::to_string(index), rc);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    if (int rc = sqlite3_bind_double(stmt_, index, value); rc != SQLITE_OK)
        fail(db_, *path_, "cannot bind parameter " + std::to_string(index), rc);
    return *this;
}

Statement& Statement::bind(int index, const std::string& value) {
    if (int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8);
        rc != SQLITE_OK)
        fail(db_, *path_, "cannot bind parameter " + std::to_string(index), rc);
    return *this;
}

Statement& Statement::bind_null(int index) {
    if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK)
        fail(db_, *path_, "cannot bind parameter " + std::to_string(index), rc);
    return *this;
}

Statement& Statement::bind_blob(int index, const void* data, std::size_t size) {
    if (int rc = sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT); rc != SQLITE_OK)
        fail(db_, *path_, "cannot bind parameter " + std::to_string(index), rc);
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    const std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
    sqlite3_reset(stmt_);
    fail(db_, *path_, "query failed (" + sql.substr(0, 60) + ")", rc);
}

void Statement::run() {
    while (step()) {
    }
    sqlite3_reset(stmt_);
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

double Statement::real(int column) const {
    return sqlite3_column_double(stmt_, column);
}

std::string_view Statement::blob(int column) const {
    // sqlite3_column_bytes after sqlite3_column_blob, as SQLite asks.
    const void* data = sqlite3_column_blob(stmt_, column);
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
    return data ? std::string_view(static_cast<const char*>(data), size) : std::string_view();
}

std::string Statement::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                : std::string();
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
    if (is_null(column))
        return std::nullopt;
    return int64(column);
}

std::optional<double> Statement::optional_real(int column) const {
    if (is_null(column))
        return std::nullopt;
    return real(column);
}

// ---- Database ----

Database Database::open(const std::string& path, const OpenFlags& flags) {
    Database db;
    db.path_ = std::make_shared<const std::string>(path);
    int mode = flags.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (!flags.read_only && flags.create)
        mode |= SQLITE_OPEN_CREATE;
    // One connection per thread: SQLite's own mutexes would only add cost.
    mode |= SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &db.db_, mode, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = path + ": cannot open the registry: " +
                              (db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc));
        // SQLite's saved errno is that of its last system call, often a probe for a journal
        // (ENOENT); asking the folder directly names the real cause.
        int err = db.db_ ? sqlite3_system_errno(db.db_) : 0;
        const auto parent = std::filesystem::absolute(path).parent_path();
        if (::access(path.c_str(), F_OK) != 0 && ::access(parent.c_str(), W_OK | X_OK) != 0)
            err = errno;
        else if (::access(path.c_str(), flags.read_only ? R_OK : R_OK | W_OK) != 0)
            err = errno;
        if (err != 0)
            message += std::string(" (") + std::strerror(err) + ")";
        throw Error(message);
    }
    sqlite3_extended_result_codes(db.db_, 1);
    return db;
}

Database::~Database() {
    close();
}

void Database::close() noexcept {
    cache_.clear();  // statements first: close_v2 would otherwise defer
    if (db_)
        sqlite3_close_v2(db_);
    db_ = nullptr;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        close();
        db_ = std::exchange(other.db_, nullptr);
        path_ = std::move(other.path_);
        cache_ = std::move(other.cache_);
    }
    return *this;
}

void Database::exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    if (error)
        sqlite3_free(error);
    if (rc != SQLITE_OK)
        fail(db_, *path_, "cannot run \"" + sql.substr(0, 60) + "\"", rc);
}

Statement Database::prepare(const std::string& sql) const {
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size() + 1), &stmt, nullptr);
    if (rc != SQLITE_OK)
        fail(db_, *path_, "cannot prepare \"" + sql.substr(0, 60) + "\"", rc);
    return Statement(db_, stmt, path_);
}

Statement& Database::cached(const std::string& sql) const {
    auto it = cache_.find(sql);
    if (it == cache_.end())
        it = cache_.emplace(sql, std::make_unique<Statement>(prepare(sql))).first;
    it->second->reset();
    return *it->second;
}

std::int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

int Database::changes() const {
    return sqlite3_changes(db_);
}

std::int64_t Database::query_int64(const std::string& sql) const {
    Statement stmt = prepare(sql);
    return stmt.step() ? stmt.int64(0) : 0;
}

// ---- Transaction ----

Transaction::Transaction(Database& db, Mode mode) : db_(db) {
    nested_ = sqlite3_get_autocommit(db_.handle()) == 0;
    if (nested_) {
        db_.exec("SAVEPOINT lathe_nested");
        return;
    }
    // IMMEDIATE takes the write lock up front: a read-then-write transaction never fails half
    // way with SQLITE_BUSY, and the busy timeout applies while waiting for it.
    db_.exec(mode == Mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
    if (!open_)
        return;
    const char* sql = nested_ ? "ROLLBACK TO lathe_nested; RELEASE lathe_nested" : "ROLLBACK";
    sqlite3_exec(db_.handle(), sql, nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec(nested_ ? "RELEASE lathe_nested" : "COMMIT");
    open_ = false;
}

}  // namespace lathe::core::registry::sqlite

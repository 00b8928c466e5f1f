#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

// A thin RAII layer over the SQLite C API: every value goes through a bound parameter, every
// failure becomes an Error naming the database file.
namespace lathe::core::registry::sqlite {

class Statement {
  public:
    Statement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<const std::string> path);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are 1-based, as in SQL's ?1.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, const std::string& value);
    Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
    Statement& bind_null(int index);
    Statement& bind_blob(int index, const void* data, std::size_t size);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null(index);
    }

    // true while there is a row to read; false when done. Throws Error on failure.
    bool step();
    // Runs a statement that returns no rows (or ignores them) and resets it.
    void run();
    // Clears bindings and rewinds, so that a cached statement starts clean.
    void reset();

    bool is_null(int column) const;
    std::int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::optional<std::int64_t> optional_int64(int column) const;
    std::optional<double> optional_real(int column) const;
    // Valid until the next step() or reset().
    std::string_view blob(int column) const;

  private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    std::shared_ptr<const std::string> path_;
};

struct OpenFlags {
    bool read_only = false;
    bool create = true;
};

class Database {
  public:
    // Throws Error naming the path and the OS error when the file cannot be opened or created.
    static Database open(const std::string& path, const OpenFlags& flags);
    ~Database();
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    const std::string& path() const { return *path_; }
    sqlite3* handle() const { return db_; }

    // SQL without values (schema, pragmas, BEGIN/COMMIT).
    void exec(const std::string& sql);
    Statement prepare(const std::string& sql) const;
    // A prepared statement kept for the connection's life, reset and ready to bind. Hot paths use
    // it so that SQL is compiled once. Never hold two uses of the same SQL at once.
    Statement& cached(const std::string& sql) const;
    std::int64_t last_insert_rowid() const;
    int changes() const;
    // The first column of the first row of a query without parameters, as an integer.
    std::int64_t query_int64(const std::string& sql) const;

  private:
    Database() = default;
    void close() noexcept;

    sqlite3* db_ = nullptr;
    std::shared_ptr<const std::string> path_;
    mutable std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// Rolls back unless commit() was called, so an exception leaves the database as it was. Inside
// another transaction it becomes a savepoint, so that operations compose.
class Transaction {
  public:
    enum class Mode { deferred, immediate };
    explicit Transaction(Database& db, Mode mode = Mode::immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

  private:
    Database& db_;
    bool open_ = true;
    bool nested_ = false;
};

// Throws Error: "PATH: WHAT: sqlite message", with the OS error when SQLite saw one.
[[noreturn]] void fail(sqlite3* db, const std::string& path, const std::string& what, int rc);

}  // namespace lathe::core::registry::sqlite

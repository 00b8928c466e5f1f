#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace lathe::app {

// A plain text table for people: a header row, columns padded to their widest cell.
class Table {
  public:
    explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    void print(std::ostream& out) const;

  private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

// "2026-11-29 13:45:02" in local time; "-" for 0.
std::string format_time(double unix_seconds);
// "1 h 02 min", "3 min 05 s", "12 s".
std::string format_duration(double seconds);
// Shortest round-trip-ish form for metric values: 4 significant digits.
std::string format_number(double value);
std::string format_bytes(double bytes);

}  // namespace lathe::app

#ifndef EVENTMESH_CLI_TABLE_H_
#define EVENTMESH_CLI_TABLE_H_

// A plain-text table for terminals: a header row, columns padded to their widest cell, numbers
// (columns marked numeric) right-aligned, long cells cut with "...". Not thread-safe.

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace eventmesh::cli {

class Table {
 public:
  // A column whose header ends in '#' is numeric (right-aligned); the '#' is not printed.
  explicit Table(std::vector<std::string> headers, size_t max_cell = 60);
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  // Writes the table; `empty_note` (e.g. "no topics") instead when there is no row.
  void Print(std::ostream& out, const std::string& empty_note) const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;
  size_t max_cell_;
};

}  // namespace eventmesh::cli

#endif  // EVENTMESH_CLI_TABLE_H_

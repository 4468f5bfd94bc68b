#include "eventmesh/cli/table.h"

#include <algorithm>
#include <utility>

namespace eventmesh::cli {

Table::Table(std::vector<std::string> headers, size_t max_cell) : max_cell_(max_cell) {
  for (std::string& header : headers) {
    const bool numeric = !header.empty() && header.back() == '#';
    if (numeric) header.pop_back();
    numeric_.push_back(numeric);
    headers_.push_back(std::move(header));
  }
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) {
    for (char& c : cell) {
      if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    }
    if (cell.size() > max_cell_) cell = cell.substr(0, max_cell_ - 3) + "...";
  }
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out, const std::string& empty_note) const {
  if (rows_.empty()) {
    out << empty_note << "\n";
    return;
  }
  std::vector<size_t> widths;
  for (const std::string& header : headers_) widths.push_back(header.size());
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - row[i].size(), ' ');
      const bool last = i + 1 == row.size();
      line += numeric_[i] ? pad + row[i] : (last ? row[i] : row[i] + pad);
      if (!last) line += "  ";
    }
    out << line << "\n";
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

}  // namespace eventmesh::cli

#ifndef EVENTMESH_COMMON_SORTED_VECTOR_MAP_H_
#define EVENTMESH_COMMON_SORTED_VECTOR_MAP_H_

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace eventmesh {

// A map from name to value kept as one vector sorted by name: the container of a CloudEvent's
// extensions and of a TCP package header's properties. Each holds a handful of entries, so one
// allocation and a binary search beat a tree's node per entry (or per three entries). Iterates in
// name order, like std::map; lookups take any string_view. The names reached through a non-const
// iterator must not be changed (that would break the order).
//
// Entries added in name order (the common case: formats write them sorted) are appended.
template <typename Value>
class SortedVectorMap {
 public:
  using key_type = std::string;
  using mapped_type = Value;
  using value_type = std::pair<std::string, Value>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;
  using size_type = size_t;

  SortedVectorMap() = default;
  SortedVectorMap(std::initializer_list<value_type> entries) {
    for (const value_type& e : entries) insert_or_assign(e.first, e.second);
  }

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  void reserve(size_t n) { entries_.reserve(n); }

  iterator find(absl::string_view name) {
    if (entries_.size() <= kLinearFind) {
      // A handful of entries: comparing lengths first rules out most without touching bytes.
      for (iterator it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->first.size() == name.size() &&
            std::memcmp(it->first.data(), name.data(), name.size()) == 0) {
          return it;
        }
      }
      return entries_.end();
    }
    iterator it = LowerBound(name);
    return it != entries_.end() && it->first == name ? it : entries_.end();
  }
  const_iterator find(absl::string_view name) const {
    return const_cast<SortedVectorMap*>(this)->find(name);
  }
  size_t count(absl::string_view name) const { return find(name) != end() ? 1 : 0; }
  bool contains(absl::string_view name) const { return find(name) != end(); }
  const Value& at(absl::string_view name) const {
    const_iterator it = find(name);
    if (it == end()) throw std::out_of_range("SortedVectorMap::at: no such name");
    return it->second;
  }

  // std::map semantics: the existing entry is kept (and returned) when the name is present.
  template <typename... Args>
  std::pair<iterator, bool> try_emplace(std::string name, Args&&... args) {
    ReserveFirst();
    iterator it = LowerBound(name);
    if (it != entries_.end() && it->first == name) return {it, false};
    it = entries_.emplace(it, std::piecewise_construct, std::forward_as_tuple(std::move(name)),
                          std::forward_as_tuple(std::forward<Args>(args)...));
    return {it, true};
  }
  // The hint is ignored (accepted for std::map compatibility).
  template <typename... Args>
  iterator try_emplace(const_iterator /*hint*/, std::string name, Args&&... args) {
    return try_emplace(std::move(name), std::forward<Args>(args)...).first;
  }
  // Like std::map::emplace(name, value): anything a std::string and a Value are made from.
  template <typename Name, typename V>
  std::pair<iterator, bool> emplace(Name&& name, V&& value) {
    return try_emplace(std::string(std::forward<Name>(name)), Value(std::forward<V>(value)));
  }
  std::pair<iterator, bool> insert_or_assign(std::string name, Value value) {
    ReserveFirst();
    iterator it = LowerBound(name);
    if (it != entries_.end() && it->first == name) {
      it->second = std::move(value);
      return {it, false};
    }
    it = entries_.emplace(it, std::move(name), std::move(value));
    return {it, true};
  }
  Value& operator[](std::string name) { return try_emplace(std::move(name)).first->second; }

  iterator erase(const_iterator it) { return entries_.erase(it); }
  size_t erase(absl::string_view name) {
    iterator it = find(name);
    if (it == entries_.end()) return 0;
    entries_.erase(it);
    return 1;
  }

  bool operator==(const SortedVectorMap& o) const { return entries_ == o.entries_; }
  bool operator!=(const SortedVectorMap& o) const { return !(*this == o); }

 private:
  // Where `name` is or would go.
  iterator LowerBound(absl::string_view name) {
    // Appending in order is the common case: one comparison.
    if (entries_.empty() || absl::string_view(entries_.back().first) < name) {
      return entries_.end();
    }
    return std::lower_bound(
        entries_.begin(), entries_.end(), name,
        [](const value_type& e, absl::string_view n) { return absl::string_view(e.first) < n; });
  }

  // Room for kFirstCapacity entries at the first insertion: a typical event's extensions take
  // one allocation instead of growing 1, 2, 4, 8.
  void ReserveFirst() {
    if (entries_.capacity() == 0) entries_.reserve(kFirstCapacity);
  }

  static constexpr size_t kFirstCapacity = 8;
  // Up to this many entries find() scans instead of searching.
  static constexpr size_t kLinearFind = 8;
  std::vector<value_type> entries_;
};

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_SORTED_VECTOR_MAP_H_

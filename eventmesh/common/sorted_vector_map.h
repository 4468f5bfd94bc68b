#ifndef EVENTMESH_COMMON_SORTED_VECTOR_MAP_H_
#define EVENTMESH_COMMON_SORTED_VECTOR_MAP_H_

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <optional>
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
// Entries added in name order (the common case: formats write them sorted) are appended; any
// other insertion shifts the entries behind it, so code filling it from input that chooses the
// number and order of names uses SortedVectorMapFiller (below), Assign or MergeFrom.
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
  size_t capacity() const { return entries_.capacity(); }

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
  // Of equal names given to Assign, the one that counts.
  enum class Duplicates {
    kKeepFirst,  // as emplace / try_emplace would
    kKeepLast,   // as insert_or_assign would
  };
  // Adds `name` -> Value(args...) built in its place (the name copied once from the view, the
  // value constructed once): try_emplace (kKeepFirst) or insert_or_assign (kKeepLast) without
  // the moves of a std::string and a Value made first. Returns where the name is and whether
  // it was new.
  template <typename... Args>
  std::pair<iterator, bool> EmplaceFromView(absl::string_view name, Duplicates keep,
                                            Args&&... args) {
    ReserveFirst();
    iterator it = LowerBound(name);
    if (it != entries_.end() && absl::string_view(it->first) == name) {
      if (keep == Duplicates::kKeepLast) it->second = Value(std::forward<Args>(args)...);
      return {it, false};
    }
    it = entries_.emplace(it, std::piecewise_construct,
                          std::forward_as_tuple(name.data(), name.size()),
                          std::forward_as_tuple(std::forward<Args>(args)...));
    return {it, true};
  }
  // Replaces the contents with `entries`, given in any order, sorted once: O(n log n), where
  // inserting them one by one costs a shift of the entries behind each (quadratic for many names
  // in reverse order, which a parser must not let its input choose). Returns the first name in
  // name order that occurred more than once, if any.
  std::optional<std::string> Assign(std::vector<value_type> entries, Duplicates keep) {
    const auto by_name = [](const value_type& a, const value_type& b) {
      return absl::string_view(a.first) < absl::string_view(b.first);
    };
    if (entries.size() > kInsertionSortMax) {
      std::stable_sort(entries.begin(), entries.end(), by_name);
    } else {
      // The handful a message carries: stable too, without the merge sort's buffer.
      for (size_t i = 1; i < entries.size(); ++i) {
        if (!by_name(entries[i], entries[i - 1])) continue;
        value_type entry = std::move(entries[i]);
        size_t j = i;
        for (; j > 0 && by_name(entry, entries[j - 1]); --j) entries[j] = std::move(entries[j - 1]);
        entries[j] = std::move(entry);
      }
    }
    std::optional<std::string> duplicate;
    size_t out = 0;
    for (size_t i = 0; i < entries.size();) {
      size_t j = i + 1;
      while (j < entries.size() && entries[j].first == entries[i].first) ++j;
      if (j - i > 1 && !duplicate.has_value()) duplicate = entries[i].first;
      const size_t kept = keep == Duplicates::kKeepFirst ? i : j - 1;
      if (out != kept) entries[out] = std::move(entries[kept]);
      ++out;
      i = j;
    }
    entries.resize(out);
    entries_ = std::move(entries);
    return duplicate;
  }
  // Adds every entry of `other`: one linear merge, whatever the sizes. Of a name in both, this
  // map's entry stays (kKeepFirst) or `other`'s replaces it (kKeepLast, as insert_or_assign of
  // each would). Returns the first such name in name order, if any.
  std::optional<std::string> MergeFrom(SortedVectorMap other,
                                       Duplicates keep = Duplicates::kKeepLast) {
    if (entries_.empty()) {
      entries_ = std::move(other.entries_);
      return std::nullopt;
    }
    std::optional<std::string> duplicate;
    std::vector<value_type> merged;
    merged.reserve(entries_.size() + other.entries_.size());
    auto a = entries_.begin();
    auto b = other.entries_.begin();
    while (a != entries_.end() && b != other.entries_.end()) {
      const absl::string_view an(a->first);
      const absl::string_view bn(b->first);
      if (an < bn) {
        merged.push_back(std::move(*a++));
      } else if (bn < an) {
        merged.push_back(std::move(*b++));
      } else {
        if (!duplicate.has_value()) duplicate = a->first;
        merged.push_back(keep == Duplicates::kKeepFirst ? std::move(*a) : std::move(*b));
        ++a;
        ++b;
      }
    }
    for (; a != entries_.end(); ++a) merged.push_back(std::move(*a));
    for (; b != other.entries_.end(); ++b) merged.push_back(std::move(*b));
    entries_ = std::move(merged);
    return duplicate;
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
  // Up to this many entries Assign sorts by insertion.
  static constexpr size_t kInsertionSortMax = 32;
  // Up to this many entries find() scans instead of searching.
  static constexpr size_t kLinearFind = 8;
  std::vector<value_type> entries_;
};

// Fills a SortedVectorMap from entries in an order and number its input chooses (a parser's):
// the first kDirect entries are inserted as they come (a handful: nothing more to do), any
// further ones are collected and merged in one sort by Finish, so no input makes the filling
// quadratic. Finish must be called before the map is read.
template <typename Value>
class SortedVectorMapFiller {
 public:
  using Map = SortedVectorMap<Value>;
  SortedVectorMapFiller(Map* map, typename Map::Duplicates keep) : map_(map), keep_(keep) {}

  // Adds name -> Value(args...), the value built once in its place.
  template <typename... Args>
  void Add(absl::string_view name, Args&&... args) {
    if (more_.empty() && map_->size() < kDirect) {
      const auto [it, inserted] = map_->EmplaceFromView(name, keep_, std::forward<Args>(args)...);
      if (!inserted && !duplicate_.has_value()) duplicate_ = it->first;
      return;
    }
    more_.emplace_back(std::piecewise_construct, std::forward_as_tuple(name.data(), name.size()),
                       std::forward_as_tuple(std::forward<Args>(args)...));
  }
  // Merges what was collected; returns the first name that came more than once, if any.
  std::optional<std::string> Finish() {
    if (!more_.empty()) {
      Map rest;
      std::optional<std::string> in_rest = rest.Assign(std::move(more_), keep_);
      std::optional<std::string> across = map_->MergeFrom(std::move(rest), keep_);
      if (!duplicate_.has_value()) duplicate_ = in_rest.has_value() ? in_rest : across;
      more_.clear();
    }
    return duplicate_;
  }

 private:
  static constexpr size_t kDirect = 32;
  Map* const map_;
  const typename Map::Duplicates keep_;
  std::vector<typename Map::value_type> more_;
  std::optional<std::string> duplicate_;
};

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_SORTED_VECTOR_MAP_H_

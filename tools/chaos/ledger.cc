#include "tools/chaos/ledger.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace eventmesh::chaos {

uint64_t Ledger::Issue() {
  absl::MutexLock lock(&mu_);
  return issued_++;
}

void Ledger::Acknowledged(uint64_t id) {
  absl::MutexLock lock(&mu_);
  if (!acknowledged_.insert(id).second) return;
  if (!consumed_.contains(id)) ++outstanding_;
}

void Ledger::Consumed(uint64_t id) {
  absl::MutexLock lock(&mu_);
  if (++consumed_[id] == 1 && acknowledged_.contains(id)) --outstanding_;
}

void Ledger::Malformed() {
  absl::MutexLock lock(&mu_);
  ++malformed_;
}

uint64_t Ledger::Outstanding() const {
  absl::MutexLock lock(&mu_);
  return outstanding_;
}

Ledger::Report Ledger::Check() const {
  absl::MutexLock lock(&mu_);
  Report report;
  report.issued = issued_;
  report.acknowledged = acknowledged_.size();
  report.consumed = consumed_.size();
  report.unexpected = malformed_;
  for (const auto& [id, count] : consumed_) {
    report.deliveries += count;
    report.duplicates += count - 1;
    if (id >= issued_) {
      ++report.unexpected;
    } else if (!acknowledged_.contains(id)) {
      ++report.unacknowledged_but_consumed;
    }
  }
  std::vector<uint64_t> lost;
  for (uint64_t id : acknowledged_) {
    if (!consumed_.contains(id)) lost.push_back(id);
  }
  report.lost = lost.size();
  std::sort(lost.begin(), lost.end());
  if (lost.size() > 10) lost.resize(10);
  report.lost_examples = std::move(lost);
  return report;
}

std::string Ledger::Report::ToString() const {
  std::string out = absl::StrCat("issued ", issued, ", acknowledged ", acknowledged, ", consumed ",
                                 consumed, " (", deliveries, " deliveries), lost ", lost,
                                 ", duplicates ", duplicates, ", unexpected ", unexpected,
                                 ", consumed without a publish ack ", unacknowledged_but_consumed);
  if (!lost_examples.empty()) {
    absl::StrAppend(&out, "; lost e.g. ", absl::StrJoin(lost_examples, " "));
  }
  return out;
}

std::string EventBody(const std::string& run, uint64_t id) {
  return absl::StrCat("chaos-", run, "-", id);
}

bool ParseEventBody(const std::string& run, const std::string& body, uint64_t* id) {
  absl::string_view rest = body;
  if (!absl::ConsumePrefix(&rest, absl::StrCat("chaos-", run, "-"))) return false;
  return absl::SimpleAtoi(rest, id);
}

}  // namespace eventmesh::chaos

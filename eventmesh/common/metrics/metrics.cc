#include "eventmesh/common/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace eventmesh::metrics {
namespace {

void AtomicAdd(std::atomic<double>* target, double delta) {
  double current = target->load(std::memory_order_relaxed);
  while (!target->compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

std::vector<std::string> Normalize(const std::vector<std::string>& values, size_t count) {
  std::vector<std::string> out(count);
  for (size_t i = 0; i < count && i < values.size(); ++i) out[i] = values[i];
  return out;
}

absl::Status CheckNames(const std::string& name, const std::vector<std::string>& label_names,
                        MetricType type) {
  if (!IsValidMetricName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid metric name \"", name, "\" (expected [a-zA-Z_:][a-zA-Z0-9_:]*)"));
  }
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!IsValidLabelName(label)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": invalid label name \"", label,
                       "\" (expected [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"));
    }
    if (type == MetricType::kHistogram && label == "le") {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": label name \"le\" is reserved for histogram buckets"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (label_names[j] == label) {
        return absl::InvalidArgumentError(
            absl::StrCat("metric ", name, ": label name \"", label, "\" twice"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool IsValidMetricName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
                    (i > 0 && absl::ascii_isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(absl::string_view name) {
  if (name.empty() || absl::StartsWith(name, "__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
                    (i > 0 && absl::ascii_isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

void Gauge::Add(double delta) { AtomicAdd(&value_, delta); }

namespace {

// The biased exponent field of a double (0 for zero and subnormals, 0x7ff for infinities).
int ExponentField(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return static_cast<int>((bits >> 52) & 0x7ff);
}

// The smallest positive double whose exponent field is `e` (0 for e == 0).
double SmallestWithExponent(int e) {
  const uint64_t bits = static_cast<uint64_t>(e) << 52;
  double v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

// Observe's table is kept only where no power of two holds more bounds than this (the scan
// from the table's index stays this short), and the bounds span at most kMaxBinades powers of
// two (the table stays small for bounds spread far apart).
constexpr size_t kMaxBoundsPerBinade = 4;
constexpr int kMaxBinades = 128;

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
  if (bounds_.empty() || !(bounds_.front() > 0) || !std::isfinite(bounds_.back())) return;
  lowest_exponent_ = ExponentField(bounds_.front());
  const int highest = ExponentField(bounds_.back()) + 1;  // above every bound
  if (highest - lowest_exponent_ >= kMaxBinades) return;
  std::vector<uint32_t> first;
  for (int e = lowest_exponent_; e <= highest; ++e) {
    const double smallest = SmallestWithExponent(e);
    first.push_back(static_cast<uint32_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), smallest) - bounds_.begin()));
    if (first.size() >= 2 && first.back() - first[first.size() - 2] > kMaxBoundsPerBinade) return;
  }
  first_bound_ = std::move(first);
}

void Histogram::Observe(double value) {
  // First bound >= value (Prometheus buckets are "less than or equal").
  size_t index;
  if (!first_bound_.empty() && value > bounds_.front()) {
    // value > bounds_[0] > 0: its exponent is at least the lowest bound's.
    const size_t row = std::min(static_cast<size_t>(ExponentField(value) - lowest_exponent_),
                                first_bound_.size() - 1);
    index = first_bound_[row];
    while (index < bounds_.size() && bounds_[index] < value) ++index;
  } else {
    index = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                bounds_.begin());
  }
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(&sum_, value);
}

uint64_t Histogram::count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) total += buckets_[i].load(std::memory_order_relaxed);
  return total;
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double bound = start;
  for (int i = 0; i < count; ++i) {
    out.push_back(bound);
    bound *= factor;
  }
  return out;
}

std::vector<double> LatencyBuckets() { return ExponentialBuckets(0.0001, 2, 19); }

template <typename T>
std::unique_ptr<T> Family<T>::Make() const {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(options_.buckets);
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
T* Family<T>::WithLabels(const std::vector<std::string>& values) {
  std::vector<std::string> key = Normalize(values, label_names_.size());
  absl::MutexLock lock(&mu_);
  auto it = series_.find(key);
  if (it != series_.end()) return it->second.get();
  if (series_.size() >= options_.max_series) {
    overflowed_.fetch_add(1, std::memory_order_relaxed);
    key.assign(label_names_.size(), kOverflowLabelValue);
    it = series_.find(key);
    if (it != series_.end()) return it->second.get();
  }
  auto made = Make();
  T* out = made.get();
  series_.emplace(std::move(key), std::move(made));
  return out;
}

template <typename T>
FamilySnapshot Family<T>::Snapshot() const {
  FamilySnapshot snapshot;
  snapshot.name = name_;
  snapshot.help = help_;
  snapshot.label_names = label_names_;
  if constexpr (std::is_same_v<T, Counter>) snapshot.type = MetricType::kCounter;
  if constexpr (std::is_same_v<T, Gauge>) snapshot.type = MetricType::kGauge;
  if constexpr (std::is_same_v<T, Histogram>) {
    snapshot.type = MetricType::kHistogram;
    snapshot.bounds = options_.buckets;
  }
  absl::MutexLock lock(&mu_);
  snapshot.samples.reserve(series_.size());
  for (const auto& [labels, instrument] : series_) {
    Sample sample;
    sample.label_values = labels;
    if constexpr (std::is_same_v<T, Histogram>) {
      sample.buckets = instrument->CumulativeCounts();
      sample.count = sample.buckets.back();
      sample.sum = instrument->sum();
    } else {
      sample.value = static_cast<double>(instrument->value());
    }
    snapshot.samples.push_back(std::move(sample));
  }
  return snapshot;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void SampleSink::Add(std::vector<std::string> label_values, double value) {
  std::vector<std::string> key = Normalize(label_values, label_count_);
  auto it = values_.find(key);
  if (it != values_.end()) {
    it->second += value;
    return;
  }
  if (values_.size() >= max_series_) {
    key.assign(label_count_, kOverflowLabelValue);
    values_[key] += value;  // the "other" series sums what does not fit
    return;
  }
  values_.emplace(std::move(key), value);
}

absl::Status Registry::CheckNew(const std::string& name,
                                const std::vector<std::string>& label_names,
                                MetricType type) const {
  if (absl::Status s = CheckNames(name, label_names, type); !s.ok()) return s;
  if (counters_.count(name) > 0 || gauges_.count(name) > 0 || histograms_.count(name) > 0 ||
      callbacks_.count(name) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("metric ", name, " is already registered"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CounterFamily*> Registry::AddCounter(const std::string& name,
                                                    const std::string& help,
                                                    std::vector<std::string> label_names,
                                                    FamilyOptions options) {
  absl::MutexLock lock(&mu_);
  if (auto it = counters_.find(name);
      it != counters_.end() && it->second->label_names_ == label_names) {
    return it->second.get();  // the same family again (e.g. a server restarted in-process)
  }
  if (absl::Status s = CheckNew(name, label_names, MetricType::kCounter); !s.ok()) return s;
  auto family = std::unique_ptr<CounterFamily>(
      new CounterFamily(name, help, std::move(label_names), std::move(options)));
  CounterFamily* out = family.get();
  counters_.emplace(name, std::move(family));
  return out;
}

absl::StatusOr<GaugeFamily*> Registry::AddGauge(const std::string& name, const std::string& help,
                                                std::vector<std::string> label_names,
                                                FamilyOptions options) {
  absl::MutexLock lock(&mu_);
  if (auto it = gauges_.find(name);
      it != gauges_.end() && it->second->label_names_ == label_names) {
    return it->second.get();  // the same family again (e.g. a server restarted in-process)
  }
  if (absl::Status s = CheckNew(name, label_names, MetricType::kGauge); !s.ok()) return s;
  auto family = std::unique_ptr<GaugeFamily>(
      new GaugeFamily(name, help, std::move(label_names), std::move(options)));
  GaugeFamily* out = family.get();
  gauges_.emplace(name, std::move(family));
  return out;
}

absl::StatusOr<HistogramFamily*> Registry::AddHistogram(const std::string& name,
                                                        const std::string& help,
                                                        std::vector<std::string> label_names,
                                                        FamilyOptions options) {
  if (options.buckets.empty()) options.buckets = LatencyBuckets();
  for (size_t i = 0; i < options.buckets.size(); ++i) {
    if (!std::isfinite(options.buckets[i]) ||
        (i > 0 && !(options.buckets[i - 1] < options.buckets[i]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric ", name, ": bucket bounds must be finite and strictly ascending (bound ", i,
          " = ", options.buckets[i], ")"));
    }
  }
  absl::MutexLock lock(&mu_);
  if (auto it = histograms_.find(name);
      it != histograms_.end() && it->second->label_names_ == label_names) {
    return it->second.get();  // the same family again (e.g. a server restarted in-process)
  }
  if (absl::Status s = CheckNew(name, label_names, MetricType::kHistogram); !s.ok()) return s;
  auto family = std::unique_ptr<HistogramFamily>(
      new HistogramFamily(name, help, std::move(label_names), std::move(options)));
  HistogramFamily* out = family.get();
  histograms_.emplace(name, std::move(family));
  return out;
}

absl::Status Registry::AddCallback(MetricType type, const std::string& name,
                                   const std::string& help, std::vector<std::string> label_names,
                                   SampleCallback callback, const void* owner, size_t max_series) {
  if (!callback) return absl::InvalidArgumentError(absl::StrCat("metric ", name, ": no callback"));
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckNew(name, label_names, type); !s.ok()) return s;
  callbacks_.emplace(name, CallbackFamily{name, help, type, std::move(label_names),
                                          std::move(callback), owner, max_series});
  return absl::OkStatus();
}

absl::Status Registry::AddGaugeCallback(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names,
                                        SampleCallback callback, const void* owner,
                                        size_t max_series) {
  return AddCallback(MetricType::kGauge, name, help, std::move(label_names), std::move(callback),
                     owner, max_series);
}

absl::Status Registry::AddCounterCallback(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names,
                                          SampleCallback callback, const void* owner,
                                          size_t max_series) {
  return AddCallback(MetricType::kCounter, name, help, std::move(label_names), std::move(callback),
                     owner, max_series);
}

void Registry::RemoveCallbacks(const void* owner) {
  absl::MutexLock lock(&mu_);
  for (auto it = callbacks_.begin(); it != callbacks_.end();) {
    it = it->second.owner == owner ? callbacks_.erase(it) : std::next(it);
  }
}

std::vector<FamilySnapshot> Registry::Collect() const {
  std::vector<FamilySnapshot> out;
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [name, family] : counters_) out.push_back(family->Snapshot());
  for (const auto& [name, family] : gauges_) out.push_back(family->Snapshot());
  for (const auto& [name, family] : histograms_) out.push_back(family->Snapshot());
  for (const auto& [name, family] : callbacks_) {
    SampleSink sink(family.label_names.size(), family.max_series);
    family.callback(sink);
    FamilySnapshot snapshot;
    snapshot.name = family.name;
    snapshot.help = family.help;
    snapshot.type = family.type;
    snapshot.label_names = family.label_names;
    for (auto& [labels, value] : sink.values_) {
      Sample sample;
      sample.label_values = labels;
      sample.value = value;
      snapshot.samples.push_back(std::move(sample));
    }
    out.push_back(std::move(snapshot));
  }
  std::sort(out.begin(), out.end(),
            [](const FamilySnapshot& a, const FamilySnapshot& b) { return a.name < b.name; });
  return out;
}

}  // namespace eventmesh::metrics

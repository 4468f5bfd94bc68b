#ifndef EVENTMESH_COMMON_METRICS_METRICS_H_
#define EVENTMESH_COMMON_METRICS_METRICS_H_

// Process metrics: counters, gauges and fixed-bucket histograms, grouped into families that share
// a name, a help text and label names, kept in a Registry that a scrape turns into samples
// (prometheus_text.h renders them in the Prometheus text format).
//
//   metrics::Registry registry;
//   auto* published = registry.AddCounter("eventmesh_publish_total", "events published",
//                                         {"protocol", "result"}).value();
//   metrics::Counter* tcp_ok = published->WithLabels({"tcp", "ok"});  // once, then cache it
//   tcp_ok->Increment();                                              // hot path: one atomic add
//
// Hot path: Counter::Increment, Gauge::Set/Add and Histogram::Observe are lock-free (relaxed
// atomics; Observe also does a short search over the bucket bounds). Looking up a series by
// label values (WithLabels) takes the family's lock: do it once and keep the pointer. Instruments
// live as long as their Registry and never move.
// Label cardinality is bounded: a family holds at most `max_series` series (FamilyOptions); a
// new combination of label values beyond that is folded into one series whose every label value
// is "other" (kOverflowLabelValue), counted in overflowed(), so a misbehaving label source cannot
// grow memory or the scrape without bound.
// Callback families (AddGaugeCallback, AddCounterCallback) compute their samples at scrape time
// (for values that already exist elsewhere: sessions, lag); the callback runs on the scraping
// thread, must be thread-safe and must not call back into the Registry. It is subject to the same
// series cap. A callback must stay valid until RemoveCallbacks(owner) or the Registry's
// destruction.
// Registry: thread-safe. Names follow Prometheus: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label
// names [a-zA-Z_][a-zA-Z0-9_]* not starting with "__" ("le" is reserved for histograms).
// Adding a counter, gauge or histogram family that exists with the same label names returns the
// existing one (help, options and buckets of the first registration stay).
// Errors: InvalidArgument (bad name, bad label name, unsorted buckets); AlreadyExists (the name is
// registered with another type or other labels, or as a callback family).

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace eventmesh::metrics {

inline constexpr char kOverflowLabelValue[] = "other";
inline constexpr size_t kDefaultMaxSeries = 100;

enum class MetricType { kCounter, kGauge, kHistogram };

// A monotonically increasing count. Thread-safe, lock-free.
class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta);
  void Increment() { Add(1); }
  void Decrement() { Add(-1); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implicit), with their
// sum and count. Thread-safe, lock-free; an observation is two atomic additions (its bucket and
// the sum). The count is the buckets' total, so it always matches the +Inf bucket; a scrape may
// see the sum of a slightly different moment.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then the +Inf bucket (== count).
  std::vector<uint64_t> CumulativeCounts() const;
  uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
  // Where Observe starts looking, by the value's binary exponent (for positive bounds with at
  // most a few per power of two, as exponential buckets have; empty otherwise):
  // first_bound_[e - lowest_exponent_] is the number of bounds below 2^e (e as the double's
  // biased exponent field), so a value's bucket is that index or one of the next few.
  int lowest_exponent_ = 0;
  std::vector<uint32_t> first_bound_;
};

// Bucket helpers: `count` bounds start, start*factor, ... (start > 0, factor > 1).
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// Latency buckets in seconds from 100 µs to ~26 s (powers of 2 of 100 µs, 19 bounds).
std::vector<double> LatencyBuckets();

// One sample of a scrape: the series' label values (in the family's label order) and its value.
// For histograms: `buckets` (cumulative, one per bound then +Inf), `sum` and `count`.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
  std::vector<uint64_t> buckets;
  double sum = 0;
  uint64_t count = 0;
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histograms
  std::vector<Sample> samples;
};

struct FamilyOptions {
  // Distinct label-value combinations kept; more fold into the all-"other" series.
  size_t max_series = kDefaultMaxSeries;
  // Histograms: bucket upper bounds (ascending, finite). Default LatencyBuckets().
  std::vector<double> buckets;
};

// A family of instruments of one type sharing a name and label names. Thread-safe.
template <typename T>
class Family {
 public:
  // The series with these label values (as many as the family has label names; missing values
  // count as "", extra ones are ignored). Beyond the cap, the "other" series. Never null.
  T* WithLabels(const std::vector<std::string>& values);
  // The series of a family without labels.
  T* Get() { return WithLabels({}); }
  // New label combinations folded into "other" so far.
  uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         FamilyOptions options)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        options_(std::move(options)) {}
  std::unique_ptr<T> Make() const;
  FamilySnapshot Snapshot() const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const FamilyOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> overflowed_{0};
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Where a callback family's callback puts its samples (label values in the family's order).
class SampleSink {
 public:
  void Add(std::vector<std::string> label_values, double value);

 private:
  friend class Registry;
  SampleSink(size_t label_count, size_t max_series)
      : label_count_(label_count), max_series_(max_series) {}
  size_t label_count_;
  size_t max_series_;
  std::map<std::vector<std::string>, double> values_;
};
using SampleCallback = std::function<void(SampleSink& sink)>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  absl::StatusOr<CounterFamily*> AddCounter(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names = {},
                                            FamilyOptions options = {});
  absl::StatusOr<GaugeFamily*> AddGauge(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names = {},
                                        FamilyOptions options = {});
  absl::StatusOr<HistogramFamily*> AddHistogram(const std::string& name, const std::string& help,
                                                std::vector<std::string> label_names = {},
                                                FamilyOptions options = {});
  // A gauge (or counter) family whose samples `callback` produces at each scrape. `owner` groups
  // callbacks for RemoveCallbacks (any pointer identifying the component; may be nullptr).
  absl::Status AddGaugeCallback(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names, SampleCallback callback,
                                const void* owner = nullptr, size_t max_series = kDefaultMaxSeries);
  absl::Status AddCounterCallback(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names, SampleCallback callback,
                                  const void* owner = nullptr,
                                  size_t max_series = kDefaultMaxSeries);
  // Removes the callback families registered with `owner` (waits for a running scrape).
  void RemoveCallbacks(const void* owner);

  // Every family's current samples, sorted by family name; series sorted by label values.
  std::vector<FamilySnapshot> Collect() const;

 private:
  struct CallbackFamily {
    std::string name;
    std::string help;
    MetricType type;
    std::vector<std::string> label_names;
    SampleCallback callback;
    const void* owner;
    size_t max_series;
  };
  absl::Status CheckNew(const std::string& name, const std::vector<std::string>& label_names,
                        MetricType type) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AddCallback(MetricType type, const std::string& name, const std::string& help,
                           std::vector<std::string> label_names, SampleCallback callback,
                           const void* owner, size_t max_series);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<CounterFamily>> counters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<GaugeFamily>> gauges_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<HistogramFamily>> histograms_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, CallbackFamily> callbacks_ ABSL_GUARDED_BY(mu_);
};

// Name checks (exposed for tests and other exposition formats).
bool IsValidMetricName(absl::string_view name);
bool IsValidLabelName(absl::string_view name);

}  // namespace eventmesh::metrics

#endif  // EVENTMESH_COMMON_METRICS_METRICS_H_

#ifndef EVENTMESH_PROTOCOL_CLOUDEVENTS_TIMESTAMP_H_
#define EVENTMESH_PROTOCOL_CLOUDEVENTS_TIMESTAMP_H_

// The RFC 3339 text of a point in time given as seconds and nanoseconds since the Unix epoch
// (the protobuf Timestamp's fields), UTC, proleptic Gregorian calendar, years 0000–9999: what
// the CloudEvents protobuf format's ce_timestamp reads back as. Stateless and thread-safe.

#include <cstddef>
#include <cstdint>

namespace eventmesh::cloudevents {

// The longest text FormatRfc3339Utc writes: "YYYY-MM-DDTHH:MM:SS.fffffffffZ".
inline constexpr size_t kMaxRfc3339Size = 30;

// Days since 1970-01-01 of a proleptic Gregorian date (month 1–12, day 1–31).
int64_t DaysFromCivil(int64_t year, int month, int day);

// The first and last second FormatRfc3339Utc accepts (0000-01-01T00:00:00Z,
// 9999-12-31T23:59:59Z).
inline constexpr int64_t kMinRfc3339Seconds = -62167219200;
inline constexpr int64_t kMaxRfc3339Seconds = 253402300799;

// Writes `seconds`.`nanos` into `buf` (at least kMaxRfc3339Size bytes) as UTC with "Z" and 0, 3,
// 6 or 9 fraction digits (the fewest that keep the value); returns the length. Returns 0, with
// nothing written, when nanos is outside 0–999,999,999 or seconds outside the years 0000–9999.
size_t FormatRfc3339Utc(int64_t seconds, int32_t nanos, char* buf);

}  // namespace eventmesh::cloudevents

#endif  // EVENTMESH_PROTOCOL_CLOUDEVENTS_TIMESTAMP_H_

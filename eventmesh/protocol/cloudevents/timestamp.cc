#include "eventmesh/protocol/cloudevents/timestamp.h"

namespace eventmesh::cloudevents {

namespace {

constexpr int64_t kSecondsPerDay = 86400;

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

}  // namespace

// H. Hinnant's algorithm.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

size_t FormatRfc3339Utc(int64_t seconds, int32_t nanos, char* buf) {
  if (nanos < 0 || nanos > 999999999) return 0;
  if (seconds < kMinRfc3339Seconds || seconds > kMaxRfc3339Seconds) return 0;
  int64_t days = seconds / kSecondsPerDay;
  int64_t rem = seconds % kSecondsPerDay;
  if (rem < 0) {
    rem += kSecondsPerDay;
    --days;
  }
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  // "YYYY-MM-DDTHH:MM:SS" + up to ".fffffffff" + "Z", written digit by digit.
  char* p = buf;
  const auto put = [&p](int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += width;
  };
  put(year, 4);
  *p++ = '-';
  put(month, 2);
  *p++ = '-';
  put(day, 2);
  *p++ = 'T';
  put(rem / 3600, 2);
  *p++ = ':';
  put(rem / 60 % 60, 2);
  *p++ = ':';
  put(rem % 60, 2);
  if (nanos != 0) {
    *p++ = '.';
    if (nanos % 1000000 == 0) {
      put(nanos / 1000000, 3);
    } else if (nanos % 1000 == 0) {
      put(nanos / 1000, 6);
    } else {
      put(nanos, 9);
    }
  }
  *p++ = 'Z';
  return static_cast<size_t>(p - buf);
}

}  // namespace eventmesh::cloudevents

// ThreadSanitizer support for Debian's Abseil synchronization library (--config=tsan only).
//
// Debian builds libabsl_synchronization.so without ThreadSanitizer, so its Mutex, CondVar and
// Notification synchronize through atomics and futexes that TSan never sees: every field guarded
// by an absl::Mutex would be reported as a data race, and lock-order inversions between
// absl::Mutexes would go unnoticed. This file defines the public entry points our code calls
// (Mutex::Lock, Unlock, Await, CondVar::Wait, Notification::Notify, ...) in the executable, which
// takes precedence over the shared library's definitions. Each one tells TSan what happens through
// its mutex annotation interface (__tsan_mutex_pre_lock / post_lock / pre_unlock / post_unlock,
// the same calls Abseil makes itself when it is built with TSan) and then calls the library's own
// function, found with dlsym(RTLD_NEXT). Memory accesses between a pre_ and post_ annotation are
// ignored, as for Abseil's own TSan build: conditions are evaluated by the library while it holds
// the lock.
//
// The same is done for absl::Status's reference count (libabsl_status.so), see the end.
//
// Linked into every binary and test by the eventmesh_cc_* macros when --define=sanitizer=tsan.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/base/options.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#define EVENTMESH_TSAN_STR2(x) #x
#define EVENTMESH_TSAN_STR(x) EVENTMESH_TSAN_STR2(x)

namespace {

constexpr bool StrEq(const char* a, const char* b) {
  return *a == *b && (*a == '\0' || StrEq(a + 1, b + 1));
}
// The mangled names below spell Debian 12's inline namespace.
static_assert(StrEq(EVENTMESH_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME), "debian3"),
              "update the mangled names in tsan_absl_sync.cc for this Abseil build");

void* Real(const char* mangled) {
  void* fn = dlsym(RTLD_NEXT, mangled);
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found in the Abseil libraries\n", mangled);
    std::abort();
  }
  return fn;
}

template <typename Fn>
Fn Lookup(const char* mangled) {
  return reinterpret_cast<Fn>(Real(mangled));
}

// Abseil's functions call each other through the PLT too (CondVar::WaitWithTimeout calls
// WaitWithDeadline, Notification::Notify locks its Mutex), which lands in these wrappers again:
// only the outermost call on a thread is annotated.
thread_local int nesting = 0;

class Nest {
 public:
  Nest() { ++nesting; }
  ~Nest() { --nesting; }
  Nest(const Nest&) = delete;
  Nest& operator=(const Nest&) = delete;
  static bool Inner() { return nesting > 0; }
};

constexpr unsigned kRead = __tsan_mutex_read_lock;
constexpr unsigned kTry = __tsan_mutex_try_lock;
constexpr unsigned kTryFailed = __tsan_mutex_try_lock_failed;

// TSan's view of a lock taken (or not) by a blocking call that ran between pre_lock and post_lock.
void PostLock(void* mu, unsigned flags, bool acquired) {
  if (acquired) {
    __tsan_mutex_post_lock(mu, flags, 0);
  } else {
    __tsan_mutex_post_lock(mu, flags | kTry | kTryFailed, 0);
  }
}

// A call that releases `mu` and holds it again when it returns (Await, CondVar::Wait).
template <typename Call>
auto ReleaseAndReacquire(void* mu, unsigned flags, Call call) {
  __tsan_mutex_pre_unlock(mu, flags);
  auto result = call();
  __tsan_mutex_post_unlock(mu, flags);
  __tsan_mutex_pre_lock(mu, flags);
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

// Notification keeps its flag in the std::atomic<bool> after its Mutex; our code reads it with
// an (instrumented) acquire load in the inline HasBeenNotified().
struct NotificationLayout {
  absl::Mutex mutex;
  std::atomic<bool> notified_yet;
};
static_assert(sizeof(NotificationLayout) == sizeof(absl::Notification),
              "absl::Notification's layout changed");

void* NotifiedFlag(const absl::Notification* n) {
  return const_cast<char*>(reinterpret_cast<const char*>(n)) +
         offsetof(NotificationLayout, notified_yet);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  static auto real = Lookup<void (*)(Mutex*)>("_ZN4absl7debian35MutexD2Ev");
  if (!Nest::Inner()) __tsan_mutex_destroy(this, 0);
  real(this);
}

void Mutex::Lock() {
  static auto real = Lookup<void (*)(Mutex*)>("_ZN4absl7debian35Mutex4LockEv");
  if (Nest::Inner()) return real(this);
  Nest nest;
  __tsan_mutex_pre_lock(this, 0);
  real(this);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::Unlock() {
  static auto real = Lookup<void (*)(Mutex*)>("_ZN4absl7debian35Mutex6UnlockEv");
  if (Nest::Inner()) return real(this);
  Nest nest;
  __tsan_mutex_pre_unlock(this, 0);
  real(this);
  __tsan_mutex_post_unlock(this, 0);
}

bool Mutex::TryLock() {
  static auto real = Lookup<bool (*)(Mutex*)>("_ZN4absl7debian35Mutex7TryLockEv");
  if (Nest::Inner()) return real(this);
  Nest nest;
  __tsan_mutex_pre_lock(this, kTry);
  bool locked = real(this);
  __tsan_mutex_post_lock(this, locked ? kTry : kTry | kTryFailed, 0);
  return locked;
}

void Mutex::ReaderLock() {
  static auto real = Lookup<void (*)(Mutex*)>("_ZN4absl7debian35Mutex10ReaderLockEv");
  if (Nest::Inner()) return real(this);
  Nest nest;
  __tsan_mutex_pre_lock(this, kRead);
  real(this);
  __tsan_mutex_post_lock(this, kRead, 0);
}

void Mutex::ReaderUnlock() {
  static auto real = Lookup<void (*)(Mutex*)>("_ZN4absl7debian35Mutex12ReaderUnlockEv");
  if (Nest::Inner()) return real(this);
  Nest nest;
  __tsan_mutex_pre_unlock(this, kRead);
  real(this);
  __tsan_mutex_post_unlock(this, kRead);
}

bool Mutex::ReaderTryLock() {
  static auto real = Lookup<bool (*)(Mutex*)>("_ZN4absl7debian35Mutex13ReaderTryLockEv");
  if (Nest::Inner()) return real(this);
  Nest nest;
  __tsan_mutex_pre_lock(this, kRead | kTry);
  bool locked = real(this);
  __tsan_mutex_post_lock(this, locked ? kRead | kTry : kRead | kTry | kTryFailed, 0);
  return locked;
}

void Mutex::LockWhen(const Condition& cond) {
  static auto real = Lookup<void (*)(Mutex*, const Condition&)>(
      "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  if (Nest::Inner()) return real(this, cond);
  Nest nest;
  __tsan_mutex_pre_lock(this, 0);
  real(this, cond);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static auto real = Lookup<void (*)(Mutex*, const Condition&)>(
      "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  if (Nest::Inner()) return real(this, cond);
  Nest nest;
  __tsan_mutex_pre_lock(this, kRead);
  real(this, cond);
  __tsan_mutex_post_lock(this, kRead, 0);
}

// The *WithTimeout / *WithDeadline lock calls hold the mutex on return whatever they return.
bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = Lookup<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  if (Nest::Inner()) return real(this, cond, timeout);
  Nest nest;
  __tsan_mutex_pre_lock(this, 0);
  bool met = real(this, cond, timeout);
  PostLock(this, 0, true);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real = Lookup<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  if (Nest::Inner()) return real(this, cond, deadline);
  Nest nest;
  __tsan_mutex_pre_lock(this, 0);
  bool met = real(this, cond, deadline);
  PostLock(this, 0, true);
  return met;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = Lookup<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  if (Nest::Inner()) return real(this, cond, timeout);
  Nest nest;
  __tsan_mutex_pre_lock(this, kRead);
  bool met = real(this, cond, timeout);
  PostLock(this, kRead, true);
  return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real = Lookup<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  if (Nest::Inner()) return real(this, cond, deadline);
  Nest nest;
  __tsan_mutex_pre_lock(this, kRead);
  bool met = real(this, cond, deadline);
  PostLock(this, kRead, true);
  return met;
}

// Await* is called with the mutex held (exclusively, or shared by a reader); TSan cannot tell
// which, and the exclusive form is the common one in our code.
void Mutex::Await(const Condition& cond) {
  static auto real =
      Lookup<void (*)(Mutex*, const Condition&)>("_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  if (Nest::Inner()) return real(this, cond);
  Nest nest;
  ReleaseAndReacquire(this, 0, [&] {
    real(this, cond);
    return 0;
  });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto real = Lookup<bool (*)(Mutex*, const Condition&, absl::Duration)>(
      "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  if (Nest::Inner()) return real(this, cond, timeout);
  Nest nest;
  return ReleaseAndReacquire(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  static auto real = Lookup<bool (*)(Mutex*, const Condition&, absl::Time)>(
      "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  if (Nest::Inner()) return real(this, cond, deadline);
  Nest nest;
  return ReleaseAndReacquire(this, 0, [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  static auto real =
      Lookup<void (*)(CondVar*, Mutex*)>("_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  if (Nest::Inner()) return real(this, mu);
  Nest nest;
  ReleaseAndReacquire(mu, 0, [&] {
    real(this, mu);
    return 0;
  });
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static auto real = Lookup<bool (*)(CondVar*, Mutex*, absl::Duration)>(
      "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  if (Nest::Inner()) return real(this, mu, timeout);
  Nest nest;
  return ReleaseAndReacquire(mu, 0, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  static auto real = Lookup<bool (*)(CondVar*, Mutex*, absl::Time)>(
      "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  if (Nest::Inner()) return real(this, mu, deadline);
  Nest nest;
  return ReleaseAndReacquire(mu, 0, [&] { return real(this, mu, deadline); });
}

void Notification::Notify() {
  static auto real = Lookup<void (*)(Notification*)>("_ZN4absl7debian312Notification6NotifyEv");
  if (Nest::Inner()) return real(this);
  Nest nest;
  __tsan_release(this);
  __tsan_release(NotifiedFlag(this));
  real(this);
}

void Notification::WaitForNotification() const {
  static auto real = Lookup<void (*)(const Notification*)>(
      "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  if (Nest::Inner()) return real(this);
  Nest nest;
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  static auto real = Lookup<bool (*)(const Notification*, absl::Duration)>(
      "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  if (Nest::Inner()) return real(this, timeout);
  Nest nest;
  bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  static auto real = Lookup<bool (*)(const Notification*, absl::Time)>(
      "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  if (Nest::Inner()) return real(this, deadline);
  Nest nest;
  bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

// absl::Status shares its heap representation between copies with an atomic count: Ref() is
// inline (instrumented), but the decrement and the delete of the last reference run inside
// libabsl_status.so, so TSan would report the free as racing with Ref() on other threads. Every
// reference drop releases into the representation and takes what earlier drops released, so the
// one that deletes it comes after every use.
void Status::UnrefNonInlined(uintptr_t rep) {
  static auto real = Lookup<void (*)(uintptr_t)>("_ZN4absl7debian36Status15UnrefNonInlinedEm");
  __tsan_release(reinterpret_cast<void*>(rep));
  __tsan_acquire(reinterpret_cast<void*>(rep));
  real(rep);
}

ABSL_NAMESPACE_END
}  // namespace absl

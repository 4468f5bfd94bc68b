#include "eventmesh/common/string_resize.h"

namespace eventmesh {

#if defined(__GLIBCXX__) && defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI

namespace {

// libstdc++ keeps a string's length with the private std::string::_M_set_length (which also
// writes the terminating NUL). An explicit instantiation may name a private member (as folly's
// UninitializedMemoryHacks do): this one defines SetLength as a call of it.
void SetLength(std::string& s, std::string::size_type n);

template <void (std::string::*kSetLength)(std::string::size_type)>
struct SetLengthAccess {
  friend void SetLength(std::string& s, std::string::size_type n) { (s.*kSetLength)(n); }
};

template struct SetLengthAccess<&std::string::_M_set_length>;

}  // namespace

void ResizeUninitialized(std::string* s, size_t n) {
  // reserve at least doubles a growing capacity (std::string's own growth), as append would.
  if (n > s->capacity()) s->reserve(n);
  SetLength(*s, n);
}

#else

void ResizeUninitialized(std::string* s, size_t n) { s->resize(n); }

#endif

}  // namespace eventmesh

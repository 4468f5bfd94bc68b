#ifndef EVENTMESH_COMMON_STRING_RESIZE_H_
#define EVENTMESH_COMMON_STRING_RESIZE_H_

// Resizing a std::string without writing its new bytes, for encoders that size their output up
// front and then write every byte of it: a frame put together from pieces, an event's stored
// form. std::string::resize fills the new room with zeros first, a second pass over bytes that
// are overwritten at once (and, in libstdc++, a library call through _M_replace_aux).

#include <cstddef>
#include <string>

namespace eventmesh {

// s->resize(n), except that the bytes from the old size up to n are left unwritten: the caller
// writes each of them before anything reads it. Capacity grows as append would grow it
// (at least doubling), so repeated calls are amortised O(1) per byte. Shrinking (n <= size)
// is resize's. With libstdc++'s std::string the length is set directly; with any other
// library this is s->resize(n).
void ResizeUninitialized(std::string* s, size_t n);

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_STRING_RESIZE_H_

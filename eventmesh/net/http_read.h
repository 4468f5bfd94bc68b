#ifndef EVENTMESH_NET_HTTP_READ_H_
#define EVENTMESH_NET_HTTP_READ_H_

// AsyncReadBounded: reads one HTTP message into a Beast parser like http::async_read, but the
// header on its own first, so the parser's body_limit holds for every answer.
//
// Why: Boost.Beast 1.74's eager parsing (what http::async_read uses) skips the body_limit check
// of a Content-Length body when the first body bytes arrive in the same read as the header, and
// then reserves the announced length: "Content-Length: 100000000000" followed by one byte made
// string_body throw std::bad_alloc out of the io thread. Parsing the header without eagerness
// checks the length first (error::body_limit) and reserves only what the limit allows.
//
// `stream`, `buffer` and `parser` must outlive the operation (the caller's handler usually
// holds the object owning them). The handler gets (error_code, 0).

#include <cstddef>
#include <utility>

#include "boost/beast/http/read.hpp"

namespace eventmesh::net {

template <class Stream, class Buffer, class Parser, class Handler>
void AsyncReadBounded(Stream& stream, Buffer& buffer, Parser& parser, Handler&& handler) {
  boost::beast::http::async_read_header(
      stream, buffer, parser,
      [&stream, &buffer, &parser, handler = std::forward<Handler>(handler)](
          boost::system::error_code ec, std::size_t) mutable {
        if (ec || parser.is_done()) return handler(ec, std::size_t{0});
        boost::beast::http::async_read(stream, buffer, parser, std::move(handler));
      });
}

}  // namespace eventmesh::net

#endif  // EVENTMESH_NET_HTTP_READ_H_

// `co_await operation(..., kTuple)`: an Asio operation's error comes back in a tuple beside
// its result instead of being thrown, for code that handles failures as values.
//
//   auto [error, n] = co_await socket.async_read_some(buffer, kTuple);
#ifndef SWITCHYARD_COMMON_NET_AS_TUPLE_H_
#define SWITCHYARD_COMMON_NET_AS_TUPLE_H_

#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace switchyard::common {

inline constexpr auto kTuple = boost::asio::experimental::as_tuple(boost::asio::use_awaitable);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_NET_AS_TUPLE_H_

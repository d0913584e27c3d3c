#pragma once
// The only way Parley includes Boost.Asio: Boost 1.74's Asio needs <utility>
// before it in C++20 mode.

// clang-format off
#include <utility>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on

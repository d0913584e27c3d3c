# Warnings and sanitizers applied to every Parley target through parley_options.
add_library(parley_options INTERFACE)
target_compile_options(parley_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unused-parameter)
if(PARLEY_WERROR)
  target_compile_options(parley_options INTERFACE -Werror)
endif()
# Boost 1.74's Asio needs <utility> before it in C++20 mode; it is included in
# src/runtime/asio.h which every Asio user includes instead of <boost/asio.hpp>.
target_compile_definitions(parley_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
if(PARLEY_SANITIZE)
  target_compile_options(parley_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(parley_options INTERFACE -fsanitize=address,undefined)
endif()
if(PARLEY_BUILD_FUZZ)
  target_compile_options(parley_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(parley_options INTERFACE -fsanitize=address,undefined)
endif()

#pragma once
// Structured logs: one line per event, an event name plus key/value
// fields, as logfmt ("text") or JSON. Fields are only evaluated when the
// level is enabled (use the PLOG_* macros).
//
//   PLOG_INFO("listening", {{"proto", "udp"}, {"addr", addr.ToString()}});

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace parley::log {

enum class Level : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };

struct Field {
  std::string_view key;
  std::variant<std::string_view, int64_t> value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  template <typename I, typename = std::enable_if_t<std::is_integral_v<I>>>
  Field(std::string_view k, I v) : key(k), value(static_cast<int64_t>(v)) {}
};

// Configures the process-wide logger (stderr). Safe to call again.
void Init(std::string_view level, std::string_view format);
bool Enabled(Level level);
void Write(Level level, std::string_view event, std::initializer_list<Field> fields = {});
Level ParseLevel(std::string_view s);

}  // namespace parley::log

#define PLOG_AT(lvl, event, ...)                                                  \
  do {                                                                            \
    if (::parley::log::Enabled(lvl)) ::parley::log::Write(lvl, event, ##__VA_ARGS__); \
  } while (0)
#define PLOG_TRACE(event, ...) PLOG_AT(::parley::log::Level::kTrace, event, ##__VA_ARGS__)
#define PLOG_DEBUG(event, ...) PLOG_AT(::parley::log::Level::kDebug, event, ##__VA_ARGS__)
#define PLOG_INFO(event, ...) PLOG_AT(::parley::log::Level::kInfo, event, ##__VA_ARGS__)
#define PLOG_WARN(event, ...) PLOG_AT(::parley::log::Level::kWarn, event, ##__VA_ARGS__)
#define PLOG_ERROR(event, ...) PLOG_AT(::parley::log::Level::kError, event, ##__VA_ARGS__)

#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>

namespace parley::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<bool> g_json{false};

std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("parley", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return logger;
}

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

void AppendTimestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  out.append(buf, n);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03dZ", static_cast<int>(ms));
  out.append(frac);
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out.append(buf);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// logfmt: quote values holding spaces, quotes, '=' or control bytes.
void AppendLogfmtValue(std::string& out, std::string_view s) {
  bool quote = s.empty();
  for (unsigned char c : s) quote |= (c <= ' ' || c == '"' || c == '=' || c == 0x7f);
  if (!quote) {
    out.append(s);
    return;
  }
  AppendJsonString(out, s);
}

}  // namespace

Level ParseLevel(std::string_view s) {
  if (s == "trace") return Level::kTrace;
  if (s == "debug") return Level::kDebug;
  if (s == "warn") return Level::kWarn;
  if (s == "error") return Level::kError;
  if (s == "off") return Level::kOff;
  return Level::kInfo;
}

void Init(std::string_view level, std::string_view format) {
  g_level = ParseLevel(level);
  g_json = format == "json";
  Logger();
}

bool Enabled(Level level) { return level != Level::kOff && level >= g_level.load(std::memory_order_relaxed); }

void Write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128);
  if (g_json.load(std::memory_order_relaxed)) {
    line.append("{\"ts\":\"");
    AppendTimestamp(line);
    line.append("\",\"level\":\"").append(LevelName(level)).append("\",\"event\":");
    AppendJsonString(line, event);
    for (const Field& f : fields) {
      line.push_back(',');
      AppendJsonString(line, f.key);
      line.push_back(':');
      if (auto* i = std::get_if<int64_t>(&f.value)) {
        line.append(std::to_string(*i));
      } else {
        AppendJsonString(line, std::get<std::string_view>(f.value));
      }
    }
    line.push_back('}');
  } else {
    line.append("ts=");
    AppendTimestamp(line);
    line.append(" level=").append(LevelName(level)).append(" event=");
    AppendLogfmtValue(line, event);
    for (const Field& f : fields) {
      line.push_back(' ');
      line.append(f.key).push_back('=');
      if (auto* i = std::get_if<int64_t>(&f.value)) {
        line.append(std::to_string(*i));
      } else {
        AppendLogfmtValue(line, std::get<std::string_view>(f.value));
      }
    }
  }
  Logger()->info(line);
}

}  // namespace parley::log

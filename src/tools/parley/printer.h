#pragma once
// How parley talks: with --json one JSON object per line for every event
// and result ({"event":"message",…}); otherwise short human-readable lines.
// Errors go to stderr as one line ("parley: …") in text mode, and as
// {"event":"error",…} on stdout in JSON mode.

#include <nlohmann/json.hpp>

#include <cstdio>
#include <mutex>
#include <string>

#include "ua/events.h"

namespace parley::cli {

nlohmann::json ToJson(const ua::Event& e);
nlohmann::json OutcomeJson(const ua::Outcome& o);
// One human-readable line (no newline); "" for events not worth a line.
std::string ToText(const ua::Event& e);
std::string ShortAor(const std::string& uri);  // "sip:bob@x" -> "bob@x"
std::string LocalTime(const std::string& rfc3339);  // "2024-05-01T10:11:12Z" -> "12:11" local

class Printer {
 public:
  explicit Printer(bool json, FILE* out = stdout, FILE* err = stderr) : json_(json), out_(out), err_(err) {}
  bool json() const { return json_; }

  void Event(const ua::Event& e);
  // A result line: `text` for people, `j` (plus "event": kind) for scripts.
  void Result(const std::string& kind, nlohmann::json j, const std::string& text);
  // An error the user can act on; `kind` names it ("auth", "unreachable" …).
  void Fail(const std::string& kind, const std::string& text, nlohmann::json extra = nlohmann::json::object());
  void Line(const std::string& text);  // text mode only

 private:
  bool json_;
  FILE* out_;
  FILE* err_;
  std::mutex mu_;
};

}  // namespace parley::cli

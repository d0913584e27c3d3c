#pragma once
// xs:dateTime as PIDF uses it (<timestamp>, RPID from/until/last-input):
// YYYY-MM-DDThh:mm:ss[.frac][Z|(+|-)hh:mm]. Pure arithmetic, no time zone
// database and no clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::presence {

// Seconds since the Unix epoch (fractions dropped); a missing zone is taken
// as UTC. nullopt when the text is not a valid xs:dateTime.
std::optional<int64_t> ParseDateTime(std::string_view text);

// "2024-05-01T12:00:00Z".
std::string FormatDateTime(int64_t unix_seconds);

}  // namespace parley::presence

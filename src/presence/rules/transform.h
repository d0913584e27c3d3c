#pragma once
// The document a watcher gets: a presence document reduced to what the
// combined transformations permit (RFC 5025 §3.3). Pure.

#include <string_view>

#include "presence/doc/pidf.h"
#include "presence/rules/rules.h"

namespace parley::presence::rules {

// Keeps the entity, the permitted services (each with its basic status,
// contact, priority and timestamp), the permitted person and devices, and of
// their attributes only the permitted ones; everything else is removed. With
// no transformation at all the result is the bare entity. The output always
// serializes to a document ParsePidf accepts.
PresenceDoc ApplyTransformations(const PresenceDoc& doc, const Transformations& t);

// The expanded name of a raw extension element as the presence document
// model keeps it (its outer XML, made self-contained); false when it cannot
// be read.
bool ExtensionName(std::string_view raw, std::string& ns, std::string& local);

}  // namespace parley::presence::rules

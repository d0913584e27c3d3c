#pragma once
// What the message store's processors and its delivery share about message
// bodies: content-type tests, the IMDN flags a CPIM message asked for, and
// wrapping a body in CPIM.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "im/format/imdn.h"

namespace parley::im {

// On the type/subtype of a Content-Type value (parameters ignored).
bool IsCpimType(std::string_view content_type);
bool IsComposingType(std::string_view content_type);

// store::ImdnFlag bits for what `d` asks for.
uint32_t ImdnFlags(const DispositionRequest& d);

// `content` in message/cpim From `from`, To `to`, with its DateTime and
// imdn.Message-ID; an error when CPIM cannot carry one of them.
Result<std::string> WrapInCpim(const std::string& from, const std::string& to, const std::string& datetime,
                               const std::string& message_id, std::string_view content_type,
                               std::string_view content);

}  // namespace parley::im

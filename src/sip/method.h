#pragma once

#include <cstdint>
#include <string_view>

namespace parley::sip {

enum class Method : uint8_t {
  kUnknown,
  kInvite, kAck, kBye, kCancel, kOptions, kRegister, kPrack,
  kSubscribe, kNotify, kPublish, kInfo, kRefer, kMessage, kUpdate,
};

// Methods are case-sensitive tokens (RFC 3261 §7.1).
Method ParseMethod(std::string_view token);
std::string_view MethodName(Method m);

}  // namespace parley::sip

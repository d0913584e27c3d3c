#include "im/service/content.h"

#include "common/strings.h"
#include "im/format/cpim.h"
#include "store/store.h"

namespace parley::im {
namespace {

std::string_view Essence(std::string_view content_type) {
  return TrimLws(content_type.substr(0, content_type.find(';')));
}

}  // namespace

bool IsCpimType(std::string_view content_type) { return IEquals(Essence(content_type), kCpimType); }

bool IsComposingType(std::string_view content_type) {
  return IEquals(Essence(content_type), "application/im-iscomposing+xml");
}

uint32_t ImdnFlags(const DispositionRequest& d) {
  auto flag = [](bool on, uint32_t f) { return on ? f : 0u; };
  return flag(d.positive_delivery, store::kImdnPositiveDelivery) |
         flag(d.negative_delivery, store::kImdnNegativeDelivery) | flag(d.display, store::kImdnDisplay);
}

Result<std::string> WrapInCpim(const std::string& from, const std::string& to, const std::string& datetime,
                               const std::string& message_id, std::string_view content_type,
                               std::string_view content) {
  CpimMessage c;
  c.from = CpimAddress{"", from};
  c.to.push_back(CpimAddress{"", to});
  c.datetime = datetime;
  c.DeclareNamespace(kImdnPrefix, kImdnNs);
  c.AddExtension(kImdnPrefix, "Message-ID", message_id);
  c.SetContentHeader("Content-Type", content_type);
  c.content = std::string(content);
  return BuildCpim(c);
}

}  // namespace parley::im

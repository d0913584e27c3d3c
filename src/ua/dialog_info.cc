#include "ua/dialog_info.h"

#include "common/strings.h"
#include "ua/xml_util.h"

namespace parley::ua {

Result<std::vector<DialogEntry>> DialogInfoState::Apply(std::string_view text) {
  pugi::xml_document doc;
  if (!xml::Load(doc, text)) return Error(400, "dialog-info: not XML");
  pugi::xml_node root = doc.document_element();
  if (xml::LocalName(root.name()) != "dialog-info") return Error(400, "dialog-info: wrong root element");
  auto version = ParseUint(root.attribute("version").as_string(), INT64_MAX);
  std::string_view state = root.attribute("state").as_string();
  if (!version || (state != "full" && state != "partial")) return Error(400, "dialog-info: bad version or state");
  const int64_t v = static_cast<int64_t>(*version);
  std::vector<DialogEntry> named;
  for (pugi::xml_node d = root.first_child(); d; d = d.next_sibling()) {
    if (d.type() != pugi::node_element || xml::LocalName(d.name()) != "dialog") continue;
    if (named.size() == kMaxDialogs) return Error(413, "dialog-info: more than 256 dialogs");
    DialogEntry e;
    e.id = d.attribute("id").as_string();
    if (e.id.empty()) return Error(400, "dialog-info: a dialog without id");
    e.call_id = d.attribute("call-id").as_string();
    e.direction = d.attribute("direction").as_string();
    pugi::xml_node st = xml::Child(d, "state");
    e.state = xml::ChildText(d, "state");
    e.event = st.attribute("event").as_string();
    e.code = static_cast<int>(ParseUint(st.attribute("code").as_string(), 699).value_or(0));
    e.duration = static_cast<uint32_t>(ParseUint(xml::ChildText(d, "duration"), UINT32_MAX).value_or(0));
    pugi::xml_node remote = xml::Child(d, "remote");
    e.remote_identity = xml::ChildText(remote, "identity");
    e.remote_display = xml::Child(remote, "identity").attribute("display").as_string();
    if (e.state.empty()) return Error(400, "dialog-info: a dialog without state");
    named.push_back(std::move(e));
  }
  const bool full = state == "full";
  if (!full) {
    if (version_ < 0 || v != version_ + 1) return Error(409, "dialog-info: partial document out of sequence");
  } else if (version_ >= 0 && v <= version_) {
    return std::vector<DialogEntry>{};  // stale (RFC 4235 §4.1)
  }
  std::map<std::string, DialogEntry> next = full ? std::map<std::string, DialogEntry>{} : dialogs_;
  for (const DialogEntry& e : named) {
    if (e.state == "terminated") {
      next.erase(e.id);
    } else {
      next[e.id] = e;
    }
  }
  // Partial documents add up: the bound holds for what we keep, too.
  if (next.size() > kMaxDialogs) return Error(413, "dialog-info: more than 256 dialogs");
  dialogs_ = std::move(next);
  version_ = v;
  last_full_ = full;
  return named;
}

}  // namespace parley::ua

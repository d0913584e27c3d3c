#pragma once
// The message store's HTTP JSON API (seed 003 §7.4 "access deferred
// messages", §17.4 history), for the authenticated user `user`:
//
//   GET    /v1/messages[?limit=N]          messages waiting for the user, oldest first
//   DELETE /v1/messages/{id}               remove one (after reading it)
//   GET    /v1/history[?with=URI&from=T&to=T&q=TEXT&limit=N&before=ID]
//                                          the user's archive, newest first; T is
//                                          RFC 3339 or unix ms; `next_before` pages on
//
// Message objects: {"id", "from", "to", "time" (RFC 3339), "content_type",
// "text" (text bodies) or "body_base64"}; history entries add "direction"
// ("in"/"out") and "peer". message/cpim bodies are shown by their content,
// with the CPIM From and DateTime.

#include <functional>
#include <map>
#include <string>

#include "store/executor.h"

namespace parley::im {

struct ApiCall {
  std::string method;  // GET, DELETE
  std::string path;    // "/v1/messages/12"
  std::map<std::string, std::string> query;  // decoded parameters
  std::string user;    // authenticated AOR
};

struct ApiReply {
  int status = 200;
  std::string json;  // "" for 204
};

class MessageApi {
 public:
  explicit MessageApi(store::StoreExecutor& store) : store_(store) {}
  // `done` runs on the store's thread.
  void Handle(ApiCall call, std::function<void(ApiReply)> done);

 private:
  store::StoreExecutor& store_;
};

}  // namespace parley::im

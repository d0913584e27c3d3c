#include "tools/parley/client.h"

#include <csignal>
#include <filesystem>
#include <ctime>
#include <fstream>

#include "tools/parley/exit_codes.h"
#include "ua/now.h"

namespace parley::cli {

std::atomic<bool> g_interrupted{false};

namespace {
void OnSignal(int) { g_interrupted.store(true); }
}  // namespace

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void ItemQueue::Push(Item item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(item));
  }
  cv_.notify_one();
}

void ItemQueue::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

std::optional<Item> ItemQueue::Pop(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (items_.empty()) {
    if (g_interrupted.load() || woken_) {
      woken_ = false;
      return std::nullopt;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::nullopt;
    cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(100)));
  }
  Item item = std::move(items_.front());
  items_.pop_front();
  return item;
}

Client::~Client() {
  if (ua_) ua_->Shutdown();
}

ua::UserAgent::Sink Client::Sink() {
  return [this](ua::Event e) { queue_.Push(std::move(e)); };
}

int Client::Start() {
  auto ua = ua::UserAgent::Create(settings_.ua, Sink());
  if (!ua.ok()) {
    printer_.Fail("unreachable", ua.error().message);
    return kExitUnreachable;
  }
  ua_ = std::move(*ua);
  return kExitOk;
}

std::optional<Completion> Client::Publish(const ua::PresenceDoc& doc, uint32_t expires) {
  std::string key = settings_.ua.account.aor.Uri();
  nlohmann::json state;
  if (!settings_.state_file.empty()) {
    std::ifstream in(settings_.state_file);
    if (in) state = nlohmann::json::parse(in, nullptr, false);
    if (!state.is_object()) state = nlohmann::json::object();
  }
  std::string etag;
  const auto& pubs = state.value("publications", nlohmann::json::object());
  if (pubs.contains(key) && pubs[key].value("expires_at", int64_t{0}) > static_cast<int64_t>(std::time(nullptr)) + 5) {
    etag = pubs[key].value("etag", "");
  }
  ua_->Publish(
      doc,
      [this](const ua::Outcome& o, const std::string& tag, uint32_t granted) {
        Completion c = Completion::Of("publish", o);
        c.etag = tag;
        c.expires = granted;
        queue_.Push(std::move(c));
      },
      etag, expires);
  auto done = WaitFor("publish");
  if (done && done->outcome.ok()) published = true;
  if (done && done->outcome.ok() && !settings_.state_file.empty()) {
    state["publications"][key] = {{"etag", done->etag},
                                  {"expires_at", static_cast<int64_t>(std::time(nullptr)) + done->expires}};
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(settings_.state_file).parent_path(), ec);
    std::ofstream out(settings_.state_file);
    if (out) out << state.dump(2) << "\n";
  }
  return done;
}

int Client::FailWith(const std::string& what, const ua::Outcome& o) {
  nlohmann::json extra = {{"response", OutcomeJson(o)}};
  std::string text = what + ": " + o.Describe();
  if (o.failure == ua::Failure::kUnreachable) text += " [" + ua_->ServerDescription() + "]";
  printer_.Fail(std::string(ua::FailureName(o.failure)), text, extra);
  return ExitFor(o);
}

int Client::Register() {
  ua_->Register();
  auto deadline = Deadline();
  while (auto item = queue_.Pop(deadline)) {
    if (auto* e = std::get_if<ua::Event>(&*item)) {
      if (auto* r = std::get_if<ua::RegistrationEvent>(e)) {
        if (r->state == ua::RegistrationEvent::State::kRegistered) {
          Show(*e);
          return kExitOk;
        }
        if (r->state == ua::RegistrationEvent::State::kFailed) return FailWith("login failed", r->outcome);
      }
      Show(*e);
    }
  }
  if (g_interrupted.load()) return kExitFailed;
  ua::Outcome o;
  o.status = 408;
  o.reason = "Request Timeout";
  o.failure = ua::Failure::kUnreachable;
  o.local = true;
  return FailWith("login failed", o);
}

std::optional<Completion> Client::WaitFor(const std::string& tag, std::function<void(const ua::Event&)> on_event) {
  auto deadline = Deadline();
  while (auto item = queue_.Pop(deadline)) {
    if (auto* c = std::get_if<Completion>(&*item)) {
      if (c->tag == tag) return *c;
      continue;
    }
    const auto& e = std::get<ua::Event>(*item);
    if (on_event) on_event(e);
    else Show(e);
  }
  return std::nullopt;
}

void Client::Unregister() {
  bool was_interrupted = g_interrupted.exchange(false);
  if (published) {
    ua_->Unpublish([this](const ua::Outcome& o) { queue_.Push(Completion::Of("unpublish", o, {})); });
    WaitFor("unpublish");
  }
  ua_->Unregister([this](const ua::Outcome& o) { queue_.Push(Completion::Of("unregister", o, {})); });
  WaitFor("unregister", [](const ua::Event&) {});
  g_interrupted.store(was_interrupted);
}

void Client::Show(const ua::Event& e) {
  printer_.Event(e);
  if (auto* m = std::get_if<ua::ReceivedMessage>(&e)) LogReceived(*m);
}

void Client::LogReceived(const ua::ReceivedMessage& m) {
  AppendHistory({{"dir", "in"}, {"peer", m.from}, {"text", m.text}, {"time", m.datetime}});
}

void Client::LogSent(const std::string& to, const std::string& text, const ua::Outcome& o) {
  if (!o.ok() && o.status != 202) return;
  AppendHistory({{"dir", "out"}, {"peer", to}, {"text", text}, {"time", ua::NowRfc3339()}, {"status", o.status}});
}

void Client::AppendHistory(const nlohmann::json& j) {
  if (settings_.history_file.empty()) return;
  nlohmann::json line = j;
  line["account"] = settings_.ua.account.aor.Uri();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(settings_.history_file).parent_path(), ec);
  std::ofstream out(settings_.history_file, std::ios::app);
  if (out) out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace parley::cli

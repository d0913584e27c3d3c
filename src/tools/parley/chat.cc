// `parley chat bob@example.com`: a conversation in the terminal. Scrollback
// above, the peer's presence in the header, "bob is typing…" (RFC 3994) in
// the status line, a line editor at the bottom. Plain termios + ANSI, so it
// works in any terminal and under tmux.

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <deque>
#include <map>

#include "tools/parley/client.h"
#include "tools/parley/commands.h"
#include "tools/parley/exit_codes.h"
#include "tools/parley/terminal.h"
#include "ua/now.h"

namespace parley::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct ChatLine {
  enum Kind { kIn, kOut, kInfo } kind = kInfo;
  std::string time;  // HH:MM:SS
  std::string who;
  std::string text;
  std::string mark;  // outgoing: "…", "✓", "stored", "✗ 404 Not Found"
};

class ChatScreen {
 public:
  ChatScreen(Client& client, ua::Aor peer) : c_(client), peer_(std::move(peer)) {}

  int Run();

 private:
  void Draw();
  void OnKey(const Key& k);
  void OnItem(const Item& item);
  void Submit();
  void Add(ChatLine line) {
    lines_.push_back(std::move(line));
    if (lines_.size() > 5000) lines_.pop_front();
    scroll_ = 0;
  }
  void Info(const std::string& text) { Add({ChatLine::kInfo, LocalTime(""), "", text, ""}); }
  void Typed();
  void Tick();

  Client& c_;
  ua::Aor peer_;
  std::deque<ChatLine> lines_;
  std::string input_;
  size_t cursor_ = 0;  // byte offset in input_
  std::vector<std::string> input_history_;
  size_t history_pos_ = 0;
  int scroll_ = 0;  // rows scrolled back
  std::string presence_ = "unknown";
  std::string presence_note_;
  bool peer_typing_ = false;
  Clock::time_point peer_typing_until_{};
  bool composing_ = false;
  Clock::time_point composing_sent_{};
  Clock::time_point last_key_{};
  bool quit_ = false;
  bool dirty_ = true;
  uint64_t sent_count_ = 0;
  std::map<uint64_t, size_t> pending_sends_;  // send number -> absolute line number
  size_t lines_dropped_ = 0;
};

std::string Trunc(const std::string& s, size_t cols) {
  if (Columns(s) <= cols) return s;
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (n == cols) break;
      ++n;
    }
    out += s[i];
  }
  return out;
}

// Splits text into rows of at most `cols` columns.
std::vector<std::string> Wrap(const std::string& s, size_t cols) {
  std::vector<std::string> rows;
  std::string cur;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (s[i] == '\n') {
      rows.push_back(cur);
      cur.clear();
      n = 0;
      continue;
    }
    if ((c & 0xC0) != 0x80) {
      if (n == cols) {
        rows.push_back(cur);
        cur.clear();
        n = 0;
      }
      ++n;
    }
    cur += s[i];
  }
  rows.push_back(cur);
  return rows;
}

void ChatScreen::Draw() {
  WindowSize ws = GetWindowSize();
  int height = std::max(1, ws.rows - 3);
  size_t cols = static_cast<size_t>(std::max(10, ws.cols));
  std::string out = "\x1b[?25l\x1b[H";
  // Header: who and their presence.
  const char* color = presence_ == "open" ? "\x1b[32m" : presence_ == "closed" || presence_ == "unknown" ? "\x1b[90m"
                                                                                                        : "\x1b[33m";
  std::string head = " parley — chat with " + peer_.Text() + "   ";
  std::string pres = "● " + presence_ + (presence_note_.empty() ? "" : " — " + presence_note_);
  out += "\x1b[7m" + Trunc(head, cols) + "\x1b[27m" + color + Trunc(pres, cols - std::min(cols, Columns(head))) +
         "\x1b[0m\x1b[K\r\n";
  // Messages, wrapped, the newest at the bottom.
  std::vector<std::string> rows;
  for (const auto& l : lines_) {
    std::string prefix = l.time + " ";
    std::string plain = l.kind == ChatLine::kInfo ? prefix + "* " + l.text
                                                  : prefix + l.who + ": " + l.text + (l.mark.empty() ? "" : "  " + l.mark);
    auto wrapped = Wrap(plain, cols);
    for (auto& w : wrapped) {
      if (l.kind == ChatLine::kInfo) w = "\x1b[90m" + w + "\x1b[0m";
      else if (l.kind == ChatLine::kOut) w = "\x1b[36m" + w + "\x1b[0m";
      rows.push_back(std::move(w));
    }
  }
  int total = static_cast<int>(rows.size());
  scroll_ = std::clamp(scroll_, 0, std::max(0, total - height));
  int first = std::max(0, total - height - scroll_);
  int shown = 0;
  for (int i = first; i < total && shown < height; ++i, ++shown) out += rows[static_cast<size_t>(i)] + "\x1b[K\r\n";
  for (; shown < height; ++shown) out += "\x1b[K\r\n";
  // Status line.
  std::string status;
  if (peer_typing_) status = peer_.user + " is typing…";
  if (scroll_ > 0) status += (status.empty() ? "" : "   ") + std::string("[scrolled back — PgDn]");
  out += "\x1b[90m" + Trunc(status, cols) + "\x1b[0m\x1b[K\r\n";
  // Input line, scrolled horizontally so the cursor shows.
  std::string before = input_.substr(0, cursor_);
  size_t avail = cols > 3 ? cols - 3 : 1;
  size_t col = Columns(before);
  std::string visible = input_;
  size_t skip = col > avail ? col - avail : 0;
  if (skip) {
    size_t n = 0, i = 0;
    for (; i < visible.size() && n < skip; ++i) {
      if ((static_cast<unsigned char>(visible[i]) & 0xC0) != 0x80) ++n;
    }
    while (i < visible.size() && (static_cast<unsigned char>(visible[i]) & 0xC0) == 0x80) ++i;
    visible = visible.substr(i);
  }
  out += "> " + Trunc(visible, avail) + "\x1b[K";
  out += "\x1b[" + std::to_string(ws.rows) + ";" + std::to_string(3 + col - skip) + "H\x1b[?25h";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  dirty_ = false;
}

void ChatScreen::Typed() {
  last_key_ = Clock::now();
  // Not to a peer known to be offline: a store-and-forward server would keep
  // the indication for later.
  if (input_.empty() || presence_ == "closed") return;
  // RFC 3994 §3.1: active now, refreshed before the 90 s refresh interval ends.
  if (!composing_ || Clock::now() - composing_sent_ > std::chrono::seconds(60)) {
    c_.ua().SendComposing(peer_, true);
    composing_ = true;
    composing_sent_ = Clock::now();
  }
}

void ChatScreen::Tick() {
  auto now = Clock::now();
  // Idle after 15 s without typing.
  if (composing_ && now - last_key_ > std::chrono::seconds(15)) {
    c_.ua().SendComposing(peer_, false);
    composing_ = false;
  }
  if (peer_typing_ && now > peer_typing_until_) {
    peer_typing_ = false;
    dirty_ = true;
  }
}

void ChatScreen::Submit() {
  std::string text = input_;
  input_.clear();
  cursor_ = 0;
  if (text.empty()) return;
  input_history_.push_back(text);
  history_pos_ = input_history_.size();
  if (text == "/quit" || text == "/exit") {
    quit_ = true;
    return;
  }
  if (text.rfind("/status ", 0) == 0) {
    std::string rest = text.substr(8);
    size_t sp = rest.find(' ');
    std::string word = rest.substr(0, sp);
    std::string note = sp == std::string::npos ? "" : rest.substr(sp + 1);
    auto doc = ua::PresenceFromStatus(word, note);
    if (!doc.ok()) return Info(doc.error().message);
    c_.ua().Publish(*doc, [this, word](const ua::Outcome& o, const std::string&, uint32_t) {
      c_.queue().Push(Completion::Of("publish", o, word));
    });
    c_.published = true;
    return;
  }
  if (text == "/help") {
    return Info("Enter sends · /status away [note] · /quit · PgUp/PgDn scroll · Ctrl-U clears · Ctrl-C quits");
  }
  uint64_t n = ++sent_count_;
  Add({ChatLine::kOut, LocalTime(""), "me", text, "…"});
  pending_sends_[n] = lines_dropped_ + lines_.size() - 1;
  composing_ = false;  // the message itself ends "active" (RFC 3994 §3.1)
  c_.ua().SendMessage(peer_, text, {}, [this, n](const ua::SendResult& r) {
    c_.queue().Push(Completion::Of("send", r.outcome, std::to_string(n)));
  });
}

void ChatScreen::OnKey(const Key& k) {
  dirty_ = true;
  switch (k.kind) {
    case Key::kText:
      input_.insert(cursor_, k.text);
      cursor_ += k.text.size();
      Typed();
      break;
    case Key::kEnter: Submit(); break;
    case Key::kBackspace:
      if (cursor_ > 0) {
        size_t i = cursor_ - 1;
        while (i > 0 && (static_cast<unsigned char>(input_[i]) & 0xC0) == 0x80) --i;
        input_.erase(i, cursor_ - i);
        cursor_ = i;
      }
      break;
    case Key::kDelete:
      if (cursor_ < input_.size()) {
        size_t e = cursor_ + 1;
        while (e < input_.size() && (static_cast<unsigned char>(input_[e]) & 0xC0) == 0x80) ++e;
        input_.erase(cursor_, e - cursor_);
      }
      break;
    case Key::kLeft:
      while (cursor_ > 0) {
        --cursor_;
        if ((static_cast<unsigned char>(input_[cursor_]) & 0xC0) != 0x80) break;
      }
      break;
    case Key::kRight:
      while (cursor_ < input_.size()) {
        ++cursor_;
        if (cursor_ == input_.size() || (static_cast<unsigned char>(input_[cursor_]) & 0xC0) != 0x80) break;
      }
      break;
    case Key::kHome: cursor_ = 0; break;
    case Key::kEnd: cursor_ = input_.size(); break;
    case Key::kUp:
      if (history_pos_ > 0) {
        input_ = input_history_[--history_pos_];
        cursor_ = input_.size();
      }
      break;
    case Key::kDown:
      if (history_pos_ < input_history_.size()) ++history_pos_;
      input_ = history_pos_ < input_history_.size() ? input_history_[history_pos_] : "";
      cursor_ = input_.size();
      break;
    case Key::kPageUp: scroll_ += std::max(1, GetWindowSize().rows - 4); break;
    case Key::kPageDown: scroll_ = std::max(0, scroll_ - std::max(1, GetWindowSize().rows - 4)); break;
    case Key::kClearLine:
      input_.erase(0, cursor_);
      cursor_ = 0;
      break;
    case Key::kDeleteWord: {
      size_t i = cursor_;
      while (i > 0 && input_[i - 1] == ' ') --i;
      while (i > 0 && input_[i - 1] != ' ') --i;
      input_.erase(i, cursor_ - i);
      cursor_ = i;
      break;
    }
    case Key::kQuit: quit_ = true; break;
    case Key::kEof:
      if (input_.empty()) quit_ = true;
      break;
    case Key::kRedraw: std::fputs("\x1b[2J", stdout); break;
  }
}

void ChatScreen::OnItem(const Item& item) {
  dirty_ = true;
  if (const auto* done = std::get_if<Completion>(&item)) {
    if (done->tag == "publish") {
      if (done->outcome.ok()) Info("your presence: " + done->message_id);
      else Info("publishing presence failed: " + done->outcome.Describe());
      return;
    }
    if (done->tag != "send") return;
    uint64_t n = std::stoull(done->message_id);
    auto it = pending_sends_.find(n);
    if (it == pending_sends_.end() || it->second < lines_dropped_) return;
    ChatLine& line = lines_[it->second - lines_dropped_];
    if (done->outcome.status == 202) line.mark = "(stored for later delivery)";
    else if (done->outcome.ok()) line.mark = "✓";
    else line.mark = "✗ " + done->outcome.Describe();
    c_.LogSent(peer_.Uri(), line.text, done->outcome);
    pending_sends_.erase(it);
    return;
  }
  const auto& e = std::get<ua::Event>(item);
  if (const auto* m = std::get_if<ua::ReceivedMessage>(&e)) {
    c_.LogReceived(*m);
    bool from_peer = ua::ParseAor(m->from).value_or(ua::Aor{}) == peer_;
    if (from_peer) peer_typing_ = false;
    Add({ChatLine::kIn, LocalTime(m->datetime), from_peer ? peer_.user : ShortAor(m->from), m->text, ""});
  } else if (const auto* t = std::get_if<ua::ComposingIndication>(&e)) {
    if (ua::ParseAor(t->from).value_or(ua::Aor{}) == peer_) {
      peer_typing_ = t->state.active;
      peer_typing_until_ = Clock::now() + std::chrono::seconds(t->state.refresh ? t->state.refresh : 120);
    }
  } else if (const auto* p = std::get_if<ua::PresenceEvent>(&e)) {
    if (p->target == peer_.Uri()) {
      bool changed = presence_ != p->info.Summary() || presence_note_ != p->info.note;
      presence_ = p->info.Summary();
      presence_note_ = p->info.note;
      if (changed) Info(peer_.user + " is now " + presence_ + (presence_note_.empty() ? "" : " — " + presence_note_));
    }
  } else if (const auto* s = std::get_if<ua::SubscriptionEvent>(&e)) {
    if (s->state == ua::SubscriptionEvent::State::kPending) Info("waiting for " + peer_.user + " to allow you to see their presence");
    if (s->state == ua::SubscriptionEvent::State::kFailed) Info("cannot see " + peer_.user + "'s presence: " + s->outcome.Describe());
  } else if (const auto* d = std::get_if<ua::DeliveryNotice>(&e)) {
    Info("message " + d->imdn.message_id + " " + std::string(im::ToString(d->imdn.status)));
  } else {
    std::string text = ToText(e);
    if (!text.empty()) Info(text);
  }
}

int ChatScreen::Run() {
  RawMode raw;
  if (!raw.ok()) return kExitUsage;
  Info("chatting with " + peer_.Text() + " as " + c_.settings().ua.account.aor.Text() + " — /help for keys");
  std::string pending;
  while (!quit_ && !g_interrupted.load()) {
    if (dirty_) Draw();
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int r = ::poll(&p, 1, 50);
    if (r > 0 && (p.revents & (POLLIN | POLLHUP))) {
      char buf[256];
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
      if (n == 0 && (p.revents & POLLHUP)) break;
      if (n > 0) {
        for (const auto& k : DecodeKeys(pending, std::string_view(buf, static_cast<size_t>(n)))) OnKey(k);
      }
    }
    while (auto item = c_.queue().Pop(Clock::now())) OnItem(*item);
    Tick();
  }
  if (composing_) c_.ua().SendComposing(peer_, false);
  return kExitOk;
}

}  // namespace

int CmdChat(const Settings& s, Printer& p, const std::string& peer_text) {
  auto peer = ua::ParseAor(peer_text, s.ua.account.aor.domain);
  if (!peer.ok()) {
    p.Fail("usage", peer.error().message);
    return kExitUsage;
  }
  if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    p.Fail("usage", "chat needs an interactive terminal (use send and login in scripts)");
    return kExitUsage;
  }
  Client c(s, p);
  if (int rc = c.Start()) return rc;
  if (int rc = c.Register()) return rc;
  c.ua().Subscribe(*peer, ua::EventPackage::kPresence);
  ChatScreen screen(c, *peer);
  int rc = screen.Run();
  g_interrupted.store(false);
  c.ua().Unsubscribe(*peer, ua::EventPackage::kPresence, [&c] { c.queue().Push(Completion::Of("unsubscribe", {}, {})); });
  c.WaitFor("unsubscribe", [](const ua::Event&) {});
  c.Unregister();
  return rc;
}

}  // namespace parley::cli

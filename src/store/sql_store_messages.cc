// SqlStore: the deferred delivery queue and per-device delivery records.

#include <limits>

#include "store/errors.h"
#include "store/names.h"
#include "store/sql_store.h"
#include "store/sql_util.h"
#include "store/text.h"

namespace parley::store {
namespace {

constexpr size_t kMaxKeyBytes = 1024;  // message_id and device keys

// Two ways to store a message, the same in effect (SqlDialect::embedded):
//  * over a network, one statement: the checks (user, already delivered,
//    quota) are conditions of an INSERT … SELECT, a duplicate is an ON
//    CONFLICT; when it inserts nothing, kEnqueueCheck tells why;
//  * in process, kEnqueueCheck first, then a plain INSERT … VALUES (SQLite
//    materializes an INSERT … SELECT reading its own table: 40 % more CPU).
const std::string kEnqueueSelect =
    "INSERT INTO message_queue (recipient, sender, message_id, received_at, cpim_datetime, content_type, body,"
    " headers, bytes, attempts, next_attempt_at, imdn)"
    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11"
    " FROM (SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM message_queue WHERE recipient = $1) AS queued"
    " WHERE queued.n < $12 AND queued.b + $9 <= $13"
    " AND EXISTS (SELECT 1 FROM users WHERE aor = $1)"
    " AND NOT EXISTS (SELECT 1 FROM message_deliveries WHERE recipient = $1 AND message_id = $3)"
    " ON CONFLICT (recipient, message_id) DO NOTHING";
const std::string kEnqueueSelectReturning = kEnqueueSelect + " RETURNING id";
const std::string kEnqueueValues =
    "INSERT INTO message_queue (recipient, sender, message_id, received_at, cpim_datetime, content_type, body,"
    " headers, bytes, attempts, next_attempt_at, imdn) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11)"
    " ON CONFLICT (recipient, message_id) DO NOTHING";
const std::string kEnqueueValuesReturning = kEnqueueValues + " RETURNING id";
// Is a user, the queued id, delivered before, queued count and bytes.
const std::string kEnqueueCheck =
    "SELECT (SELECT COUNT(*) FROM users WHERE aor = $1),"
    " (SELECT id FROM message_queue WHERE recipient = $1 AND message_id = $2),"
    " (SELECT COUNT(*) FROM message_deliveries WHERE recipient = $1 AND message_id = $2), queued.n, queued.b"
    " FROM (SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM message_queue WHERE recipient = $1) AS queued";

// The columns MessagesFromRows reads, in its order.
const std::string kSelectMessages =
    "SELECT id, recipient, sender, message_id, received_at, cpim_datetime, content_type, body, headers, attempts,"
    " next_attempt_at, imdn FROM message_queue";
const std::string kPending = kSelectMessages + " WHERE recipient = $1 AND id > $2 ORDER BY id LIMIT $3";
const std::string kExpiredWithNotifications =
    kSelectMessages + " WHERE received_at < $1 AND imdn <> 0 ORDER BY received_at, id LIMIT $2";
const std::string kPendingDeliveries =
    "SELECT q.id, d.device FROM message_deliveries d"
    " JOIN message_queue q ON q.recipient = d.recipient AND q.message_id = d.message_id"
    " WHERE q.recipient = $1 AND q.id > $2 AND q.id <= $3 ORDER BY q.id, d.device";
const std::string kRecipients =
    "SELECT DISTINCT recipient FROM message_queue WHERE recipient > $1 ORDER BY recipient LIMIT $2";
const std::string kCountPending =
    "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM message_queue WHERE recipient = $1";
const std::string kRecordAttempt =
    "UPDATE message_queue SET attempts = attempts + 1, next_attempt_at = $2 WHERE id = $1";
const std::string kDeleteMessage = "DELETE FROM message_queue WHERE recipient = $1 AND id = $2";
// A user deleted meanwhile makes it a no-op rather than a constraint error.
const std::string kMarkDelivered =
    "INSERT INTO message_deliveries (recipient, message_id, device, delivered_at)"
    " SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM users WHERE aor = $1)"
    " ON CONFLICT (recipient, message_id, device) DO NOTHING";
const std::string kWasDelivered =
    "SELECT 1 FROM message_deliveries WHERE recipient = $1 AND message_id = $2 AND device = $3";
const std::string kExpireMessages = "DELETE FROM message_queue WHERE received_at < $1";
const std::string kExpireDeliveries = "DELETE FROM message_deliveries WHERE delivered_at < $1";

// Rows of kSelectMessages's columns.
std::vector<StoredMessage> MessagesFromRows(const SqlRows& rows) {
  std::vector<StoredMessage> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    StoredMessage& m = out[i];
    m.id = ToInt(rows.at(i, 0));
    m.recipient = rows.at(i, 1);
    m.sender = rows.at(i, 2);
    m.message_id = rows.at(i, 3);
    m.received_at_ms = ToInt(rows.at(i, 4));
    m.datetime = rows.at(i, 5);
    m.content_type = rows.at(i, 6);
    m.body = rows.at(i, 7);
    m.headers = rows.at(i, 8);
    m.attempts = static_cast<int32_t>(ToInt(rows.at(i, 9)));
    m.next_attempt_at_ms = ToInt(rows.at(i, 10));
    m.imdn = static_cast<uint32_t>(ToInt(rows.at(i, 11)));
  }
  return out;
}

int64_t Limit(int64_t v) { return v > 0 ? v : std::numeric_limits<int64_t>::max(); }

Result<void> CheckKey(std::string_view field, std::string_view value) {
  if (value.empty()) return Error(kErrInvalid, "empty " + std::string(field));
  if (value.size() > kMaxKeyBytes) {
    return Error(kErrInvalid, std::string(field) + " longer than " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  return CheckText(field, value);
}

// What kEnqueueCheck's row means for storing `bytes` more: a result that
// stores nothing (duplicate, error, refusal), or nothing when there is room.
std::optional<Result<EnqueueResult>> Decide(const SqlRows& rows, const std::string& to, const MessageQuota& quota,
                                            int64_t bytes) {
  using Out = std::optional<Result<EnqueueResult>>;
  if (ToInt(rows.at(0, 0)) == 0) return Out{Error(kErrNotFound, "no such user " + to)};
  if (!rows.at(0, 1).empty()) return Out{EnqueueResult{ToInt(rows.at(0, 1)), true}};
  if (ToInt(rows.at(0, 2)) > 0) return Out{EnqueueResult{0, true}};
  int64_t count = ToInt(rows.at(0, 3));
  int64_t used = ToInt(rows.at(0, 4));
  if (count >= Limit(quota.max_count)) {
    return Out{Error(kErrQuota, "message queue of " + to + " is full: " + std::to_string(count) +
                                    " messages (limit " + std::to_string(quota.max_count) + ")")};
  }
  if (used + bytes > Limit(quota.max_bytes)) {
    return Out{Error(kErrQuota, "message queue of " + to + " is full: " + std::to_string(used) + " + " +
                                    std::to_string(bytes) + " bytes over the limit of " +
                                    std::to_string(quota.max_bytes))};
  }
  return std::nullopt;
}

Result<void> CheckMessage(const StoredMessage& m) {
  if (m.sender.empty()) return Error(kErrInvalid, "message without a sender");
  if (m.content_type.empty()) return Error(kErrInvalid, "message without a content type");
  for (auto [field, value] : {std::pair<std::string_view, std::string_view>{"sender", m.sender},
                              {"datetime", m.datetime},
                              {"content type", m.content_type},
                              {"headers", m.headers}}) {
    if (auto r = CheckText(field, value); !r.ok()) return r;
  }
  return CheckKey("message id", m.message_id);
}

}  // namespace

Result<EnqueueResult> SqlStore::EnqueueMessage(const StoredMessage& m, const MessageQuota& quota) {
  return Guarded<EnqueueResult>(Mode::kAtomic, [&]() -> Result<EnqueueResult> {
    auto to = NormalizeAor(m.recipient);
    if (!to.ok()) return to.take_error();
    if (auto c = CheckMessage(m); !c.ok()) return c.error();
    auto bytes = static_cast<int64_t>(m.body.size() + m.headers.size());
    SqlRows rows;
    const bool embedded = conn_->dialect().embedded;
    if (embedded) {
      if (auto c = Run(kEnqueueCheck, {*to, m.message_id}, &rows); !c.ok()) return c.take_error();
      if (auto done = Decide(rows, *to, quota, bytes)) return std::move(*done);
    }
    auto id = embedded ? InsertId(kEnqueueValues, kEnqueueValuesReturning,
                                  {*to, m.sender, m.message_id, m.received_at_ms, m.datetime, m.content_type,
                                   SqlBlob{m.body}, m.headers, bytes, m.next_attempt_at_ms, int64_t{m.imdn}})
                       : InsertId(kEnqueueSelect, kEnqueueSelectReturning,
                                  {*to, m.sender, m.message_id, m.received_at_ms, m.datetime, m.content_type,
                                   SqlBlob{m.body}, m.headers, bytes, m.next_attempt_at_ms, int64_t{m.imdn},
                                   Limit(quota.max_count), Limit(quota.max_bytes)});
    if (!id.ok()) return id.take_error();
    if (*id > 0) return EnqueueResult{*id, false};

    // Nothing inserted: a check said why (over a network), or another
    // writer stored the same message meanwhile (its id is now found).
    if (auto c = Run(kEnqueueCheck, {*to, m.message_id}, &rows); !c.ok()) return c.take_error();
    if (auto done = Decide(rows, *to, quota, bytes)) return std::move(*done);
    // Only a writer that stored and removed the same message between the
    // two statements gets here.
    return Error(kErrBusy, "message " + m.message_id + " for " + *to + " changed concurrently; retry");
  });
}

Result<std::vector<StoredMessage>> SqlStore::PendingMessages(const std::string& recipient, int64_t after_id,
                                                             size_t limit) {
  using Out = std::vector<StoredMessage>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    Out out;
    auto to = NormalizeAor(recipient);
    if (!to.ok() || limit == 0) return out;
    SqlRows rows;
    if (auto r = Run(kPending, {*to, after_id, LimitParam(limit)}, &rows); !r.ok()) return r.take_error();
    out = MessagesFromRows(rows);
    if (out.empty()) return out;
    if (auto r = Run(kPendingDeliveries, {*to, after_id, out.back().id}, &rows); !r.ok()) return r.take_error();
    size_t next = 0;  // both are in id order
    for (size_t i = 0; i < rows.size(); ++i) {
      int64_t id = ToInt(rows.at(i, 0));
      while (next < out.size() && out[next].id < id) ++next;
      if (next < out.size() && out[next].id == id) out[next].delivered_to.push_back(rows.at(i, 1));
    }
    return out;
  });
}

Result<std::vector<std::string>> SqlStore::RecipientsWithPending(const std::string& after, size_t limit) {
  using Out = std::vector<std::string>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    Out out;
    if (limit == 0) return out;
    SqlRows rows;
    if (auto r = Run(kRecipients, {after, LimitParam(limit)}, &rows); !r.ok()) return r.take_error();
    out.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.at(i, 0));
    return out;
  });
}

Result<QueueUsage> SqlStore::CountPending(const std::string& recipient) {
  return Guarded<QueueUsage>(Mode::kSingle, [&]() -> Result<QueueUsage> {
    auto to = NormalizeAor(recipient);
    if (!to.ok()) return QueueUsage{};
    SqlRows rows;
    if (auto r = Run(kCountPending, {*to}, &rows); !r.ok()) return r.take_error();
    return QueueUsage{ToInt(rows.at(0, 0)), ToInt(rows.at(0, 1))};
  });
}

Result<bool> SqlStore::RecordAttempt(int64_t id, int64_t next_attempt_at_ms) {
  return Guarded<bool>(Mode::kSingle, [&]() -> Result<bool> {
    auto n = Run(kRecordAttempt, {id, next_attempt_at_ms});
    if (!n.ok()) return n.take_error();
    return *n > 0;
  });
}

Result<bool> SqlStore::DeleteMessage(const std::string& recipient, int64_t id) {
  return Guarded<bool>(Mode::kSingle, [&]() -> Result<bool> {
    auto to = NormalizeAor(recipient);
    if (!to.ok()) return false;
    auto n = Run(kDeleteMessage, {*to, id});
    if (!n.ok()) return n.take_error();
    return *n > 0;
  });
}

Result<void> SqlStore::MarkDelivered(const std::string& recipient, const std::string& message_id,
                                     const std::string& device, int64_t now_ms) {
  return Guarded<void>(Mode::kSingle, [&]() -> Result<void> {
    auto to = NormalizeAor(recipient);
    if (!to.ok()) return to.take_error();
    if (auto c = CheckKey("message id", message_id); !c.ok()) return c;
    if (auto c = CheckKey("device", device); !c.ok()) return c;
    if (auto r = Run(kMarkDelivered, {*to, message_id, device, now_ms}); !r.ok()) return r.take_error();
    return Ok();
  });
}

Result<bool> SqlStore::WasDelivered(const std::string& recipient, const std::string& message_id,
                                    const std::string& device) {
  return Guarded<bool>(Mode::kSingle, [&]() -> Result<bool> {
    auto to = NormalizeAor(recipient);
    if (!to.ok() || !CheckText("", message_id).ok() || !CheckText("", device).ok()) return false;
    SqlRows rows;
    if (auto r = Run(kWasDelivered, {*to, message_id, device}, &rows); !r.ok()) return r.take_error();
    return !rows.empty();
  });
}

Result<size_t> SqlStore::DeleteExpiredMessages(int64_t older_than_ms) {
  return Guarded<size_t>(Mode::kAtomic, [&]() -> Result<size_t> {
    auto n = Run(kExpireMessages, {older_than_ms});
    if (!n.ok()) return n.take_error();
    if (auto d = Run(kExpireDeliveries, {older_than_ms}); !d.ok()) return d.take_error();
    return static_cast<size_t>(*n);
  });
}

Result<std::vector<StoredMessage>> SqlStore::ExpiredWithNotifications(int64_t older_than_ms, size_t limit) {
  using Out = std::vector<StoredMessage>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    if (limit == 0) return Out{};
    SqlRows rows;
    if (auto r = Run(kExpiredWithNotifications, {older_than_ms, LimitParam(limit)}, &rows); !r.ok()) {
      return r.take_error();
    }
    return MessagesFromRows(rows);
  });
}

}  // namespace parley::store

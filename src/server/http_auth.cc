#include "server/http_auth.h"

#include <openssl/crypto.h>

#include "auth/digest.h"
#include "common/strings.h"
#include "store/names.h"

namespace parley::server {

namespace {
constexpr int kMaxFailures = 10;
constexpr auto kWindow = std::chrono::minutes(5);
}  // namespace

HttpResponse HttpAuthenticator::Challenge(const std::string& realm) {
  HttpResponse r = HttpResponse::Text(401, "authentication required\n");
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"" + realm + "\"");
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + realm + "\", charset=\"UTF-8\"");
  return r;
}

bool HttpAuthenticator::Locked(const std::string& aor) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(aor);
  if (it == failures_.end()) return false;
  if (std::chrono::steady_clock::now() - it->second.since > kWindow) {
    failures_.erase(it);
    return false;
  }
  return it->second.count >= kMaxFailures;
}

void HttpAuthenticator::Failed(const std::string& aor) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failures_.size() >= 10000) {  // guessing at many names must not grow this without bound
    auto now = std::chrono::steady_clock::now();
    std::erase_if(failures_, [now](const auto& kv) { return now - kv.second.since > kWindow; });
  }
  Failures& f = failures_[aor];
  if (f.count == 0 || std::chrono::steady_clock::now() - f.since > kWindow) {
    f.count = 0;
    f.since = std::chrono::steady_clock::now();
  }
  ++f.count;
}

void HttpAuthenticator::Authenticate(const HttpRequest& req, std::function<void(std::string)> done) {
  std::string header = req.Header("authorization");
  std::string_view value = TrimLws(header);
  if (IStartsWith(value, "bearer ")) {
    std::string secret(TrimLws(value.substr(7)));
    store_.ReadCommitted([secret, done](store::Store& s) {
      int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      auto t = s.LookupToken(secret, now_ms);
      done(t.ok() && *t ? (*t)->aor : std::string());
    });
    return;
  }
  if (!IStartsWith(value, "basic ")) return done({});
  auto decoded = Base64Decode(TrimLws(value.substr(6)));
  if (!decoded) return done({});
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return done({});
  auto aor = store::NormalizeAor(decoded->substr(0, colon));
  if (!aor.ok() || Locked(*aor)) return done({});
  std::string password = decoded->substr(colon + 1);
  store_.ReadCommitted([this, aor = *aor, password, done](store::Store& s) {
    auto u = s.GetUser(aor);
    if (!u.ok() || !*u || !(*u)->enabled) {
      Failed(aor);
      return done({});
    }
    const store::UserRecord& user = **u;
    std::string ha1 = auth::ComputeHa1(auth::Algorithm::kMd5, user.user, user.domain, password);
    bool ok = ha1.size() == user.ha1_md5.size() && CRYPTO_memcmp(ha1.data(), user.ha1_md5.data(), ha1.size()) == 0;
    if (!ok) {
      Failed(aor);
      return done({});
    }
    done(aor);
  });
}

}  // namespace parley::server

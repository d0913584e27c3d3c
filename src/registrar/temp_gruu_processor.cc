#include "registrar/temp_gruu_processor.h"

#include "registrar/registrar.h"

namespace parley::registrar {

namespace {

class TempGruuProcessor : public proxy::Processor {
 public:
  explicit TempGruuProcessor(const GruuCodec& codec) : codec_(codec) {}
  std::string_view name() const override { return "temp-gruu"; }

  proxy::Verdict Process(proxy::RequestContextPtr& p, proxy::ProcessorHost&) override {
    proxy::RequestContext& ctx = *p;
    if (!ctx.local_domain) return proxy::Verdict::kContinue;
    const sip::Uri* ruri = ctx.request->request_uri();
    if (ruri == nullptr || !ruri->user.starts_with(GruuCodec::kUserPrefix)) return proxy::Verdict::kContinue;
    auto g = GruuLookup(*ruri, &codec_);
    if (!g || !g->second.call_id_hash) return proxy::Verdict::kContinue;  // not one we minted
    ctx.temp_gruu = g->second.call_id_hash;
    ctx.request->SetRequestUri(PublicGruu(g->first, g->second.instance));
    return proxy::Verdict::kContinue;
  }

 private:
  const GruuCodec& codec_;
};

}  // namespace

std::unique_ptr<proxy::Processor> MakeTempGruuProcessor(const GruuCodec& codec) {
  return std::make_unique<TempGruuProcessor>(codec);
}

}  // namespace parley::registrar

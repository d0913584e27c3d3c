// SIP.js 0.21 (the library of browser softphones) as a SIP over WebSocket
// UA for the interop tests, on the browser's WebSocket API (Node's own from
// Node 22, else the ws package). It registers USER with PASSWORD through
// ws://127.0.0.1:PORT; given TO and TEXT, it then sends TEXT to TO as a
// MESSAGE. It prints what happens, one line each:
//   registered | registrationFailed CAUSE | message from URI "BODY" |
//   sent STATUS | sendFailed STATUS
// and stops after UA_SECONDS (default 20), unregistering first.
//   node sipjs.mjs PORT USER PASSWORD DOMAIN [TO TEXT]
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = (await import('ws')).WebSocket;
const { UserAgent, Registerer, RegistererState, Messager } = await import('sip.js');

const [port, user, password, domain, to, text] = process.argv.slice(2);
const ua = new UserAgent({
  uri: UserAgent.makeURI(`sip:${user}@${domain}`),
  transportOptions: { server: `ws://127.0.0.1:${port}` },
  authorizationUsername: user,
  authorizationPassword: password,
  logLevel: 'error',
  delegate: {
    onMessage(message) {
      console.log('message from', message.request.from.uri.toString(), JSON.stringify(message.request.body));
      message.accept();
    },
  },
});
const registerer = new Registerer(ua);
let sent = false;
registerer.stateChange.addListener((state) => {
  if (state !== RegistererState.Registered) return;
  console.log('registered');
  if (!to || sent) return;
  sent = true;
  new Messager(ua, UserAgent.makeURI(to), text, 'text/plain')
    .message({
      requestDelegate: {
        onAccept: (r) => console.log('sent', r.message.statusCode),
        onReject: (r) => console.log('sendFailed', r.message.statusCode),
      },
    })
    .catch((e) => console.log('sendFailed', String(e)));
});
await ua.start();
registerer.register({
  requestDelegate: { onReject: (r) => console.log('registrationFailed', r.message.statusCode) },
}).catch((e) => console.log('registrationFailed', String(e)));
setTimeout(async () => {
  await registerer.unregister().catch(() => {});
  setTimeout(() => process.exit(0), 500);
}, Number(process.env.UA_SECONDS || 20) * 1000);

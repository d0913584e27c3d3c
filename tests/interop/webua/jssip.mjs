// A browser-style SIP UA for the interop tests: JsSIP over a WebSocket with
// the browser's API (Node's own from Node 22, else the ws package). It
// registers USER with PASSWORD through ws://127.0.0.1:PORT and prints what
// happens, one line each:
//   registered | registrationFailed CAUSE | message from URI "BODY"
// then stops after UA_SECONDS (default 20).
//   node ua.mjs PORT USER PASSWORD DOMAIN
import JsSIP from 'jssip';

const [port, user, password, domain] = process.argv.slice(2);
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = (await import('ws')).WebSocket;
const ua = new JsSIP.UA({
  sockets: [new JsSIP.WebSocketInterface(`ws://127.0.0.1:${port}`)],
  uri: `sip:${user}@${domain}`,
  password,
  register: true,
});
ua.on('registered', () => console.log('registered'));
ua.on('registrationFailed', (e) => console.log('registrationFailed', e.cause));
ua.on('newMessage', (e) => {
  if (e.originator === 'remote') console.log('message from', e.request.from.uri.toString(), JSON.stringify(e.request.body));
});
ua.start();
setTimeout(() => {
  ua.stop();
  setTimeout(() => process.exit(0), 500);
}, Number(process.env.UA_SECONDS || 20) * 1000);

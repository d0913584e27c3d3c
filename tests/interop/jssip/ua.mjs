// A browser-style SIP UA for the interop tests: JsSIP over Node's built-in
// WebSocket (node --experimental-websocket on Node 20). It registers USER with
// PASSWORD through ws://127.0.0.1:PORT and prints what happens, one line each:
//   registered | registrationFailed CAUSE | message from URI "BODY"
// then stops after UA_SECONDS (default 20).
//   node --experimental-websocket ua.mjs PORT USER PASSWORD DOMAIN
import JsSIP from 'jssip';

const [port, user, password, domain] = process.argv.slice(2);
if (typeof WebSocket === 'undefined') {
  console.log('no WebSocket in this Node: run it with --experimental-websocket (Node 20) or Node 22+');
  process.exit(2);
}
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

// The servers behind onebox in the shadow benchmark, in one child process on 127.0.0.1:
// - live:  node:http, keep-alive, a small JSON body (about 145 bytes), answered at once;
// - slow:  the same JSON one version later ("version": "v2"), answered after <slow ms>;
// - never: a TCP server that accepts connections, reads and discards what it gets, and
//          never answers (a hung shadow).
// Each JSON answer carries a request counter, so two live answers differ there (the noise
// that noise cancellation is for), and the shadow's differs in "version" too.
// GET /__stats on the live port answers the connections each server accepted, has open,
// and had open at most since the previous /__stats.
// Usage: node upstreams.mjs <slow ms>   (prints {"live":port,"slow":port,"never":port})
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';

const slowMs = Number(process.argv[2] ?? 200);
let served = 0;

function body(version) {
  return JSON.stringify({
    user: { id: 42, name: 'Ada', plan: 'pro' },
    items: [
      { sku: 'a-100', qty: 1 },
      { sku: 'b-200', qty: 3 },
    ],
    total: 4,
    version,
    requestId: ++served,
  });
}

const stats = {};
function counted(name, server) {
  const s = (stats[name] = { accepted: 0, open: 0, peak: 0 });
  server.on('connection', (socket) => {
    s.accepted++;
    s.peak = Math.max(s.peak, ++s.open);
    socket.once('close', () => s.open--);
  });
  return server;
}

function statsAnswer(res) {
  const text = JSON.stringify(stats);
  for (const s of Object.values(stats)) s.peak = s.open;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function jsonServer(version, delayMs) {
  return createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    req.resume();
    if (req.url === '/__stats') return statsAnswer(res);
    const answer = () => {
      const text = body(version);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
}

const never = createTcpServer((socket) => {
  socket.resume();
  socket.on('error', () => {});
});

const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

const ports = {
  live: await listen(counted('live', jsonServer('v1', 0))),
  slow: await listen(counted('slow', jsonServer('v2', slowMs))),
  never: await listen(counted('never', never)),
};
process.once('SIGTERM', () => process.exit(0));
console.log(JSON.stringify(ports));

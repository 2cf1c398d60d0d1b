// Peer: node-http-proxy (npm `http-proxy`) behind a node:http server, with the same sticky
// decision as onebox (murmur3 bucket of the onebox-uid cookie below the weight goes to the
// additional version) and a keep-alive agent, as its README suggests for performance.
// Usage: node http-proxy-peer.mjs <v1 origin> <v2 origin> <seed> <weightBp>
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';
import { bucketOf } from '../../dist/core/index.js';

const [stable, additional, seed, weight] = process.argv.slice(2);
const weightBp = Number(weight);
const UID = /(?:^|;\s*)onebox-uid=([A-Za-z0-9_-]{22,64})(?:;|$)/;
// Without a keep-alive agent http-proxy opens a connection per request.
const proxy = httpProxy.createProxyServer({ agent: new Agent({ keepAlive: true, maxSockets: 64 }), xfwd: true });
proxy.on('error', (_err, _req, res) => {
  if (res.headersSent) res.destroy();
  else res.writeHead(502).end();
});

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const id = UID.exec(req.headers.cookie ?? '')?.[1];
  proxy.web(req, res, { target: id !== undefined && bucketOf(seed, id) < weightBp ? additional : stable });
});
process.once('SIGTERM', () => process.exit(0)); // lets --cpu-prof write its profile
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));

// The peer to compare onebox with: a bare node:http server and two undici pools making
// the same sticky decision (murmur3 bucket of the onebox-uid cookie below the weight
// goes to the additional version), written the way one would write it by hand.
// Usage: node plain-proxy.mjs <v1 origin> <v2 origin> <seed> <weightBp>
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { bucketOf } from '../../dist/core/index.js';

const [stable, additional, seed, weight] = process.argv.slice(2);
const weightBp = Number(weight);
const pools = [new Pool(stable), new Pool(additional)];
const UID = /(?:^|;\s*)onebox-uid=([A-Za-z0-9_-]{22,64})(?:;|$)/;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function forwardable(headers) {
  const out = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const id = UID.exec(req.headers.cookie ?? '')?.[1];
  const pool = pools[id !== undefined && bucketOf(seed, id) < weightBp ? 1 : 0];
  const headers = forwardable(req.headers);
  headers['x-forwarded-for'] = req.socket.remoteAddress;
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.stream(
    { path: req.url, method: req.method, headers, body: hasBody ? req : null },
    ({ statusCode, headers: upstream }) => {
      res.writeHead(statusCode, forwardable(upstream));
      return res;
    },
    (err) => {
      if (!err) return;
      if (res.headersSent) res.destroy(err);
      else res.writeHead(502).end();
    },
  );
});
process.once('SIGTERM', () => process.exit(0)); // lets --cpu-prof write its profile
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));

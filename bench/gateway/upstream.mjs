// The two upstream versions every proxy forwards to: plain node:http servers on
// 127.0.0.1 with keep-alive and a small fixed 200 body that names the version.
// Usage: node upstream.mjs v1 v2   (prints {"v1":port,"v2":port} once listening)
import { createServer } from 'node:http';

const ports = {};
for (const label of process.argv.slice(2)) {
  const body = Buffer.from(`hello from ${label}\n`);
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'x-upstream': label });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports[label] = server.address().port;
}
console.log(JSON.stringify(ports));

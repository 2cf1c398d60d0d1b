// Peer: fastify with @fastify/reply-from (undici underneath), the sticky decision made in
// reply.from's getUpstream option, which its README offers "for a gradual rollout": murmur3
// bucket of the onebox-uid cookie below the weight goes to the additional version.
// Usage: node fastify-peer.mjs <v1 origin> <v2 origin> <seed> <weightBp>
import Fastify from 'fastify';
import replyFrom from '@fastify/reply-from';
import { bucketOf } from '../../dist/core/index.js';

const [stable, additional, seed, weight] = process.argv.slice(2);
const weightBp = Number(weight);
const UID = /(?:^|;\s*)onebox-uid=([A-Za-z0-9_-]{22,64})(?:;|$)/;

const app = Fastify({ logger: false, keepAliveTimeout: 65_000 });
// Request bodies go upstream as streams, unparsed.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
// No `base`: with one, reply-from's undici client sends every request to the base's origin
// whatever getUpstream returns (only the Host header follows it).
await app.register(replyFrom);
const options = {
  getUpstream(req) {
    const id = UID.exec(req.headers.cookie ?? '')?.[1];
    return id !== undefined && bucketOf(seed, id) < weightBp ? additional : stable;
  },
};
app.all('/*', (req, reply) => reply.from(req.url, options));
process.once('SIGTERM', () => process.exit(0)); // lets --cpu-prof write its profile
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ port: app.server.address().port }));

// Starts the upstreams and the proxies as child processes on 127.0.0.1, so each
// one's CPU time can be read from /proc/<pid>/stat on its own.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..', '..');
const children = new Set();

/**
 * Spawns a process and polls ready(stdout so far) every 50 ms until it returns a value;
 * resolves with that value plus the pid and a stop function.
 */
async function spawnReady(name, command, args, ready, timeoutMs = 15_000) {
  const child = spawn(command, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.once('exit', () => children.delete(child));
  for (const until = Date.now() + timeoutMs; Date.now() < until;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (child.exitCode !== null || child.signalCode !== null) break;
    const value = await ready(out);
    if (value !== undefined) return { ...value, pid: child.pid, stop: () => stopChild(child) };
  }
  const state = child.exitCode ?? child.signalCode;
  if (state === null) await stopChild(child);
  throw new Error(`${name}: ${state === null ? 'not ready in time' : `exited (${state})`}\n${err.trim()}`);
}

/** SIGTERM, then SIGKILL if the process has not exited within 5 s. */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Last resort on exit: no child outlives the benchmark (nginx's master stops its worker). */
export function killAll() {
  for (const child of children) child.kill('SIGTERM');
}

const jsonLine = (out) => {
  const line = out
    .split('\n')
    .slice(0, -1)
    .find((l) => l.startsWith('{'));
  return line === undefined ? undefined : JSON.parse(line);
};

/** Two node:http upstreams; resolves with { v1, v2 } origins. */
export async function startUpstreams() {
  const up = await spawnReady('upstreams', process.execPath, [join(here, 'upstream.mjs'), 'v1', 'v2'], jsonLine);
  return { ...up, v1: `http://127.0.0.1:${up.v1}`, v2: `http://127.0.0.1:${up.v2}` };
}

async function admin(method, url, token, body) {
  const res = await request(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.body.json();
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
}

/**
 * `onebox serve` with a temp config, v1 and v2 published and the alias at v1 + 20% v2,
 * all through the admin API. `nodeArgs` go before the script (e.g. --cpu-prof); `workers`
 * is gateway.workers (0: the gateway in the main process); `cli` another build's
 * dist/cli/main.js, for an A/B of two builds (ab.mjs).
 */
export async function startOnebox(
  dir,
  upstreams,
  weightBp,
  nodeArgs = [],
  workers = 0,
  cli = join(repo, 'dist/cli/main.js'),
) {
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(24).toString('hex');
  const config = join(dir, 'onebox.yaml');
  writeFileSync(
    config,
    [
      `gateway: { listen: "127.0.0.1:0", workers: ${workers} }`,
      `admin: { listen: "127.0.0.1:0", token: "${token}" }`,
      `state: { dir: "${join(dir, 'state')}" }`,
      'components: [{ name: web, route: / }]',
      '',
    ].join('\n'),
  );
  const args = [...nodeArgs, cli, 'serve', '--config', config];
  const proc = await spawnReady('onebox', process.execPath, args, (out) => {
    const gateway = /onebox gateway\s+(\S+)/.exec(out)?.[1];
    const adminUrl = /onebox admin\s+(\S+)/.exec(out)?.[1];
    return gateway && adminUrl ? { url: gateway, adminUrl } : undefined;
  });
  const versions = `${proc.adminUrl}/v1/components/web/versions`;
  await admin('POST', versions, token, { url: upstreams.v1 });
  await admin('POST', versions, token, { url: upstreams.v2 });
  const { alias } = await admin('PUT', `${proc.adminUrl}/v1/components/web/alias`, token, {
    version: 1,
    weights: { 2: weightBp / 10_000 },
  });
  return { ...proc, seed: alias.seed };
}

/**
 * A node peer script of this folder (plain-proxy.mjs, http-proxy-peer.mjs, fastify-peer.mjs)
 * with the same seed and weight as onebox's alias.
 */
export async function startNodePeer(name, script, upstreams, seed, weightBp, nodeArgs = []) {
  const args = [...nodeArgs, join(here, script), upstreams.v1, upstreams.v2, seed, String(weightBp)];
  const proc = await spawnReady(name, process.execPath, args, jsonLine);
  return { ...proc, url: `http://127.0.0.1:${proc.port}` };
}

export const startPlain = (upstreams, seed, weightBp, nodeArgs = []) =>
  startNodePeer('plain proxy', 'plain-proxy.mjs', upstreams, seed, weightBp, nodeArgs);

/** Resolves once something answers HTTP at url (nginx and HAProxy print nothing when ready). */
async function answers(url) {
  const res = await request(url).catch(() => undefined);
  await res?.body.dump();
  return res && { url };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** An nginx.conf up to the inside of its http block: foreground, files under `prefix`, no access log. */
const nginxPreamble = (prefix, workers) => `
worker_processes ${workers};
daemon off;
pid ${prefix}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;`;

/**
 * nginx in the foreground with its own prefix, one worker (as the node proxies have one
 * thread) unless told otherwise, upstream keep-alive, and split_clients on the onebox-uid
 * cookie. nginx cannot name a cookie with a dash ($cookie_onebox-uid), so a map pulls it
 * out of the header.
 */
export async function startNginx(dir, upstreams, weightBp, workers = 1) {
  const prefix = join(dir, `nginx-${workers}`);
  mkdirSync(prefix, { recursive: true });
  const port = await freePort();
  const host = (origin) => origin.replace('http://', '');
  const conf = `${nginxPreamble(prefix, workers)}
  upstream v1 { server ${host(upstreams.v1)}; keepalive 64; }
  upstream v2 { server ${host(upstreams.v2)}; keepalive 64; }
  map $http_cookie $onebox_uid { default ""; "~(?:^|;\\s*)onebox-uid=(?<uid>[A-Za-z0-9_-]+)" $uid; }
  split_clients "$onebox_uid" $version { ${weightBp / 100}% v2; * v1; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://$version;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const url = `http://127.0.0.1:${port}`;
  const args = ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr'];
  return spawnReady('nginx', 'nginx', args, () => answers(url));
}

/**
 * The two upstream versions served by nginx (one worker) instead of node: the same answer
 * as upstream.mjs for far less CPU, so that a benchmark of several proxy processes is not
 * held back by its upstream. Resolves like startUpstreams.
 */
export async function startNginxUpstreams(dir) {
  const prefix = join(dir, 'nginx-upstreams');
  mkdirSync(prefix, { recursive: true });
  const ports = { v1: await freePort(), v2: await freePort() };
  const server = (label) => `
  server {
    listen 127.0.0.1:${ports[label]};
    keepalive_requests 1000000;
    location / { add_header x-upstream ${label}; default_type text/plain; return 200 "hello from ${label}"; }
  }`;
  const conf = `${nginxPreamble(prefix, 1)}
${server('v1')}
${server('v2')}
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const origin = (label) => `http://127.0.0.1:${ports[label]}`;
  const args = ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr'];
  const proc = await spawnReady('nginx upstreams', 'nginx', args, () => answers(origin('v2')));
  return { ...proc, v1: origin('v1'), v2: origin('v2') };
}

/**
 * HAProxy in the foreground (-db), one thread (as nginx has one worker), server-side
 * keep-alive with connection reuse, and its own cookie hashing: `balance hash` on the
 * onebox-uid cookie over two servers weighted 80/20 (map-based, so the weights are the
 * shares of the hash space).
 */
export async function startHaproxy(dir, upstreams, weightBp) {
  const prefix = join(dir, 'haproxy');
  mkdirSync(prefix, { recursive: true });
  const port = await freePort();
  const host = (origin) => origin.replace('http://', '');
  const conf = `
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 65s
  timeout server 65s
  timeout http-keep-alive 65s
  option http-keep-alive
  option forwardfor
frontend bench
  bind 127.0.0.1:${port}
  default_backend split
backend split
  balance hash req.cook(onebox-uid)
  hash-type map-based
  http-reuse always
  server v1 ${host(upstreams.v1)} weight ${(10_000 - weightBp) / 100}
  server v2 ${host(upstreams.v2)} weight ${weightBp / 100}
`;
  writeFileSync(join(prefix, 'haproxy.cfg'), conf);
  const url = `http://127.0.0.1:${port}`;
  return spawnReady('haproxy', 'haproxy', ['-db', '-f', join(prefix, 'haproxy.cfg')], () => answers(url));
}

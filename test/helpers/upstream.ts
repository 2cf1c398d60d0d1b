import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestUpstream {
  readonly url: string;
  readonly server: Server;
  /** Requests this upstream received, with their headers (none kept with `record: false`). */
  readonly received: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /**
   * Keep every request's method, URL and headers in `received`. Default true. A long run (the
   * soak) turns it off: the list grows by about 300 bytes a request, for good.
   */
  readonly record?: boolean;
}

/** A real HTTP server on a free loopback port. */
export async function startUpstream(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: UpstreamOptions = {},
): Promise<TestUpstream> {
  const received: TestUpstream['received'] = [];
  const record = options.record ?? true;
  const server = createServer((req, res) => {
    if (record) received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An upstream that answers with its label in a JSON body. */
export function labelled(label: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version: label, path: req.url }));
  };
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function cookieFrom(setCookie: string | string[] | undefined): string {
  const first = [setCookie].flat().find((c) => c?.startsWith('onebox-uid='));
  if (!first) throw new Error(`no onebox-uid cookie in ${JSON.stringify(setCookie)}`);
  return first.split(';')[0]!;
}

/** A request through node:http, which sends headers exactly as given (undici filters some). */
export function nodeRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ statusCode: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The demo web's server-side calls to the API's function URL, signed (SigV4, service
 * `lambda`) with the function's own credentials: the API's function URLs take signed
 * requests only (auth AWS_IAM), CloudFront's or those of a role allowed to invoke them.
 * Bundled into the web handler by serverless.ts; calls to any other URL go out unchanged.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 (or its HMAC with a secret) in the shape the signer expects. */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Uint8Array =>
  typeof d === 'string'
    ? d
    : ArrayBuffer.isView(d)
      ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
      : new Uint8Array(d);

class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

/** A fetch that signs requests to the given origins (read from the environment at each call). */
export function signedFetch(
  originsOf: () => readonly (string | undefined)[],
  env: NodeJS.ProcessEnv = process.env,
  inner: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const signs = originsOf().some((origin) => origin !== undefined && url.origin === new URL(origin).origin);
    if (!signs) return inner(input, init);
    const signer = new SignatureV4({
      service: 'lambda',
      region: env['AWS_REGION'] ?? 'us-east-1',
      sha256: Sha256,
      credentials: {
        accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? '',
        secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '',
        ...(env['AWS_SESSION_TOKEN'] ? { sessionToken: env['AWS_SESSION_TOKEN'] } : {}),
      },
    });
    const headers: Record<string, string> = { host: url.host };
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const signed = await signer.sign({
      method: init?.method ?? 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    // fetch sets Host itself, to the same value that was signed.
    const sent = Object.entries(signed.headers).filter(([name]) => name !== 'host');
    return inner(url, { ...init, headers: sent });
  };
}

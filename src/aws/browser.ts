/**
 * Browser signals for a Lambda app behind onebox's CloudFront edge: the SSR handler's HTML
 * answers get the gateway's script tag, with a page token minted exactly as the local gateway
 * mints it (PageTokens, the same key the edge checks pins with), so the page reports to the
 * beacon function (`/.onebox/beacon` behind the distribution, handlers/beacon.ts) and pins
 * its own calls to the version that served it.
 *
 * Import it from `onebox/aws/browser` in handler code: it needs no AWS SDK and no CDK.
 *
 *   export const handler = withBrowserSignals(withVersionMetrics(render), { component: 'web' });
 */

import { readBaggageIdentity } from '../core/baggage.js';
import { privateCacheControl } from '../core/cache-headers.js';
import { resolveIdentity } from '../core/identity.js';
import { scriptTag } from '../gateway/beacon-script.js';
import { injectInto } from '../gateway/html-inject.js';
import { PageTokens } from '../gateway/page-token.js';

/**
 * Environment variable holding the page key: the same text as the KeyValueStore's
 * `pinKeyKvsKey` value (its UTF-8 bytes are the HMAC key, as at the edge).
 */
export const PIN_KEY_ENV = 'ONEBOX_PIN_KEY';

/** The page key from the environment (undefined when unset or empty). */
export function pinKeyFromEnv(): Buffer | undefined {
  const text = process.env[PIN_KEY_ENV];
  return text ? Buffer.from(text, 'utf8') : undefined;
}

export interface BrowserSignalsOptions {
  /** The component's KeyValueStore key (the edge's name for it, e.g. `web`): the token's component. */
  readonly component: string;
  /** The page key. Default: ONEBOX_PIN_KEY's UTF-8 bytes; without one, pages pass unchanged. */
  readonly key?: Buffer;
  /** The version serving. Default: AWS_LAMBDA_FUNCTION_VERSION (the number the alias invoked). */
  readonly version?: number;
  /** Where the one warning about a missing key or version goes. Default console.log. */
  readonly log?: (line: string) => void;
}

/** The parts of an API Gateway v2 / function URL event this reads. */
export interface PageEvent {
  readonly rawPath?: string;
  readonly headers?: Record<string, string | undefined>;
  readonly cookies?: readonly string[];
}

interface PageResult {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  body?: string;
  isBase64Encoded?: boolean;
}

type Handler<E, C, R> = (event: E, context: C) => Promise<R>;

/** The viewer's identity as the edge placed it (core's rules: the onebox cookie, else the baggage it writes). */
function identityOf(event: PageEvent): string | undefined {
  const headers = event.headers ?? {};
  const cookie = event.cookies?.length ? event.cookies.join('; ') : headers['cookie'];
  const known = resolveIdentity({ cookie, baggage: readBaggageIdentity(headers['baggage']) });
  return known?.id;
}

function headerOf(headers: PageResult['headers'], name: string): string | undefined {
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name) return String(v);
  return undefined;
}

/**
 * Whether an answer is a page the tag goes into, as the gateway decides (html-inject.ts,
 * takeAsPage): a 200 of uncompressed HTML, as text.
 */
function isPage(result: PageResult): boolean {
  if ((result.statusCode ?? 200) !== 200 || result.isBase64Encoded || typeof result.body !== 'string') return false;
  const encoding = headerOf(result.headers, 'content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return false;
  return /^\s*text\/html\b/i.test(headerOf(result.headers, 'content-type') ?? '');
}

/**
 * Wraps an SSR handler: each HTML page it answers gets the browser script's tag with a token
 * naming this component, this version, the viewer and the path, and a private Cache-Control
 * (the token is one page load's). Anything else passes unchanged, and so does everything when
 * no key or no numeric version is known (said once): a page is never failed for its signals.
 */
export function withBrowserSignals<E extends PageEvent, C, R>(
  handler: Handler<E, C, R>,
  options: BrowserSignalsOptions,
): Handler<E, C, R> {
  const key = options.key ?? pinKeyFromEnv();
  const version = options.version ?? Number(process.env['AWS_LAMBDA_FUNCTION_VERSION']);
  const log = options.log ?? ((line: string) => console.log(line));
  const tokens = key ? new PageTokens(key) : undefined;
  let warned = false;
  return async (event, context) => {
    const result = await handler(event, context);
    if (!tokens || !Number.isInteger(version)) {
      if (!warned)
        log(
          `onebox: browser signals off: ${tokens ? 'no numeric version (invoked as $LATEST?)' : `${PIN_KEY_ENV} is not set`}`,
        );
      warned = true;
      return result;
    }
    if (typeof result !== 'object' || result === null || !isPage(result as PageResult)) return result;
    const identity = identityOf(event);
    if (identity === undefined) return result;
    const page = result as PageResult;
    const path = event.rawPath ?? '/';
    const tag = scriptTag(tokens.mint({ component: options.component, version, identity, path }));
    // As the gateway's takeAsPage: no Content-Length (the body grows), and private.
    const headers: Record<string, string | number | boolean> = {};
    let cacheControl: string | undefined;
    for (const [name, value] of Object.entries(page.headers ?? {})) {
      const lower = name.toLowerCase();
      if (lower === 'cache-control') cacheControl = String(value);
      else if (lower !== 'content-length') headers[name] = value;
    }
    headers['cache-control'] = privateCacheControl(cacheControl);
    page.headers = headers;
    page.body = injectInto(Buffer.from(page.body!, 'utf8'), tag).toString('utf8');
    return result;
  };
}

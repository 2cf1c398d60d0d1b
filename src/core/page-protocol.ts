/**
 * What a page's script and the gateway (locally, or the CloudFront edge) say to each other
 * about skew: the pin a page's calls carry, and the answer to a call whose page's version is
 * gone, on which the script reloads the page. One definition for both gateways.
 */

/** The request header a page's script puts on its own calls: its page token (lowercase, as CloudFront sees it). */
export const PIN_HEADER = 'x-onebox-pin';

/** The answer's header the page's script reloads on. */
export const RELOAD_HEADER = 'x-onebox-reload';

/** The status and JSON body of that answer (never cached). */
export const PAGE_GONE_STATUS = 409;
export const PAGE_GONE_BODY = { error: 'page_version_gone', reload: true } as const;

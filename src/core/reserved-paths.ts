/**
 * The gateway's own paths: everything under one prefix, like RFC 8615's `/.well-known/`.
 * A request under it is answered by the gateway (the local one and the AWS edge alike) and
 * never reaches a version, whatever the components' routes say; a path not taken here is
 * a 404 counted as `no-route`. One prefix, so an app has one name it must not use.
 */
export const RESERVED_PREFIX = '/.onebox/';
/** The caller's assignment (client-side routing, issue 20). */
export const ASSIGNMENT_PATH = `${RESERVED_PREFIX}assignment`;
/** Version-specific entrypoints: `/.onebox/v/<component>/<version>/<path>`. */
export const PINNED_PREFIX = `${RESERVED_PREFIX}v/`;
/** The entrypoint a client prefixes to a component's paths to stay on `version`. */
export const entrypointOf = (component: string, version: number): string =>
  `${PINNED_PREFIX}${encodeURIComponent(component)}/${version}`;
/** The browser-signals script the gateway puts into pages (issue 18). */
export const BROWSER_SCRIPT_PATH = `${RESERVED_PREFIX}browser.js`;
/** Where that script sends its beacons. */
export const BEACON_PATH = `${RESERVED_PREFIX}beacon`;

/** Whether `path` (the target's path, no query) is the gateway's own: the prefix, or the prefix without its slash. */
export function isReservedPath(path: string): boolean {
  return path.startsWith(RESERVED_PREFIX) || path === RESERVED_PREFIX.slice(0, -1);
}

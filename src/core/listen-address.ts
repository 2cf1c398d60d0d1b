/** Listen addresses as the config writes them (`host:port`) and URLs of bound addresses. */

/** `host:port` (IPv6 hosts in brackets) as listen() takes it. */
export function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}

/** The http URL of a bound address (IPv6 hosts in brackets). */
export const urlOf = (host: string, port: number): string =>
  `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

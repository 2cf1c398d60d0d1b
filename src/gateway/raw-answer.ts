import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * An answer written straight to a connection that node's HTTP server no longer handles (a
 * parse error, an upgrade request, CONNECT): a small JSON body, then the connection ends.
 * `headers` are extra [name, value, ...] pairs.
 */
export function writeRawJson(
  socket: Duplex,
  status: number,
  body: Record<string, unknown>,
  headers: readonly string[] = [],
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\ncontent-type: application/json\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  head += `content-length: ${Buffer.byteLength(text)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n`;
  socket.end(head + text);
}

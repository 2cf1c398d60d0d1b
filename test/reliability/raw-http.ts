import { connect } from 'node:net';

export interface RawAnswer {
  /** Status of the first answer; undefined when the server closed without one. */
  readonly status: number | undefined;
  /** The first line received, for failure messages. */
  readonly firstLine: string;
  /** The server neither answered nor closed within the timeout. */
  readonly timedOut: boolean;
}

/**
 * Writes `bytes` (latin1) as they are to a loopback port and reads until the head of a final
 * answer (1xx are skipped), the server closes, or `timeoutMs` passes (the server may rightly
 * wait for bytes a request announced but never sent). No half-close: Node's server drops a
 * request whose client half-closed before the answer.
 */
export function rawExchange(port: number, bytes: string, timeoutMs = 1_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let got = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      got += d;
      // The first answer is all we judge: stop once its head is in.
      if (/(^|\r\n\r\n)HTTP\/1\.[01] [2-9]\d\d [^]*?\r\n\r\n/.test(got)) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const firstLine = got.replace(/^(HTTP\/1\.[01] 1\d\d [^]*?\r\n\r\n)+/, '').split('\r\n', 1)[0] ?? '';
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(firstLine);
      resolve({
        status: m ? Number(m[1]) : undefined,
        firstLine: firstLine.slice(0, 80),
        timedOut: timedOut && !firstLine,
      });
    });
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

import type { Server } from 'node:http';

/**
 * A node:http server's lifecycle, shared by every server onebox runs (gateway, admin API,
 * sample sites): listening on an address, and closing with its connections.
 */

/** Listens and resolves with the bound address (port 0 picks a free port). */
export function listen(server: Server, port: number, host: string): Promise<{ port: number; host: string }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as { port: number; address: string };
      resolve({ port: addr.port, host: addr.address });
    });
  });
}

/** Stops accepting, drops idle and active connections, resolves when closed. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

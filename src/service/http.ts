import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * Kairos's one HTTP server (KAIROS_HTTP_PORT, bound to KAIROS_HTTP_HOST, 127.0.0.1 by default): health and
 * metrics today, and any other ingress (webhooks) registers its routes on the same server. A handler that throws
 * answers 500 and is logged; it never takes the server down.
 */
export interface HttpService {
  route(method: 'GET' | 'POST', path: string, handler: Handler): void;
  readonly url: string;
  close(): Promise<void>;
}

export async function startHttp(opts: { host: string; port: number; log: Logger }): Promise<HttpService> {
  const routes = new Map<string, Handler>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://kairos').pathname;
    const handler = routes.get(`${req.method} ${path}`);
    if (!handler) {
      res.writeHead(routes.has(`GET ${path}`) || routes.has(`POST ${path}`) ? 405 : 404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        opts.log.error({ err, path }, 'http handler failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
  });
  // A slow or idle client cannot hold sockets open for ever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  opts.log.info({ url }, 'http server listening (/healthz, /metrics)');
  return {
    url,
    route: (method, path, handler) => void routes.set(`${method} ${path}`, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

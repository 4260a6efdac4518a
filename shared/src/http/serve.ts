import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';

export interface HttpServerHandle {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish, then closes idle keep-alive sockets. */
  close: () => Promise<void>;
}

/** `backlog`: the listen queue (kernel-capped by net.core.somaxconn); Node's default 511 when omitted. */
export async function serveHttp(app: Hono<any>, opts: { port: number; host: string; backlog?: number }): Promise<HttpServerHandle> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createAdaptorServer({ fetch: app.fetch, hostname: opts.host }) as Server;
    s.once('error', reject);
    s.listen({ port: opts.port, host: opts.host, backlog: opts.backlog }, () => resolve(s));
  });
  server.keepAliveTimeout = 65_000; // longer than common LB idle timeouts, so the LB closes first
  const { port } = server.address() as AddressInfo;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    server,
    port,
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

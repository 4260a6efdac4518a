import { Agent, request } from 'node:http';

/**
 * A small HTTP client over node:http: keep-alive agents per (source address, origin) so a worker
 * can bind its requests to the loopback address it was given, which fetch cannot do.
 */
export type HttpResult =
  | { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: string; ms: number }
  | { ok: false; error: string; ms: number };

const agents = new Map<string, Agent>();

function agentFor(localAddress: string | undefined): Agent {
  const key = localAddress ?? '';
  let a = agents.get(key);
  if (!a) {
    // No cap on sockets: shoppers are separate browsers, each with its own connection. A cap (it was 64
    // per source address) queued the orders of the ~1,000 shoppers who share an address and are admitted
    // together inside the load generator, so requests timed out there while the gateway sat half idle.
    a = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, localAddress });
    agents.set(key, a);
  }
  return a;
}

export function httpRequest(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; localAddress?: string; timeoutMs: number },
): Promise<HttpResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const u = new URL(url);
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = request(
      {
        method,
        hostname: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        headers,
        agent: agentFor(opts.localAddress),
        timeout: opts.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            ok: true,
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        res.on('error', (err) => resolve({ ok: false, error: err.message, ms: performance.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, error: err.message, ms: performance.now() - started }));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function closeAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

export function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

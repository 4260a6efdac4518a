import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServiceSpec {
  name: 'waiting-room' | 'order-gateway' | 'inventory-reservations';
  portEnv: string;
  defaultPort: number;
  /** Whether the service owns Postgres tables (and so has a migrate entry point). */
  migrates: boolean;
  /** Entry file under dist/ (default main.js); waiting-room and order-gateway run their cluster of WORKERS processes. */
  entry?: string;
  /** Env var that sets this service's WORKERS alone (otherwise it inherits WORKERS, default one per core). */
  workersEnv?: string;
}

/** Default ports, overridable with WAITING_ROOM_PORT, ORDER_GATEWAY_PORT, INVENTORY_PORT. */
export const SERVICES: ServiceSpec[] = [
  {
    name: 'waiting-room',
    portEnv: 'WAITING_ROOM_PORT',
    defaultPort: 3001,
    migrates: true,
    entry: 'cluster.js',
    workersEnv: 'WAITING_ROOM_WORKERS',
  },
  {
    name: 'order-gateway',
    portEnv: 'ORDER_GATEWAY_PORT',
    defaultPort: 3002,
    migrates: false,
    entry: 'cluster.js',
    workersEnv: 'ORDER_GATEWAY_WORKERS',
  },
  { name: 'inventory-reservations', portEnv: 'INVENTORY_PORT', defaultPort: 3003, migrates: true },
];

/**
 * One visitor-token secret for every waiting-room node this launcher starts (unless set), so a
 * shopper reconnecting to another node keeps their place.
 */
const LOCAL_VISITOR_TOKEN_SECRET = randomBytes(32).toString('base64url');

export function servicePort(spec: ServiceSpec, env: NodeJS.ProcessEnv): number {
  return Number(env[spec.portEnv] ?? spec.defaultPort);
}

/** Each service owns its schema and migrations; run them one after another before starting. */
export async function runMigrations(env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<void> {
  for (const svc of SERVICES.filter((s) => s.migrates)) {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, svc.name, 'dist', 'migrate.js')], { env, stdio: 'inherit' });
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`${svc.name} migrations failed (exit ${code})`);
    log(`${svc.name}: migrations applied`);
  }
}

export interface RunningService {
  name: string;
  url: string;
  pid: number;
  exited: Promise<number | null>;
  ready: (timeoutMs: number) => Promise<void>;
  stop: () => Promise<void>;
}

export function startService(spec: ServiceSpec, env: NodeJS.ProcessEnv, log: (l: string) => void): RunningService {
  const port = servicePort(spec, env);
  const url = `http://127.0.0.1:${port}`;
  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    PORT: String(port),
    ...(spec.workersEnv && env[spec.workersEnv] ? { WORKERS: env[spec.workersEnv] } : {}),
    VISITOR_TOKEN_SECRET: env.VISITOR_TOKEN_SECRET ?? LOCAL_VISITOR_TOKEN_SECRET,
    WAITING_ROOM_URL: env.WAITING_ROOM_URL ?? `http://127.0.0.1:${servicePort(SERVICES[0] as ServiceSpec, env)}`,
    // The checkout page (served by waiting-room) calls order-gateway from the browser (docs/pages.md).
    ORDER_GATEWAY_PUBLIC_URL: env.ORDER_GATEWAY_PUBLIC_URL ?? `http://127.0.0.1:${servicePort(SERVICES[1] as ServiceSpec, env)}`,
    CORS_ALLOWED_ORIGINS:
      env.CORS_ALLOWED_ORIGINS ??
      ['127.0.0.1', 'localhost'].map((h) => `http://${h}:${servicePort(SERVICES[0] as ServiceSpec, env)}`).join(','),
  };
  const child = spawn(process.execPath, [join(REPO_ROOT, spec.name, 'dist', spec.entry ?? 'main.js')], {
    env: childEnv,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  log(`${spec.name}: started pid ${child.pid} on ${url}`);
  return {
    name: spec.name,
    url,
    pid: child.pid ?? -1,
    exited,
    ready: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`${spec.name} exited (code ${child.exitCode})`);
        const ok = await fetch(`${url}/health/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`${spec.name} was not ready within ${timeoutMs} ms`);
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface LocalStack {
  env: NodeJS.ProcessEnv;
  adminToken: string;
  services: RunningService[];
  waitingRoomUrls: string[];
  orderGatewayUrl: string;
  inventoryUrl: string;
  /** Which of Redis, NATS and PostgreSQL were started here (stop() stops them). */
  startedServers: string[];
  stop: () => Promise<void>;
}

/**
 * The whole system on this machine, as `pnpm start` runs it, for programs that drive it (the bench):
 * servers from REDIS_URL / NATS_URL / DATABASE_URL or private ones, migrations, then the services —
 * optionally several waiting-room nodes on consecutive free ports — all ready before it returns.
 */
export async function startLocalStack(opts: {
  env?: NodeJS.ProcessEnv;
  dataDir: string;
  log: (line: string) => void;
  waitingRoomNodes?: number;
  readyTimeoutMs?: number;
}): Promise<LocalStack> {
  const { ensureServers, freePort } = await import('./servers/index.js');
  const base = opts.env ?? process.env;
  const servers = await ensureServers({ env: base, dataDir: opts.dataDir, log: opts.log });
  const running: RunningService[] = [];
  const stop = async () => {
    await Promise.allSettled(running.map((s) => s.stop()));
    await servers.stop();
  };
  try {
    const adminToken = base.ADMIN_TOKEN || (await import('node:crypto')).randomBytes(18).toString('base64url');
    const env: NodeJS.ProcessEnv = {
      ...base,
      REDIS_URL: servers.redisUrl,
      NATS_URL: servers.natsUrl,
      DATABASE_URL: servers.databaseUrl,
      ADMIN_TOKEN: adminToken,
    };
    await runMigrations(env, opts.log);
    const [wr, ...others] = SERVICES;
    const wrNodes = Math.max(1, opts.waitingRoomNodes ?? 1);
    const firstWr = startService(wr as ServiceSpec, env, opts.log);
    running.push(firstWr);
    for (let n = 1; n < wrNodes; n++) {
      const port = await freePort();
      running.push(
        startService(wr as ServiceSpec, { ...env, [(wr as ServiceSpec).portEnv]: String(port), WAITING_ROOM_URL: firstWr.url }, opts.log),
      );
    }
    for (const svc of others) running.push(startService(svc, env, opts.log));
    await Promise.all(running.map((s) => s.ready(opts.readyTimeoutMs ?? 30_000)));
    const byName = (n: string) => running.filter((s) => s.name === n).map((s) => s.url);
    return {
      env,
      adminToken,
      services: running,
      waitingRoomUrls: byName('waiting-room'),
      orderGatewayUrl: byName('order-gateway')[0] ?? '',
      inventoryUrl: byName('inventory-reservations')[0] ?? '',
      startedServers: servers.started,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

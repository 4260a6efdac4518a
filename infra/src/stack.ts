import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServiceSpec {
  name: 'waiting-room' | 'order-gateway' | 'inventory-reservations';
  portEnv: string;
  defaultPort: number;
  /** Whether the service owns Postgres tables (and so has a migrate entry point). */
  migrates: boolean;
}

/** Default ports, overridable with WAITING_ROOM_PORT, ORDER_GATEWAY_PORT, INVENTORY_PORT. */
export const SERVICES: ServiceSpec[] = [
  { name: 'waiting-room', portEnv: 'WAITING_ROOM_PORT', defaultPort: 3001, migrates: true },
  { name: 'order-gateway', portEnv: 'ORDER_GATEWAY_PORT', defaultPort: 3002, migrates: false },
  { name: 'inventory-reservations', portEnv: 'INVENTORY_PORT', defaultPort: 3003, migrates: true },
];

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
    WAITING_ROOM_URL: env.WAITING_ROOM_URL ?? `http://127.0.0.1:${servicePort(SERVICES[0] as ServiceSpec, env)}`,
    // The checkout page (served by waiting-room) calls order-gateway from the browser (docs/pages.md).
    ORDER_GATEWAY_PUBLIC_URL: env.ORDER_GATEWAY_PUBLIC_URL ?? `http://127.0.0.1:${servicePort(SERVICES[1] as ServiceSpec, env)}`,
    CORS_ALLOWED_ORIGINS:
      env.CORS_ALLOWED_ORIGINS ??
      ['127.0.0.1', 'localhost'].map((h) => `http://${h}:${servicePort(SERVICES[0] as ServiceSpec, env)}`).join(','),
  };
  const child = spawn(process.execPath, [join(REPO_ROOT, spec.name, 'dist', 'main.js')], {
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

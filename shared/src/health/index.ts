import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { NatsConnection } from '@nats-io/transport-node';

export interface DependencyStatus {
  name: string;
  ok: boolean;
  latencyMs: number;
  required: boolean;
  error?: string;
}

export interface DependencyCheck {
  name: string;
  required: boolean;
  check: () => Promise<void>;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: DependencyStatus[];
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} check timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Runs every check in parallel, each bounded by `timeoutMs`. */
export async function checkReadiness(checks: DependencyCheck[], timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c): Promise<DependencyStatus> => {
      const started = performance.now();
      try {
        await withTimeout(c.check(), timeoutMs, c.name);
        return { name: c.name, ok: true, required: c.required, latencyMs: round(performance.now() - started) };
      } catch (err) {
        return {
          name: c.name,
          ok: false,
          required: c.required,
          latencyMs: round(performance.now() - started),
          error: err instanceof Error ? err.message : String(err),
        };
      }
    }),
  );
  const ready = results.every((r) => r.ok || !r.required);
  return { status: ready ? 'ready' : 'not_ready', checks: results };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export function redisCheck(redis: Redis, required = true): DependencyCheck {
  return {
    name: 'redis',
    required,
    check: async () => {
      // ioredis queues commands while reconnecting; a queued PING would just wait for the timeout.
      if (redis.status !== 'ready') throw new Error(`redis connection is ${redis.status}`);
      await redis.ping();
    },
  };
}

export function postgresCheck(db: Kysely<any>, required = true): DependencyCheck {
  return { name: 'postgres', required, check: async () => void (await sql`select 1`.execute(db)) };
}

export function natsCheck(nc: NatsConnection, required = true): DependencyCheck {
  return {
    name: 'nats',
    required,
    check: async () => {
      if (nc.isClosed()) throw new Error('nats connection is closed');
      await nc.flush();
    },
  };
}

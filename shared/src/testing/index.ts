import { randomBytes } from 'node:crypto';
import pg from 'pg';

export { getOnNewConnection } from './get-on-new-connection.js';
export { removeRunState } from './run-state.js';

/**
 * Fixtures for tests against real servers. The root vitest global setup exports REDIS_URL,
 * NATS_URL and DATABASE_URL — the machine's servers when those were set, private ones otherwise —
 * and each test isolates itself with a unique key prefix, NATS subject prefix and database.
 */
export interface TestServers {
  redisUrl: string;
  natsUrl: string;
  databaseUrl: string;
}

export function testServers(): TestServers {
  const { REDIS_URL, NATS_URL, DATABASE_URL } = process.env;
  if (!REDIS_URL || !NATS_URL || !DATABASE_URL) {
    throw new Error('REDIS_URL, NATS_URL and DATABASE_URL must be set (the root vitest global setup does this)');
  }
  return { redisUrl: REDIS_URL, natsUrl: NATS_URL, databaseUrl: DATABASE_URL };
}

/** A short random identifier safe for Redis keys, NATS subjects and Postgres names. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop: () => Promise<void>;
}

/** A fresh, empty database on the test Postgres server; drop() removes it (forcing off stragglers). */
export async function createTestDatabase(baseUrl = testServers().databaseUrl): Promise<TestDatabase> {
  const name = uniqueName('fg_test_');
  const admin = new pg.Client({ connectionString: withDatabase(baseUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(baseUrl, name),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: withDatabase(baseUrl, 'postgres') });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}

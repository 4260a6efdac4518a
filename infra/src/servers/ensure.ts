import { join } from 'node:path';
import { startNats } from './nats.js';
import { startPostgres } from './postgres.js';
import { startRedis } from './redis.js';

export interface Servers {
  redisUrl: string;
  natsUrl: string;
  databaseUrl: string;
  /** Which servers this call started (and stop() will stop). */
  started: Array<'redis' | 'nats' | 'postgres'>;
  stop: () => Promise<void>;
}

/**
 * Uses the servers named by REDIS_URL, NATS_URL and DATABASE_URL; for each one not named, starts a
 * private server with data under `dataDir`. stop() stops only what was started here.
 */
export async function ensureServers(opts: {
  env?: NodeJS.ProcessEnv;
  dataDir: string;
  database?: string;
  durable?: boolean;
  log?: (line: string) => void;
}): Promise<Servers> {
  const env = opts.env ?? process.env;
  const stops: Array<() => Promise<void>> = [];
  const started: Servers['started'] = [];
  const log = opts.log ?? (() => {});
  const stop = async () => {
    await Promise.allSettled(stops.reverse().map((s) => s()));
  };
  // allSettled, not all: when one server fails to start, the others may still be starting, and
  // they must be registered for stop() before we give up — or they outlive us.
  const settled = await Promise.allSettled([
    env.REDIS_URL ??
      startRedis({ dir: join(opts.dataDir, 'redis'), appendOnly: opts.durable !== false }).then((s) => {
        stops.push(() => s.stop());
        started.push('redis');
        log(`started redis-server pid ${s.pid} at ${s.url}`);
        return s.url;
      }),
    env.NATS_URL ??
      startNats({ dir: join(opts.dataDir, 'nats') }).then((s) => {
        stops.push(() => s.stop());
        started.push('nats');
        log(`started nats-server pid ${s.pid} at ${s.url}`);
        return s.url;
      }),
    env.DATABASE_URL ??
      startPostgres({ dir: join(opts.dataDir, 'postgres'), durable: opts.durable }).then(async (s) => {
        stops.push(() => s.stop());
        started.push('postgres');
        log(`started postgres pid ${s.pid} at ${s.url}`);
        const database = opts.database ?? 'flashgate';
        const pg = await import('pg');
        const c = new pg.default.Client({ connectionString: s.url });
        await c.connect();
        const exists = await c.query('select 1 from pg_database where datname = $1', [database]);
        if (exists.rowCount === 0) await c.query(`create database "${database}"`);
        await c.end();
        return s.url.replace(/\/postgres$/, `/${database}`);
      }),
  ]);
  const failure = settled.find((r) => r.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const [redisUrl, natsUrl, databaseUrl] = settled.map((r) => (r as PromiseFulfilledResult<string>).value) as [string, string, string];
  return { redisUrl, natsUrl, databaseUrl, started, stop };
}

import { Redis, type RedisOptions } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * Client factories, so every service connects the same way: bounded connect timeouts, commands
 * that fail fast while a server is down (instead of queueing without limit), logged reconnects.
 */
export function createRedis(url: string, opts: { logger?: Logger; name?: string } & RedisOptions = {}): Redis {
  const { logger, name, ...rest } = opts;
  const redis = new Redis(url, {
    connectionName: name,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    ...rest,
  });
  redis.on('error', (err) => logger?.warn({ err: err.message, dependency: 'redis' }, 'redis error'));
  return redis;
}

export async function connectNats(url: string, opts: { logger?: Logger; name?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({
    servers: url,
    name: opts.name,
    timeout: 2_000,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 5_000,
    // No Error (with stack) captured per request just in case it times out: measurable on hot request paths.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        opts.logger?.warn({ dependency: 'nats', status: s.type }, 'nats status');
      }
    }
  })();
  return nc;
}

export function createDb<DB>(url: string, opts: { max?: number; searchPath?: string; applicationName?: string } = {}): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    application_name: opts.applicationName,
    options: opts.searchPath ? `-c search_path=${opts.searchPath}` : undefined,
  });
  // An idle client losing its server emits 'error' on the pool; without a listener that crashes the process.
  pool.on('error', () => {});
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '@flashgate/infra/servers';
import { connectNats, createDb, createRedis } from '@flashgate/shared/clients';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics } from '@flashgate/shared/metrics';
import { createTestDatabase, testServers, type TestDatabase } from '@flashgate/shared/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

describe('inventory-reservations health', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let nc: NatsConnection;
  let database: TestDatabase;
  let db: Kysely<any>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-health-'));
    redisServer = await startRedis({ dir });
    redis = createRedis(redisServer.url, { retryStrategy: () => 50 });
    nc = await connectNats(testServers().natsUrl);
    database = await createTestDatabase();
    db = createDb(database.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await nc.close();
    await db.destroy();
    await database.drop();
    await redisServer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const app = () =>
    buildApp({
      config: loadConfig({ DEPENDENCY_TIMEOUT_MS: '300' }),
      logger: createLogger('test', 'silent'),
      metrics: createMetrics('test', { defaultMetrics: false }),
      redis,
      nc,
      db,
    });

  it('is ready with every dependency up, and reports each one with its latency', async () => {
    await redis.ping();
    const res = await app().request('/health/ready');
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.status).toBe('ready');
    expect(body.checks.map((c: { name: string }) => c.name).sort()).toEqual(['nats', 'postgres', 'redis']);
    for (const c of body.checks) {
      expect(c.ok).toBe(true);
      expect(typeof c.latencyMs).toBe('number');
    }
  });

  it('turns 503 when Redis is stopped, naming Redis, and stays live', async () => {
    const a = app();
    await redisServer.kill();
    const res = await a.request('/health/ready');
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body.status).toBe('not_ready');
    const r = body.checks.find((c: { name: string }) => c.name === 'redis');
    expect(r.ok).toBe(false);
    expect(r.error).toBeTruthy();
    expect(body.checks.find((c: { name: string }) => c.name === 'postgres').ok).toBe(true);
    expect((await a.request('/health/live')).status).toBe(200);
  });

  it('serves Prometheus metrics labelled by route pattern', async () => {
    const a = app();
    await a.request('/health/live');
    const res = await a.request('/metrics');
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/http_requests_total\{method="GET",route="\/health\/live",status="200"/);
  });

  it('answers unknown routes with the error envelope', async () => {
    const res = await app().request('/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('NOT_FOUND');
  });
});

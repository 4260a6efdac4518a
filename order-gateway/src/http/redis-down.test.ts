import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '@flashgate/infra/servers';
import { client, type Gateway, order, startGateway } from '../testing/gateway-fixture.js';

/** This file stops Redis, so it runs its own private redis-server and stops only that one. */
let dir: string;
let redis: RedisServer;
let gw: Gateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
  redis = await startRedis({ dir });
  gw = await startGateway({ env: { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '200', BREAKER_THRESHOLD: '2' } });
});
afterAll(async () => {
  await gw?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis down', () => {
  it('answers 503 DEPENDENCY_UNAVAILABLE quickly, holds nothing, then fails fast on the open breaker', async () => {
    const api = client(gw);
    expect((await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]))).status).toBe(201);
    await redis.stop();
    const holds = gw.inventory!.requests.hold;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const res = await api.place(await gw.issuer.token(), order([{ sku: 'SKU-A', quantity: 1 }]));
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', details: { dependency: 'redis' } });
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    expect(gw.inventory!.requests.hold).toBe(holds);
    const breaker = await gw.metrics.registry.getSingleMetricAsString('gateway_circuit_breaker_state');
    expect(breaker).toMatch(/dependency="redis"[^}]*\} 1$/m);
  });
});

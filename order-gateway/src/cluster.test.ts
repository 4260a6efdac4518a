/**
 * The production entry over the built output (pnpm -s build first): WORKERS gateway processes
 * share one port and one Redis, so an order placed through one worker is seen (and replayed) by the
 * others; /metrics on any worker counts the whole cluster; SIGTERM stops them all; a bad
 * configuration stops the cluster with exit code 2.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectNats, createRedis } from '@flashgate/shared/clients';
import { natsNames } from '@flashgate/shared/contracts';
import { sampleValues } from '@flashgate/shared/metrics';
import { getOnNewConnection, testServers, uniqueName, waitFor } from '@flashgate/shared/testing';
import { freePort } from '@flashgate/infra/servers';
import { expect, it } from 'vitest';
import { PRODUCTS, PROMO } from './testing/gateway-fixture.js';
import { startTestIssuer } from './testing/jwks-server.js';
import { startTestInventory } from './testing/test-inventory.js';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('runs WORKERS processes on one port sharing the order state, and stops them all on SIGTERM', { timeout: 60_000 }, async () => {
  const servers = testServers();
  const issuer = await startTestIssuer();
  const prefix = uniqueName('gwc');
  const nc = await connectNats(servers.natsUrl);
  const inventory = await startTestInventory(nc, natsNames(prefix), { [PROMO]: PRODUCTS });
  const port = await freePort();
  const child = spawn(process.execPath, [join(PKG, 'dist', 'cluster.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      WORKERS: '2',
      REDIS_URL: servers.redisUrl,
      NATS_URL: servers.natsUrl,
      REDIS_KEY_PREFIX: prefix,
      NATS_SUBJECT_PREFIX: prefix,
      WAITING_ROOM_URL: issuer.url,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(() => fetch(`${url}/health/ready`).then((r) => r.ok), { timeoutMs: 30_000, intervalMs: 200, what: 'ready' });
    const workers = childPids(child.pid as number);
    expect(workers).toHaveLength(2);

    const token = await issuer.token({ sub: 'shopper-c', jti: 'jti-c', promotion_id: PROMO });
    const body = JSON.stringify({ promotionId: PROMO, lines: [{ sku: 'SKU-A', quantity: 1 }] });
    // A new connection per request (agent: false), so the cluster hands them to both workers in turn.
    const place = () =>
      new Promise<{ status: number; replayed: boolean; orderId: string }>((resolve, reject) => {
        const req = request(
          `${url}/orders`,
          {
            method: 'POST',
            agent: false,
            headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'cluster-key', 'content-type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => {
              text += String(d);
            });
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                replayed: res.headers['idempotency-replayed'] === 'true',
                orderId: (JSON.parse(text) as { orderId: string }).orderId,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const first = await place();
    expect(first.status).toBe(201);
    // Whichever worker answers replays the same order: the state is in Redis, not in a process.
    for (let i = 0; i < 4; i++) {
      const again = await place();
      expect(again).toEqual({ status: 201, replayed: true, orderId: first.orderId });
    }
    expect(inventory.requests.hold).toBe(1);

    // Each worker counts what it served; every scrape, whichever worker answers it, has the sum.
    const N = 12;
    for (let i = 0; i < N; i++) expect((await getOnNewConnection(`${url}/health/live`)).status).toBe(200);
    for (let scrape = 0; scrape < 4; scrape++) {
      const metrics = await getOnNewConnection(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      const count = (route: string, method: string, status: string) =>
        sampleValues(metrics.text, 'http_requests_total', { method, route, status, service: 'order-gateway' });
      expect(count('/health/live', 'GET', '200')).toEqual([N]);
      expect(count('/orders', 'POST', '201')).toEqual([5]);
      // The breakers' gauge comes through the merge (max per dependency; every breaker is closed here).
      const breakers = sampleValues(metrics.text, 'gateway_circuit_breaker_state');
      expect(breakers.length).toBeGreaterThan(0);
      expect(breakers.every((v) => v === 0)).toBe(true);
    }

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => workers.every((pid) => !isAlive(pid)), { what: 'workers gone' });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await inventory.stop();
    await nc.drain();
    await issuer.close();
    const redis = createRedis(servers.redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
});

it('exits with code 2 on a configuration the workers would reject', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [join(PKG, 'dist', 'cluster.js')], {
    env: { ...process.env, PORT: 'not-a-port', WORKERS: '2' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(stderr).toContain('PORT');
});

/**
 * The production entry over the built output (pnpm test builds first): WORKERS processes share one
 * port and one line; /metrics on any worker reports the whole cluster; SIGTERM stops them all.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectNats, createDb, createRedis } from '@flashgate/shared/clients';
import { natsNames } from '@flashgate/shared/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import { migrateToLatest } from '@flashgate/shared/db';
import { sampleValues } from '@flashgate/shared/metrics';
import { createTestDatabase, getOnNewConnection, testServers, uniqueName, waitFor } from '@flashgate/shared/testing';
import { freePort } from '@flashgate/infra/servers';
import { expect, it } from 'vitest';
import { migrations } from './adapters/db/migrations/index.js';
import { deleteKeys, TestSocket } from './ws/queue-test-kit.js';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

it('runs WORKERS processes on one port that share the line, and stops them all on SIGTERM', { timeout: 60_000 }, async () => {
  const servers = testServers();
  const database = await createTestDatabase();
  const setup = createDb(database.url, { max: 1 });
  await migrateToLatest(setup, { schema: 'waiting_room', migrations });
  await setup.destroy();
  const port = await freePort();
  const prefix = uniqueName('wrc');
  const admin = 'cluster-test-admin-token-123';
  const child = spawn(process.execPath, [join(PKG, 'dist', 'cluster.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      WORKERS: '2',
      REDIS_URL: servers.redisUrl,
      NATS_URL: servers.natsUrl,
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: prefix,
      NATS_SUBJECT_PREFIX: prefix,
      ADMIN_TOKEN: admin,
      LOG_LEVEL: 'warn',
      VISITOR_TOKEN_SECRET: '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(() => fetch(`${url}/health/ready`).then((r) => r.ok), { timeoutMs: 30_000, intervalMs: 200, what: 'ready' });
    const workers = childPids(child.pid as number);
    expect(workers).toHaveLength(2);
    const now = Date.now();
    const created = await fetch(`${url}/admin/promotions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Cluster',
        prequeueOpensAt: new Date(now - 60_000).toISOString(),
        windowStart: new Date(now - 1_000).toISOString(),
        windowEnd: new Date(now + 3_600_000).toISOString(),
        products: [{ sku: 'C', name: 'C', priceCents: 1, stock: 10, perShopperLimit: 1 }],
        admissionRatePerSec: 0.01,
        maxActiveShoppers: 10,
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const wsUrl = `ws://127.0.0.1:${port}/queue/${id}/ws`;
    const first = await TestSocket.open(wsUrl);
    first.send({ type: 'hello' });
    const welcome = await first.next<{ visitorToken: string; ticket: number }>('welcome');
    // Connections are spread over both workers (round-robin); the same visitor token keeps one place on each.
    const again = await Promise.all([1, 2, 3, 4].map(() => TestSocket.open(wsUrl)));
    for (const s of again) s.send({ type: 'hello', visitorToken: welcome.visitorToken });
    for (const s of again) expect((await s.next<{ ticket: number }>('welcome')).ticket).toBe(welcome.ticket);

    // Once a socket on each worker has had a tick, both workers have set the line's gauges.
    const ticks = await Promise.all([first, ...again].map((s) => s.next<{ waiting: number; state: string }>('tick')));
    const N = 12;
    for (let i = 0; i < N; i++) expect((await getOnNewConnection(`${url}/health/live`)).status).toBe(200);
    for (let scrape = 0; scrape < 4; scrape++) {
      const { status, text } = await getOnNewConnection(`${url}/metrics`);
      expect(status).toBe(200);
      // Counters sum over the workers, whichever one answers the scrape.
      expect(sampleValues(text, 'http_requests_total', { method: 'GET', route: '/health/live', status: '200' })).toEqual([N]);
      // Sockets are per worker and sum; the line's gauges are the same on each and merge by max.
      expect(sampleValues(text, 'wr_ws_connections')).toEqual([5]);
      expect(sampleValues(text, 'wr_queue_state', { promotion: id, state: ticks[0]?.state ?? '' })).toEqual([1]);
      expect(sampleValues(text, 'wr_queue_waiting', { promotion: id })).toEqual([ticks[0]?.waiting]);
    }
    for (const s of [first, ...again]) s.kill();

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => workers.every((pid) => !isAlive(pid)), { what: 'workers gone' });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    const redis = createRedis(servers.redisUrl);
    await deleteKeys(redis, prefix);
    redis.disconnect();
    const nc = await connectNats(servers.natsUrl);
    await (await jetstreamManager(nc)).streams.delete(natsNames(prefix).streams.promotions).catch(() => undefined);
    await nc.close();
    await database.drop();
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

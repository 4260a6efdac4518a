#!/usr/bin/env node
/**
 * Quick measurement (not a benchmark suite — see bench/): holds per second through NATS
 * request/reply against a real inventory-reservations process (dist/main.js, its own process so it
 * gets its own core), with latency percentiles as the gateway sees them.
 *
 *   pnpm -s build && node inventory-reservations/scripts/measure-holds.mjs [totalHolds=40000] [concurrency=256]
 *
 * Uses REDIS_URL / NATS_URL / DATABASE_URL (defaults: the local servers); creates and drops its own
 * database, key prefix and subject prefix.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectNats, createDb } from '@flashgate/shared/clients';
import { natsNames } from '@flashgate/shared/contracts';
import { migrateToLatest } from '@flashgate/shared/db';
import { createTestDatabase, uniqueName, waitFor } from '@flashgate/shared/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Redis } from 'ioredis';
import { migrations } from '../dist/adapters/db/migrations/index.js';
import { deleteInventoryStreams } from '../dist/adapters/nats/streams.js';

const total = Number(process.argv[2] ?? 40_000);
const concurrency = Number(process.argv[3] ?? 256);
const env = {
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
};
const prefix = uniqueName('bench');
const database = await createTestDatabase(env.DATABASE_URL);
const setup = createDb(database.url, { max: 1 });
await migrateToLatest(setup, { schema: 'inventory', migrations });
await setup.destroy();

const port = 30_000 + Math.floor(Math.random() * 10_000);
const child = spawn(
  process.execPath,
  [
    ...(process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []),
    fileURLToPath(new URL('../dist/main.js', import.meta.url)),
  ],
  {
    env: {
      ...process.env,
      ...env,
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: prefix,
      NATS_SUBJECT_PREFIX: prefix,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RECONCILE_INTERVAL_MS: '0',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
const nc = await connectNats(env.NATS_URL);
const names = natsNames(prefix);
const redis = new Redis(env.REDIS_URL);
try {
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, { timeoutMs: 20_000, what: 'service ready' });
  const promotionId = 'bench';
  const snapshot = {
    promotionId,
    version: 1,
    name: 'bench',
    status: 'open',
    windowStart: new Date(Date.now() - 60_000).toISOString(),
    windowEnd: new Date(Date.now() + 3_600_000).toISOString(),
    products: [{ sku: 'HOT', name: 'Hot', priceCents: 1000, stock: 1_000_000_000, perShopperLimit: 5 }],
    publishedAt: new Date().toISOString(),
  };
  await jetstream(nc).publish(names.subjects.promotionSnapshot(promotionId), JSON.stringify(snapshot), { msgID: `${promotionId}:1` });
  const stockSubject = names.subjects.inventoryRequest('stock');
  await waitFor(async () => JSON.parse((await nc.request(stockSubject, JSON.stringify({ promotionId }))).string()).ok, {
    what: 'snapshot applied',
  });

  const holdSubject = names.subjects.inventoryRequest('hold');
  const latencies = new Float64Array(total);
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const body = JSON.stringify({ orderId: `o${i}`, promotionId, shopperId: `s${i}`, lines: [{ sku: 'HOT', quantity: 1 }] });
        const t0 = performance.now();
        const reply = JSON.parse((await nc.request(holdSubject, body, { timeout: 5_000 })).string());
        latencies[i] = performance.now() - t0;
        if (!reply.ok) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(2);
  console.log(
    JSON.stringify({
      holds: total,
      concurrency,
      failures,
      seconds: Number(seconds.toFixed(2)),
      holdsPerSecond: Math.round(total / seconds),
      latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: pct(100) },
    }),
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await deleteInventoryStreams(await jetstreamManager(nc), names);
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  redis.disconnect();
  await nc.close();
  await database.drop();
}

#!/usr/bin/env node
/**
 * One-off measurement of a single waiting-room worker (not a test, not part of `pnpm test`):
 * joins/s over WebSocket, sockets held, memory per held socket, and tick fan-out.
 *
 *   pnpm build && node waiting-room/scripts/measure-queue.mjs [sockets=10000]
 *
 * Uses REDIS_URL / NATS_URL / DATABASE_URL (defaults: local servers); creates and drops its own
 * database, Redis keys (unique prefix) and NATS subject prefix. Traffic stays on loopback, spread
 * over several 127.0.0.x source addresses so the client does not run out of ephemeral ports.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { WebSocket } from 'ws';

const N = Number(process.argv[2] ?? 10_000);
const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const BASE_DB = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const id = randomBytes(4).toString('hex');
const dbName = `wr_measure_${id}`;
const prefix = `wrmeasure${id}`;
const adminToken = randomBytes(18).toString('base64url');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function dbUrl(name) {
  const u = new URL(BASE_DB);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: dbUrl('postgres') });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name) && !l.startsWith('#'));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
await admin(`create database ${dbName}`);
const env = {
  ...process.env,
  PORT: String(port),
  HOST: '127.0.0.1',
  WORKERS: '1',
  REDIS_URL,
  NATS_URL,
  DATABASE_URL: dbUrl(dbName),
  REDIS_KEY_PREFIX: prefix,
  NATS_SUBJECT_PREFIX: prefix,
  ADMIN_TOKEN: adminToken,
  LOG_LEVEL: 'warn',
  WS_MAX_CONNECTIONS_PER_IP: String(N * 2),
  JOIN_RATE_PER_IP: '1000000',
  JOIN_BURST_PER_IP: '1000000',
};
let server;
const redis = new Redis(REDIS_URL);
try {
  await new Promise((resolve, reject) =>
    spawn(process.execPath, [join(pkg, 'dist', 'migrate.js')], { env, stdio: 'ignore' }).once('exit', (c) =>
      c === 0 ? resolve() : reject(new Error('migrate failed')),
    ),
  );
  server = spawn(process.execPath, [join(pkg, 'dist', process.env.MEASURE_ENTRY ?? 'cluster.js')], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; ; i++) {
    if (
      (await fetch(`${url}/health/ready`)
        .then((r) => r.ok)
        .catch(() => false)) === true
    )
      break;
    if (i > 100) throw new Error('server not ready');
    await sleep(200);
  }
  const now = Date.now();
  const res = await fetch(`${url}/admin/promotions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Measure',
      prequeueOpensAt: new Date(now - 60_000).toISOString(),
      windowStart: new Date(now - 1_000).toISOString(),
      windowEnd: new Date(now + 3_600_000).toISOString(),
      products: [{ sku: 'M', name: 'M', priceCents: 1, stock: 1_000_000, perShopperLimit: 1 }],
      admissionRatePerSec: 1,
      maxActiveShoppers: 10,
    }),
  });
  const promo = await res.json();
  if (!res.ok) throw new Error(`create promotion: ${JSON.stringify(promo)}`);
  await sleep(1_000);
  const rss0 = await metric(url, 'process_resident_memory_bytes');
  const heap0 = await metric(url, 'nodejs_heap_size_used_bytes');

  const sockets = [];
  let ticks = 0;
  let welcomed = 0;
  const t0 = performance.now();
  const open = (i) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/queue/${promo.id}/ws`, { localAddress: `127.0.0.${2 + (i % 50)}` });
      ws.on('open', () => ws.send('{"type":"hello"}'));
      ws.on('message', (d) => {
        const type = JSON.parse(d.toString()).type;
        if (type === 'welcome') {
          welcomed++;
          resolve();
        } else if (type === 'tick') ticks++;
      });
      ws.on('error', reject);
      sockets.push(ws);
    });
  const CONCURRENCY = Number(process.env.MEASURE_CONCURRENCY ?? 200);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) await open(next++);
    }),
  );
  const joinSeconds = (performance.now() - t0) / 1000;
  await sleep(3_000);
  const rss1 = await metric(url, 'process_resident_memory_bytes');
  const heap1 = await metric(url, 'nodejs_heap_size_used_bytes');
  const held = await metric(url, 'wr_ws_connections');
  ticks = 0;
  await sleep(5_000);
  const ticksPerSocketPerSec = ticks / N / 5;
  const droppedTicks = await metric(url, 'wr_ws_dropped_updates_total');
  console.log(
    JSON.stringify(
      {
        sockets: N,
        welcomed,
        heldByWorker: held,
        joinsPerSec: Math.round(N / joinSeconds),
        rssPerSocketKiB: Math.round((rss1 - rss0) / N / 102.4) / 10,
        heapPerSocketKiB: Math.round((heap1 - heap0) / N / 102.4) / 10,
        workerRssMiB: Math.round(rss1 / 1048576),
        ticksPerSocketPerSec: Math.round(ticksPerSocketPerSec * 100) / 100,
        droppedTicks,
        loadAverage: (await import('node:os')).loadavg()[0],
      },
      null,
      2,
    ),
  );
  for (const ws of sockets) ws.terminate();
} finally {
  server?.kill('SIGTERM');
  await new Promise((r) => (server ? server.once('exit', r) : r()));
  let cursor = '0';
  do {
    const [c, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = c;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  const nc = await connect({ servers: NATS_URL });
  await (await jetstreamManager(nc)).streams.delete(`${prefix.toUpperCase()}_PROMOTIONS`).catch(() => undefined);
  await nc.close();
  await admin(`drop database if exists ${dbName} with (force)`);
}

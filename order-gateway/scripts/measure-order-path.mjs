#!/usr/bin/env node
/**
 * The order path end to end: POST /orders through the REAL gateway (verify the ES256 admission
 * token, idempotency + admission claim in Redis, hold over NATS, record the outcome) against the
 * REAL inventory-reservations (its Lua hold, Postgres-backed orders stream), each in its own
 * process(es). Reports holds/s, latency percentiles, status counts and CPU-seconds per 1,000
 * orders for each service (summed over its processes, read from /proc) and for this load generator.
 * A local measurement, not the bench: speed is not asserted anywhere.
 *
 *   pnpm -s build && node order-gateway/scripts/measure-order-path.mjs [seconds=10] [concurrency=128] [stock=big]
 *
 * stock: `big` (every hold succeeds → 201) or a number N (one hot SKU with N units: the first N
 * answers are 201, the rest 409 SOLD_OUT — the flash-sale case).
 * Env: GATEWAY_ENTRY (main.js | cluster.js, default cluster.js), GATEWAY_WORKERS, GATEWAY_DIR, INVENTORY_ENTRY,
 * INVENTORY_WORKERS, MEASURE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/gw-prof", gateway only),
 * RETRIES=1 (every request is sent twice with the same key and token: the shopper's retry, replayed),
 * PATH_ONLY=live (GET /health/live instead: the HTTP stack's floor on the same machine at the same moment).
 * Uses REDIS_URL / NATS_URL / DATABASE_URL; creates and drops its own database, key and subject prefix.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { connectNats, createDb } from '@flashgate/shared/clients';
import { natsNames } from '@flashgate/shared/contracts';
import { migrateToLatest } from '@flashgate/shared/db';
import { createTestDatabase, uniqueName, waitFor } from '@flashgate/shared/testing';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { KeepAliveConnection } from '../../bench/dist/load/keep-alive-http.js';
import { migrations } from '../../inventory-reservations/dist/adapters/db/migrations/index.js';
import { deleteInventoryStreams } from '../../inventory-reservations/dist/adapters/nats/streams.js';
import { startTestIssuer } from '../dist/testing/jwks-server.js';

// JetStream client from inventory-reservations' own dependencies (the gateway itself needs only core NATS).
const { jetstream, jetstreamManager } = await import('../../inventory-reservations/node_modules/@nats-io/jetstream/lib/mod.js');

const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 128);
const stockArg = process.argv[4] ?? 'big';
const stock = stockArg === 'big' ? 1_000_000_000 : Number(stockArg);
const retries = process.env.RETRIES === '1';
const env = {
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
};
const prefix = uniqueName('opath');
const promotionId = 'opath';
const database = await createTestDatabase(env.DATABASE_URL);
const setup = createDb(database.url, { max: 1 });
await migrateToLatest(setup, { schema: 'inventory', migrations });
await setup.destroy();

const issuer = await startTestIssuer();
const gatewayPort = 30_000 + Math.floor(Math.random() * 10_000);
const inventoryPort = gatewayPort + 1;
const common = {
  ...process.env,
  ...env,
  REDIS_KEY_PREFIX: prefix,
  NATS_SUBJECT_PREFIX: prefix,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
};
// GATEWAY_DIR: another build of the gateway package (e.g. an older commit's, to compare on the same machine at the same moment).
const packageDir = (pkg) =>
  pkg === 'order-gateway' && process.env.GATEWAY_DIR ? process.env.GATEWAY_DIR : fileURLToPath(new URL(`../../${pkg}`, import.meta.url));
// An absolute entry (e.g. scripts/order-path-floor.mjs) is started as it is.
const start = (pkg, entry, extraEnv, nodeArgs = []) =>
  spawn(process.execPath, [...nodeArgs, entry.startsWith('/') ? entry : `${packageDir(pkg)}/dist/${entry}`], {
    env: { ...common, ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
const inventory = start('inventory-reservations', process.env.INVENTORY_ENTRY ?? 'main.js', {
  DATABASE_URL: database.url,
  PORT: String(inventoryPort),
  RECONCILE_INTERVAL_MS: '0',
  ...(process.env.INVENTORY_WORKERS ? { WORKERS: process.env.INVENTORY_WORKERS } : {}),
});
const gateway = start(
  'order-gateway',
  process.env.GATEWAY_ENTRY ?? 'cluster.js',
  {
    PORT: String(gatewayPort),
    HOST: '127.0.0.1',
    WAITING_ROOM_URL: issuer.url,
    RATE_LIMIT_GLOBAL_PER_SEC: '0',
    RATE_LIMIT_SHOPPER_PER_SEC: '0',
    ...(process.env.GATEWAY_WORKERS ? { WORKERS: process.env.GATEWAY_WORKERS } : {}),
  },
  (process.env.MEASURE_NODE_ARGS ?? '').split(' ').filter(Boolean),
);

/** CPU-seconds (utime + stime) of a process and all its descendants, from /proc. */
function treeCpuSeconds(rootPid) {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const f = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ');
      stats.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {}
  }
  let ticks = 0;
  const todo = [rootPid];
  while (todo.length > 0) {
    const pid = todo.pop();
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [p, s] of stats) if (s.ppid === pid) todo.push(p);
  }
  return ticks / 100; // USER_HZ
}

/** CPU-seconds of every process with this command name (redis-server, nats-server: shared with anything else using them). */
function commCpuSeconds(comm) {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (!stat.includes(`(${comm})`)) continue;
      const f = stat.split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks / 100;
}

const nc = await connectNats(env.NATS_URL);
const names = natsNames(prefix);
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
// CLIENT=undici: undici's Pool instead of the bench's lean keep-alive client (to compare the load generator's own cost).
const useUndici = process.env.CLIENT === 'undici';
const pool = new Pool(gatewayUrl, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
const lean = Array.from(
  { length: concurrency },
  () => new KeepAliveConnection({ host: '127.0.0.1', port: gatewayPort, timeoutMs: 10_000 }),
);
try {
  await waitFor(async () => (await fetch(`http://127.0.0.1:${inventoryPort}/health/ready`)).ok, {
    timeoutMs: 30_000,
    what: 'inventory ready',
  });
  await waitFor(async () => (await fetch(`${gatewayUrl}/health/ready`)).ok, { timeoutMs: 30_000, what: 'gateway ready' });
  const snapshot = {
    promotionId,
    version: 1,
    name: 'order path',
    status: 'open',
    windowStart: new Date(Date.now() - 60_000).toISOString(),
    windowEnd: new Date(Date.now() + 3_600_000).toISOString(),
    products: [{ sku: 'HOT', name: 'Hot', priceCents: 1000, stock, perShopperLimit: 5 }],
    publishedAt: new Date().toISOString(),
  };
  await jetstream(nc).publish(names.subjects.promotionSnapshot(promotionId), JSON.stringify(snapshot), { msgID: `${promotionId}:1` });
  const stockSubject = names.subjects.inventoryRequest('stock');
  await waitFor(async () => JSON.parse((await nc.request(stockSubject, JSON.stringify({ promotionId }))).string()).ok, {
    what: 'snapshot applied',
  });

  // One admission per request (distinct shoppers), signed up front so signing does not compete.
  const expected = Math.ceil(seconds * 9_000) + 2_000;
  process.stdout.write(`signing ${expected} admission tokens… `);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const tokens = await Promise.all(
    Array.from({ length: expected }, (_, i) => issuer.token({ sub: `s${i}`, jti: `j${i}`, promotion_id: promotionId, exp })),
  );
  process.stdout.write('done\n');
  const body = JSON.stringify({ promotionId, lines: [{ sku: 'HOT', quantity: 1 }] });
  // PATH_ONLY=live: GET /health/live instead (the HTTP stack's floor on the same machine, same moment).
  const liveOnly = process.env.PATH_ONLY === 'live';
  const post = async (i, lane) => {
    if (!useUndici) {
      const conn = lean[lane];
      const res = liveOnly
        ? await conn.request('GET', '/health/live', '')
        : await conn.request(
            'POST',
            '/orders',
            `authorization: Bearer ${tokens[i]}\r\nidempotency-key: k${i}\r\ncontent-type: application/json\r\n`,
            body,
          );
      return res.status;
    }
    if (liveOnly) {
      const res = await pool.request({ path: '/health/live', method: 'GET' });
      await res.body.dump();
      return res.statusCode;
    }
    const res = await pool.request({
      path: '/orders',
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[i]}`, 'idempotency-key': `k${i}`, 'content-type': 'application/json' },
      body,
    });
    await res.body.dump();
    return res.statusCode;
  };

  // Warm-up (JIT, JWKS fetch, script load, connections), not counted.
  let next = 0;
  const warmup = {};
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      for (let round = 0; round < 4; round++) {
        const s = await post(next++, lane).catch(() => 0);
        warmup[s] = (warmup[s] ?? 0) + 1;
      }
    }),
  );

  const gw0 = treeCpuSeconds(gateway.pid);
  const inv0 = treeCpuSeconds(inventory.pid);
  const me0 = process.cpuUsage();
  const redis0 = commCpuSeconds('redis-server');
  const nats0 = commCpuSeconds('nats-server');
  const latencies = [];
  const statuses = {};
  const deadline = performance.now() + seconds * 1000;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (performance.now() < deadline && next < tokens.length) {
        const i = next++;
        for (let attempt = 0; attempt < (retries ? 2 : 1); attempt++) {
          const t0 = performance.now();
          const status = await post(i, lane).catch(() => 0);
          latencies.push(performance.now() - t0);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - startedAt) / 1000;
  const gwCpu = treeCpuSeconds(gateway.pid) - gw0;
  const invCpu = treeCpuSeconds(inventory.pid) - inv0;
  const me = process.cpuUsage(me0);
  const redisCpu = commCpuSeconds('redis-server') - redis0;
  const natsCpu = commCpuSeconds('nats-server') - nats0;
  const meCpu = (me.user + me.system) / 1e6;
  latencies.sort((a, b) => a - b);
  const pct = (p) => Number(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(1));
  const n = latencies.length;
  const per1000 = (cpu) => Number(((cpu / n) * 1000).toFixed(3));
  console.log(
    JSON.stringify(
      {
        requests: n,
        seconds: Number(elapsed.toFixed(2)),
        perSecond: Math.round(n / elapsed),
        concurrency,
        stock: stockArg,
        retries,
        gatewayEntry: process.env.GATEWAY_ENTRY ?? 'cluster.js',
        gatewayWorkers: process.env.GATEWAY_WORKERS ?? 'default',
        inventoryEntry: process.env.INVENTORY_ENTRY ?? 'main.js',
        latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: pct(100) },
        statuses,
        warmupStatuses: warmup,
        stockAfter: JSON.parse((await nc.request(stockSubject, JSON.stringify({ promotionId }))).string()),
        cpuSeconds: {
          gateway: gwCpu,
          inventory: invCpu,
          loadGenerator: Number(meCpu.toFixed(2)),
          redisServer: Number(redisCpu.toFixed(2)),
          natsServer: Number(natsCpu.toFixed(2)),
        },
        // redis-server / nats-server: every client's work on this machine, not only this run's (an upper bound).
        cpuSecondsPer1000: {
          gateway: per1000(gwCpu),
          inventory: per1000(invCpu),
          loadGenerator: per1000(meCpu),
          redisServer: per1000(redisCpu),
          natsServer: per1000(natsCpu),
        },
        loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
        cpus: cpus().length,
      },
      null,
      2,
    ),
  );
} finally {
  await pool.close();
  for (const c of lean) c.close();
  const stopped = (child) => new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  gateway.kill('SIGTERM');
  inventory.kill('SIGTERM');
  await Promise.all([stopped(gateway), stopped(inventory)]);
  await deleteInventoryStreams(await jetstreamManager(nc), names);
  const redis = new Redis(env.REDIS_URL);
  let cursor = '0';
  do {
    const [c, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = c;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  await nc.close();
  await issuer.close();
  await database.drop();
}

#!/usr/bin/env node
/**
 * Join probe (a measurement, not a test): opens `--rate` WebSocket joins per second for `--seconds`
 * against a waiting-room it starts itself (fresh database, Redis key prefix and NATS prefix), keeps every
 * socket open as shoppers do, and reports joins/s, join latency (from the planned start of each
 * connection to its welcome) and the CPU each process spent per join: the waiting-room primary and
 * workers, redis-server and this client — read from /proc/<pid>/stat, minus an idle window of the same
 * length measured just before. `--hold S` then measures S seconds of tick fan-out to the held sockets.
 *
 *   pnpm -s build && node bench/src/load/join-probe.mjs --rate 2000 --seconds 8 --workers 2 --client lean
 *
 * --client ws uses the `ws` library client (what the bench used before), lean the bench's own client.
 * --pkg DIR runs another build of waiting-room (e.g. an older commit's). Keep rate × seconds under
 * ~19,000: this one process holds every socket, and a process may open 20,000 files here.
 */
import { execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { WebSocket } from 'ws';

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const RATE = Number(arg('rate', 1000));
const SECONDS = Number(arg('seconds', 5));
const CLIENT = arg('client', 'lean');
const WORKERS = arg('workers', '1');
const SCHEDULING = arg('scheduling', 'os');
const HOLD = Number(arg('hold', 0));
const ADDRESSES = Number(arg('addresses', 50));
const here = dirname(fileURLToPath(import.meta.url));
const PKG = arg('pkg', join(here, '..', '..', '..', 'waiting-room'));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const BASE_DB = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const id = randomBytes(4).toString('hex');
const dbName = `wr_probe_${id}`;
const prefix = `wrprobe${id}`;
const adminToken = randomBytes(18).toString('base64url');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICKS_PER_SEC = Number(execSync('getconf CLK_TCK').toString().trim());

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const dbUrl = (name) => {
  const u = new URL(BASE_DB);
  u.pathname = `/${name}`;
  return u.toString();
};
async function admin(sql) {
  const c = new pg.Client({ connectionString: dbUrl('postgres') });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
/** [user, system] CPU-ms of a process so far. */
function cpu(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [(Number(f[11]) * 1000) / TICKS_PER_SEC, (Number(f[12]) * 1000) / TICKS_PER_SEC];
}
const childrenOf = (pid) => {
  try {
    return execSync(`pgrep -P ${pid}`).toString().trim().split('\n').map(Number).filter(Boolean);
  } catch {
    return [];
  }
};
const redisPid = Number(execSync('pgrep -x redis-server').toString().trim().split('\n')[0]);

const port = await freePort();
await admin(`create database ${dbName}`);
const env = {
  ...process.env,
  PORT: String(port),
  HOST: '127.0.0.1',
  WORKERS,
  CLUSTER_SCHEDULING: SCHEDULING,
  REDIS_URL,
  NATS_URL,
  DATABASE_URL: dbUrl(dbName),
  REDIS_KEY_PREFIX: prefix,
  NATS_SUBJECT_PREFIX: prefix,
  ADMIN_TOKEN: adminToken,
  LOG_LEVEL: 'warn',
  WS_MAX_CONNECTIONS_PER_IP: '1000000',
  JOIN_RATE_PER_IP: '1000000',
  JOIN_BURST_PER_IP: '1000000',
  VISITOR_TOKEN_SECRET: randomBytes(24).toString('base64url'),
};
let server;
const redis = new Redis(REDIS_URL);
const url = `http://127.0.0.1:${port}`;
try {
  await new Promise((resolve, reject) =>
    spawn(process.execPath, [join(PKG, 'dist', 'migrate.js')], { env, stdio: 'ignore' }).once('exit', (c) =>
      c === 0 ? resolve() : reject(new Error('migrate failed')),
    ),
  );
  server = spawn(process.execPath, [join(PKG, 'dist', 'cluster.js')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; ; i++) {
    const ready = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 100) throw new Error('waiting-room not ready');
    await sleep(200);
  }
  const now = Date.now();
  const res = await fetch(`${url}/admin/promotions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Join probe',
      prequeueOpensAt: new Date(now - 60_000).toISOString(),
      windowStart: new Date(now - 1_000).toISOString(),
      windowEnd: new Date(now + 3_600_000).toISOString(),
      products: [{ sku: 'P', name: 'P', priceCents: 1, stock: 1_000_000, perShopperLimit: 1 }],
      admissionRatePerSec: 0.01, // nobody admitted: every socket stays, as a waiting shopper's does
      maxActiveShoppers: 1,
    }),
  });
  const promo = await res.json();
  if (!res.ok) throw new Error(`create promotion: ${JSON.stringify(promo)}`);
  const wsUrl = `ws://127.0.0.1:${port}/queue/${promo.id}/ws`;
  const lean = CLIENT === 'lean' ? await import('../../dist/load/lean-ws.js') : null;
  const target = lean?.leanWsTarget(wsUrl);
  const latencies = [];
  const sockets = [];
  let welcomed = 0;
  let errors = 0;
  let ticks = 0;
  const onText = (text, startedAt) => {
    const type = JSON.parse(text).type;
    if (type === 'welcome') {
      welcomed++;
      latencies.push(performance.now() - startedAt);
    } else if (type === 'tick') ticks++;
  };
  const open = (i, startedAt) => {
    const k = i % ADDRESSES;
    const localAddress = `127.0.${1 + Math.floor(k / 250)}.${2 + (k % 250)}`;
    if (lean) {
      const s = new lean.LeanWebSocket(
        target,
        {
          onOpen: () => s.send('{"type":"hello"}'),
          onMessage: (d) => onText(d.toString(), startedAt),
          onError: () => errors++,
          onClose: () => {},
        },
        { localAddress, handshakeTimeoutMs: 30_000, maxPayload: 1 << 20 },
      );
      sockets.push(() => s.terminate());
      return;
    }
    const ws = new WebSocket(wsUrl, { localAddress, perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 30_000 });
    ws.on('open', () => ws.send('{"type":"hello"}'));
    ws.on('message', (d) => onText(d.toString(), startedAt));
    ws.on('error', () => errors++);
    sockets.push(() => ws.terminate());
  };
  // Warm-up, then an idle window as long as the load: background work (ticks, leases) is subtracted.
  for (let i = 0; i < 20; i++) open(i, performance.now());
  await sleep(1_500);
  latencies.length = 0;
  welcomed = 0;
  const pids = { primary: server.pid, workers: childrenOf(server.pid), redis: redisPid };
  const snap = () => ({
    primary: cpu(pids.primary),
    workers: pids.workers.map(cpu).reduce((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]),
    redis: cpu(pids.redis),
    client: ((u) => [u.user / 1000, u.system / 1000])(process.cpuUsage()),
    t: performance.now(),
  });
  const total = (a, b, k) => b[k][0] + b[k][1] - a[k][0] - a[k][1];
  const i0 = snap();
  await sleep(SECONDS * 1000);
  const i1 = snap();

  const N = Math.round(RATE * SECONDS);
  const s0 = snap();
  const start = performance.now();
  let issued = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(N, Math.floor(((performance.now() - start) / 1000) * RATE));
      while (issued < due) {
        // Latency counts from the planned start, so a late launcher shows in it.
        open(20 + issued, start + (issued / RATE) * 1000);
        issued++;
      }
      if (issued >= N) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  for (let i = 0; welcomed + errors < N && i < 600; i++) await sleep(50);
  const lastMs = performance.now() - start;
  const s1 = snap();
  const scale = (s1.t - s0.t) / (i1.t - i0.t);
  const perJoin = {};
  const sysPerJoin = {};
  for (const k of ['primary', 'workers', 'redis', 'client']) {
    perJoin[k] = Math.round(((total(s0, s1, k) - total(i0, i1, k) * scale) / Math.max(1, welcomed)) * 1000) / 1000;
    sysPerJoin[k] = Math.round(((s1[k][1] - s0[k][1]) / Math.max(1, welcomed)) * 1000) / 1000;
  }
  latencies.sort((a, b) => a - b);
  const q = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN);
  console.log(
    JSON.stringify({
      client: CLIENT,
      workers: WORKERS,
      scheduling: SCHEDULING,
      rate: RATE,
      joins: N,
      welcomed,
      errors,
      joinsPerSec: Math.round(welcomed / (lastMs / 1000)),
      latencyMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: Math.round(latencies.at(-1) ?? Number.NaN) },
      socketsPerWorker: pids.workers.map((w) => readdirSync(`/proc/${w}/fd`).length),
      cpuMsPerJoin: perJoin,
      sysMsPerJoin: sysPerJoin,
      loadAverage: loadavg()[0],
    }),
  );
  if (HOLD > 0) {
    await sleep(2_000);
    const h0 = snap();
    const t0 = ticks;
    await sleep(HOLD * 1000);
    const h1 = snap();
    const frames = ticks - t0;
    console.log(
      JSON.stringify({
        holdSeconds: HOLD,
        sockets: welcomed,
        tickFrames: frames,
        serverUsPerTickFrame: Math.round((total(h0, h1, 'workers') * 1000) / Math.max(1, frames)),
        clientUsPerTickFrame: Math.round((total(h0, h1, 'client') * 1000) / Math.max(1, frames)),
      }),
    );
  }
  for (const close of sockets) close();
} finally {
  server?.kill('SIGTERM');
  await new Promise((r) => (server && server.exitCode === null ? server.once('exit', r) : r()));
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

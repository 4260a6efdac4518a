#!/usr/bin/env node
/**
 * How many POST /orders per second does ONE gateway process answer?
 *
 * Starts the built gateway (dist/main.js) as a child process against the machine's Redis and NATS
 * (REDIS_URL, NATS_URL), with a real JWKS HTTP server and a trivial real NATS responder for
 * inventory `hold` in this process, then drives it over keep-alive HTTP with pre-signed admission
 * tokens (one per request: one live order per admission). Prints throughput, latency percentiles
 * and status counts. A local measurement, not the bench: run it on a quiet machine.
 *
 *   pnpm -s build && node order-gateway/scripts/measure-place-throughput.mjs [seconds=10] [concurrency=64]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { startTestIssuer } from '../dist/testing/jwks-server.js';

const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 64);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const PORT = Number(process.env.MEASURE_PORT ?? 3902);
const tag = `m${randomBytes(4).toString('hex')}`;
const PROMO = 'promo-measure';

const issuer = await startTestIssuer();
const nc = await connect({ servers: NATS_URL });
const reply = JSON.stringify({
  ok: true,
  holdId: 'hold-x',
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  lines: [{ sku: 'SKU-A', quantity: 1, unitPriceCents: 1000 }],
  amountCents: 1000,
});
nc.subscribe(`${tag}.inventory.hold`, { queue: 'inventory-reservations', callback: (_err, m) => m.respond(reply) });
let holds = 0;
nc.subscribe(`${tag}.inventory.hold`, { callback: () => holds++ });

// MEASURE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/gw-prof" profiles the gateway during the run.
const nodeArgs = (process.env.MEASURE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const gateway = spawn(process.execPath, [...nodeArgs, fileURLToPath(new URL('../dist/main.js', import.meta.url))], {
  env: {
    ...process.env,
    PORT: String(PORT),
    HOST: '127.0.0.1',
    REDIS_URL,
    NATS_URL,
    REDIS_KEY_PREFIX: tag,
    NATS_SUBJECT_PREFIX: tag,
    WAITING_ROOM_URL: issuer.url,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_GLOBAL_PER_SEC: '0',
    RATE_LIMIT_SHOPPER_PER_SEC: '0',
  },
  // Request logs would cost the gateway CPU and flood the terminal; errors still reach stderr.
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `http://127.0.0.1:${PORT}`;
for (let i = 0; ; i++) {
  const ok = await fetch(`${base}/health/ready`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  if (i > 100) throw new Error('gateway did not become ready');
  await new Promise((r) => setTimeout(r, 100));
}

// One token per request, signed up front so signing does not compete with the gateway for CPU.
const expected = Math.ceil(seconds * 12_000);
process.stdout.write(`signing ${expected} admission tokens… `);
const tokens = [];
for (let i = 0; i < expected; i++)
  tokens.push(await issuer.token({ sub: `s${i}`, jti: `j${i}`, promotion_id: PROMO, exp: Math.floor(Date.now() / 1000) + 3600 }));
process.stdout.write('done\n');

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const body = JSON.stringify({ promotionId: PROMO, lines: [{ sku: 'SKU-A', quantity: 1 }] });
function post(token, key) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request(
      `${base}/orders`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'idempotency-key': key,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

// Warm-up (JIT, JWKS fetch, script load), not counted.
let next = 0;
await Promise.all(Array.from({ length: 200 }, () => post(tokens[next++], `w${next}`)));

/** CPU seconds the gateway process has used (Linux /proc): requests per CPU-second is a figure a busy machine distorts less. */
function gatewayCpuSeconds() {
  try {
    const fields = readFileSync(`/proc/${gateway.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

const cpuBefore = gatewayCpuSeconds();
const latencies = [];
const statuses = {};
const deadline = performance.now() + seconds * 1000;
const startedAt = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline && next < tokens.length) {
      const i = next++;
      const r = await post(tokens[i], `k${i}`);
      latencies.push(r.ms);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
  }),
);
const elapsed = (performance.now() - startedAt) / 1000;
const cpu = gatewayCpuSeconds() - cpuBefore;
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(1);
console.log(
  JSON.stringify(
    {
      requests: latencies.length,
      seconds: Number(elapsed.toFixed(2)),
      perSecond: Math.round(latencies.length / elapsed),
      concurrency,
      latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: latencies.at(-1)?.toFixed(1) },
      statuses,
      inventoryHoldRequests: holds,
      gatewayCpuSeconds: Number(cpu.toFixed(2)),
      requestsPerGatewayCpuSecond: Math.round(latencies.length / cpu),
      loadAverage: load,
      cpus: (await import('node:os')).cpus().length,
    },
    null,
    2,
  ),
);

gateway.kill('SIGTERM');
await new Promise((r) => gateway.once('exit', r));
const redis = new Redis(REDIS_URL);
let cursor = '0';
do {
  const [c, keys] = await redis.scan(cursor, 'MATCH', `${tag}:*`, 'COUNT', 1000);
  cursor = c;
  if (keys.length > 0) await redis.del(...keys);
} while (cursor !== '0');
redis.disconnect();
agent.destroy();
await nc.drain();
await issuer.close();

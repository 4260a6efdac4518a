import { randomUUID } from 'node:crypto';
import { createRedis } from '@flashgate/shared/clients';
import { createLogger } from '@flashgate/shared/logger';
import { testServers, uniqueName, waitFor } from '@flashgate/shared/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisQueueStore } from '../adapters/redis/redis-queue-store.js';
import { createTestSigner, deleteKeys, MapDirectory, makePromotion, sleep, type TestSigner } from '../ws/queue-test-kit.js';
import { QueueEngine } from './queue-engine.js';
import type { Promotion } from './promotion.js';
import type { QueueEvent, QueueStore } from './queue-store.js';

const prefix = uniqueName('wre');
const logger = createLogger('test', 'silent');
const timing = { admitIntervalMs: 50, leaseTtlMs: 1_000, tickIntervalMs: 200, sweepIntervalMs: 200 };
let redis: Redis;
let sub: Redis;
let store: QueueStore;
let signer: TestSigner;
const directory = new MapDirectory();
const events: Array<{ id: string; event: QueueEvent }> = [];
let unsubscribe: () => Promise<void>;
const engines: QueueEngine[] = [];

function engine(): QueueEngine {
  const e = new QueueEngine({ store, directory, signer, logger, timing, discoverIntervalMs: 100 });
  engines.push(e);
  return e;
}

async function fill(p: Promotion, n: number): Promise<string[]> {
  await store.drawPrequeue(p.id);
  const ids = Array.from({ length: n }, () => randomUUID());
  for (const s of ids) await store.join(p.id, s, { now: Date.now(), phase: 'open', drawKey: 0 });
  return ids;
}

const admittedEvents = (id: string) => events.flatMap((e) => (e.id === id && e.event.kind === 'admitted' ? e.event.admissions : []));

beforeAll(async () => {
  redis = createRedis(testServers().redisUrl);
  sub = createRedis(testServers().redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: false });
  store = createRedisQueueStore(redis, { keyPrefix: prefix, subscriber: sub });
  signer = await createTestSigner();
  unsubscribe = await store.subscribe((id, event) => events.push({ id, event }));
  // The subscription is live before any test relies on it.
  await waitFor(
    async () => {
      await store.publish('probe', { kind: 'drawn', at: 0 });
      return events.some((e) => e.id === 'probe');
    },
    { intervalMs: 100, what: 'pub/sub probe' },
  );
});

afterAll(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  await unsubscribe();
  await deleteKeys(redis, prefix);
  redis.disconnect();
  sub.disconnect();
});

describe('admission', () => {
  it('admits each shopper once, in ticket order, with a verifiable JWT, even with two admitters and repeated joins', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 400, maxActiveShoppers: 10_000 }));
    const shoppers = await fill(p, 300);
    const a = engine();
    const b = engine();
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.ensure(p.id), b.ensure(p.id)]);
    // Meanwhile every shopper re-joins (refresh, second tab) several times at once.
    await Promise.all(shoppers.flatMap((s) => [1, 2, 3].map(() => store.join(p.id, s, { now: Date.now(), phase: 'open', drawKey: 0 }))));
    await waitFor(async () => (await redis.hlen(`${prefix}:wr:{${p.id}}:tokens`)) === 300, { timeoutMs: 10_000, what: 'all admitted' });
    await sleep(300);
    const notices = admittedEvents(p.id);
    expect(notices).toHaveLength(300); // no double admission
    expect(new Set(notices.map((n) => n.shopperId)).size).toBe(300);
    expect(notices.map((n) => n.shopperId)).toEqual(shoppers); // ticket order
    const times = notices.map((n) => n.admittedAt as number);
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] as number))).toBe(true); // admitted in that order
    expect([a.isLeaderOf(p.id), b.isLeaderOf(p.id)].filter(Boolean)).toHaveLength(1);
    const claims = await signer.verify(notices[0]?.token as string);
    expect(claims.sub).toBe(shoppers[0]);
    expect(claims.promotion_id).toBe(p.id);
    // Re-issuing returns the same token.
    const again = await store.join(p.id, shoppers[0] as string, { now: Date.now(), phase: 'open', drawKey: 0 });
    expect(again).toEqual({
      status: 'admitted',
      admission: { token: notices[0]?.token, expiresAt: notices[0]?.expiresAt, admittedAt: notices[0]?.admittedAt },
    });
    await Promise.all([a.stop(), b.stop()]);
  });

  it('never has more live admissions than the cap, and admits more as tokens expire', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 500, maxActiveShoppers: 15, tokenTtlSeconds: 1 }));
    await fill(p, 60);
    const e = engine();
    await e.start();
    await e.ensure(p.id);
    let maxActive = 0;
    const deadline = Date.now() + 3_500;
    while (Date.now() < deadline) {
      const f = await store.readTick(p.id, Date.now(), { maxBuckets: 1, minBucketSize: 1 });
      maxActive = Math.max(maxActive, f.active);
      await sleep(20);
    }
    const admitted = admittedEvents(p.id).length;
    expect(maxActive).toBe(15);
    expect(admitted).toBeGreaterThan(15); // tokens of 1 s expired and made room
    expect(admitted).toBeLessThanOrEqual(15 * 5);
    await e.stop();
  });

  it('holds admission while paused, keeping the line, and resumes', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 200, paused: true }));
    await fill(p, 20);
    const e = engine();
    await e.start();
    await e.ensure(p.id);
    await waitFor(() => events.some((x) => x.id === p.id && x.event.kind === 'tick' && x.event.tick.state === 'paused'), {
      what: 'paused tick',
    });
    await sleep(300);
    expect(admittedEvents(p.id)).toHaveLength(0);
    directory.update(p.id, { paused: false });
    await waitFor(() => admittedEvents(p.id).length === 20, { what: 'admitted after resume' });
    await e.stop();
  });
});

describe('leader failover', () => {
  it('another node takes over within 2 s when the admitter dies, and the pace continues', async () => {
    const rate = 20;
    const p = directory.put(makePromotion({ admissionRatePerSec: rate, maxActiveShoppers: 10_000 }));
    await fill(p, 400);
    const a = engine();
    await a.start();
    await a.ensure(p.id);
    await waitFor(() => a.isLeaderOf(p.id), { what: 'a leads' });
    const b = engine();
    await b.start();
    await b.ensure(p.id);
    await sleep(1_000);
    expect(b.isLeaderOf(p.id)).toBe(false);
    const beforeCrash = admittedEvents(p.id).length;
    expect(beforeCrash).toBeGreaterThan(0);
    const crashedAt = Date.now();
    await a.halt(); // dies without giving the lease up
    await waitFor(() => b.isLeaderOf(p.id), { timeoutMs: 2_000, intervalMs: 10, what: 'b takes over' });
    const tookOverMs = Date.now() - crashedAt;
    expect(tookOverMs).toBeLessThan(2_000);
    const atTakeover = admittedEvents(p.id).length;
    await sleep(2_000);
    const paced = admittedEvents(p.id).length - atTakeover;
    // 2 s at 20/s: the new admitter keeps the configured pace (±1 step of timer slack).
    expect(paced).toBeGreaterThanOrEqual(2 * rate - 3);
    expect(paced).toBeLessThanOrEqual(2 * rate + 3);
    await b.stop();
  });
});

describe('sold out and grace', () => {
  it('tells every waiting shopper at once when stock sells out, and stops admitting', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 5 }));
    await fill(p, 50);
    const e = engine();
    await e.start();
    await e.ensure(p.id);
    await waitFor(() => admittedEvents(p.id).length > 0, { what: 'first admission' });
    e.onStockStatus({ promotionId: p.id, available: 0, held: 0, confirmed: 100, soldOut: true, at: Date.now() });
    await waitFor(() => events.some((x) => x.id === p.id && x.event.kind === 'tick' && x.event.tick.state === 'sold_out'), {
      what: 'sold_out tick',
      timeoutMs: 1_000,
    });
    const n = admittedEvents(p.id).length;
    await sleep(600);
    expect(admittedEvents(p.id).length).toBe(n);
    expect((await store.meta(p.id)).soldOut).toBe(true);
    await e.stop();
  });

  it('closes the line when the window ends: admission stops and the closed state is broadcast', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 5, windowEnd: new Date(Date.now() + 1_000) }));
    await fill(p, 50);
    const e = engine();
    await e.start();
    await e.ensure(p.id);
    await waitFor(() => events.some((x) => x.id === p.id && x.event.kind === 'tick' && x.event.tick.state === 'closed'), {
      what: 'closed tick',
      timeoutMs: 3_000,
    });
    const n = admittedEvents(p.id).length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(8); // ~1 s at 5/s
    await sleep(500);
    expect(admittedEvents(p.id).length).toBe(n);
    await e.stop();
  });

  it('removes shoppers unseen for longer than the grace period', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 0.001, graceSeconds: 1 }));
    const [gone, kept] = await fill(p, 2);
    const e = engine();
    await e.start();
    await e.ensure(p.id);
    const until = Date.now() + 1_800;
    while (Date.now() < until) {
      await store.touch(p.id, [kept as string], Date.now());
      await sleep(200);
    }
    expect(await store.ticketsOf(p.id, [gone as string, kept as string])).toEqual([null, 2]);
    await e.stop();
  });
});

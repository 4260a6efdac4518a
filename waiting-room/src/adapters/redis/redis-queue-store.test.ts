import { randomInt, randomUUID } from 'node:crypto';
import { createRedis } from '@flashgate/shared/clients';
import { testServers, uniqueName } from '@flashgate/shared/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueStore } from '../../domain/queue-store.js';
import { deleteKeys } from '../../ws/queue-test-kit.js';
import { queueKeys } from './queue-keys.js';
import { createRedisQueueStore } from './redis-queue-store.js';

let redis: Redis;
let store: QueueStore;
const prefix = uniqueName('wrs');

beforeAll(() => {
  redis = createRedis(testServers().redisUrl);
  store = createRedisQueueStore(redis, { keyPrefix: prefix });
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

const drawKey = () => randomInt(2 ** 47);

/** Pearson correlation of two equal-length series. */
function correlation(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('fairness', () => {
  it('shuffles the pre-queue at the draw, then serves later joiners first-come-first-served', async () => {
    const id = uniqueName('p');
    const now = Date.now();
    const pre = Array.from({ length: 2_000 }, (_, i) => `pre-${i}`);
    // Joined in this order, 50 at a time concurrently (as many sockets would).
    for (let i = 0; i < pre.length; i += 50) {
      const outcomes = await Promise.all(
        pre.slice(i, i + 50).map((s) => store.join(id, s, { now, phase: 'prequeue', drawKey: drawKey() })),
      );
      for (const o of outcomes) expect(o.status).toBe('prequeue');
    }
    // The window opens: a join now must wait for the draw, which runs once.
    expect((await store.join(id, 'early-bird', { now, phase: 'open', drawKey: drawKey() })).status).toBe('need_draw');
    expect(await store.drawPrequeue(id)).toBe(2_000);
    expect(await store.drawPrequeue(id)).toBe(-1);

    const post = Array.from({ length: 500 }, (_, i) => `post-${i}`);
    const postTickets: number[] = [];
    for (const s of post) {
      const o = await store.join(id, s, { now, phase: 'open', drawKey: drawKey() });
      if (o.status !== 'waiting') throw new Error(`unexpected ${o.status}`);
      postTickets.push(o.ticket);
    }

    const tickets = await store.ticketsOf(id, pre);
    // Every pre-queue shopper got exactly one of the first 2,000 tickets…
    expect(new Set(tickets).size).toBe(2_000);
    expect(Math.min(...(tickets as number[]))).toBe(1);
    expect(Math.max(...(tickets as number[]))).toBe(2_000);
    // …in an order unrelated to the join order. For a uniform permutation of 2,000 the correlation
    // has sd ≈ 0.022 and the share of ascending neighbours ≈ 0.5 ± 0.0065: both bounds are > 4 sd.
    const joinIndex = pre.map((_, i) => i);
    expect(Math.abs(correlation(joinIndex, tickets as number[]))).toBeLessThan(0.1);
    const byTicket = [...pre.keys()].sort((a, b) => (tickets[a] as number) - (tickets[b] as number));
    let ascents = 0;
    for (let i = 1; i < byTicket.length; i++) if ((byTicket[i] as number) > (byTicket[i - 1] as number)) ascents++;
    expect(ascents / (byTicket.length - 1)).toBeGreaterThan(0.45);
    expect(ascents / (byTicket.length - 1)).toBeLessThan(0.55);
    // After the draw: strictly first-come-first-served, right behind the pre-queue.
    expect(postTickets).toEqual(post.map((_, i) => 2_001 + i));
  });

  it('gives one place per shopper however many times and places they join from at once', async () => {
    const id = uniqueName('p');
    await store.drawPrequeue(id);
    const shopper = randomUUID();
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () => store.join(id, shopper, { now: Date.now(), phase: 'open', drawKey: drawKey() })),
    );
    const tickets = new Set(outcomes.map((o) => (o.status === 'waiting' ? o.ticket : -1)));
    expect([...tickets]).toEqual([1]);
    expect((await store.readTick(id, Date.now(), { maxBuckets: 10, minBucketSize: 10 })).waiting).toBe(1);
  });
});

describe('tick figures', () => {
  it('counts the tickets that left per bucket after the head, so clients compute exact positions', async () => {
    const id = uniqueName('p');
    await store.drawPrequeue(id);
    for (let i = 0; i < 100; i++) await store.join(id, `s${i}`, { now: Date.now(), phase: 'open', drawKey: 0 });
    // s0..s9 leave (below the future head), s50..s59 leave (ahead of the tail).
    for (let i = 0; i < 10; i++) await store.leave(id, `s${i}`);
    for (let i = 50; i < 60; i++) await store.leave(id, `s${i}`);
    const f = await store.readTick(id, Date.now(), { maxBuckets: 10, minBucketSize: 10 });
    expect(f.head).toBe(10); // tickets 1-10 left; the first waiting is ticket 11
    expect(f.waiting).toBe(80);
    expect(f.bucketSize).toBe(10);
    expect(f.gone).toEqual([0, 0, 0, 0, 10, 0, 0, 0, 0]);
  });

  it('expires only shoppers unseen since the cutoff', async () => {
    const id = uniqueName('p');
    await store.drawPrequeue(id);
    await store.join(id, 'old', { now: 1_000, phase: 'open', drawKey: 0 });
    await store.join(id, 'fresh', { now: 5_000, phase: 'open', drawKey: 0 });
    await store.touch(id, ['old'], 2_000);
    expect(await store.expireUnseen(id, 3_000, 100)).toEqual(['old']);
    expect(await store.ticketsOf(id, ['old', 'fresh'])).toEqual([null, 2]);
  });
});

describe('admitter lease', () => {
  it('is held by one owner at a time, with a new fencing number per acquisition', async () => {
    const id = uniqueName('p');
    const a = await store.acquireLease(id, 'a', 500);
    expect(a).toMatch(/^a\|\d+$/);
    expect(await store.acquireLease(id, 'b', 500)).toBeNull();
    expect(await store.acquireLease(id, 'a', 500)).toBe(a);
    await store.releaseLease(id, a as string);
    const b = await store.acquireLease(id, 'b', 500);
    expect(b).not.toBeNull();
    expect(Number(b?.split('|')[1])).toBeGreaterThan(Number(a?.split('|')[1]));
    // The former holder's admit is refused.
    await store.drawPrequeue(id);
    await store.join(id, 'x', { now: Date.now(), phase: 'open', drawKey: 0 });
    const cand = [{ shopperId: 'x', expiresAtMs: Date.now() + 60_000, admission: { token: 't', expiresAt: 'e' } }];
    expect(await store.admit(id, a as string, Date.now(), 10, cand)).toBe('fenced');
    expect(await store.admit(id, b as string, Date.now(), 10, cand)).toEqual(['x']);
    expect(await store.admit(id, b as string, Date.now(), 10, cand)).toEqual([]);
  });
});

describe('joins batched into one pipeline per event-loop turn', () => {
  it('gives each of many same-turn joins its own answer: distinct consecutive tickets, exact ahead counts, repeats idempotent', async () => {
    const id = uniqueName('p');
    const now = Date.now();
    await store.join(id, 'first', { now, phase: 'prequeue', drawKey: drawKey() });
    await store.drawPrequeue(id);
    const shoppers = Array.from({ length: 200 }, (_, i) => `s-${i}`);
    // One synchronous loop: all 200 calls land in the same turn, so they travel in one pipeline.
    const outcomes = await Promise.all(shoppers.map((s) => store.join(id, s, { now, phase: 'open', drawKey: drawKey() })));
    const tickets = outcomes.map((o) => (o.status === 'waiting' ? o.ticket : -1));
    expect(tickets).toEqual(shoppers.map((_, i) => i + 2)); // in call order, after the pre-queue's ticket 1
    expect(outcomes.map((o) => (o.status === 'waiting' ? o.ahead : -1))).toEqual(shoppers.map((_, i) => i + 1));
    const again = await Promise.all(shoppers.map((s) => store.join(id, s, { now, phase: 'open', drawKey: drawKey() })));
    expect(again.map((o) => (o.status === 'waiting' ? o.ticket : -1))).toEqual(tickets);
  });

  it('a failing join in a batch fails alone', async () => {
    const broken = uniqueName('p');
    const fine = uniqueName('p');
    const now = Date.now();
    // The join script reads `tokens` as a hash: a string there makes Redis refuse that one script call.
    await redis.set(queueKeys(prefix).forPromotion(broken).tokens, 'not a hash');
    const [bad, good] = await Promise.allSettled([
      store.join(broken, 'x', { now, phase: 'prequeue', drawKey: drawKey() }),
      store.join(fine, 'y', { now, phase: 'prequeue', drawKey: drawKey() }),
    ]);
    expect(bad.status).toBe('rejected');
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(good).toEqual({ status: 'fulfilled', value: { status: 'prequeue' } });
  });
});

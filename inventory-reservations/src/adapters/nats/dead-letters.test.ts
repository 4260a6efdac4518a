import { waitFor } from '@flashgate/shared/testing';
import { headers } from '@nats-io/transport-node';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { type Fixture, startFixture } from '../../test-support.js';
import type { OrdersConsumer } from './orders-consumer.js';
import { deadLetterHeader } from './dead-letters.js';
import { ordersStreamConfig } from './streams.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const P = 'dlq';

const order = (i: number, quantity = 1) => ({
  holdId: `h${i}`,
  orderId: `o${i}`,
  promotionId: P,
  shopperId: `s${i}`,
  lines: [{ sku: 'HOT', quantity, unitPriceCents: 100 }],
  amountCents: 100 * quantity,
  paymentReference: 'p',
  confirmedAt: new Date().toISOString(),
});

describe('dead-lettered orders: list and replay', () => {
  let f: Fixture;
  let consumer: OrdersConsumer;
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    f = await startFixture({ ORDERS_NAK_DELAY_MS: '100' }, { ordersConsumer: false });
    consumer = await f.consumeOrders();
    app = buildApp({ ...f.inv, inventory: f.inv });
    await f.apply(f.snapshot({ promotionId: P, products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 3, perShopperLimit: 9 }] }));
  });
  afterAll(async () => {
    await consumer?.stop();
    await f?.close();
  });

  const get = async (query = '') => {
    const res = await app.request(`/admin/dead-letters${query}`, { headers: auth });
    return { status: res.status, body: (await res.json()) as any };
  };
  const replay = async (seq: number | string) => {
    const res = await app.request(`/admin/dead-letters/${seq}/replay`, { method: 'POST', headers: auth });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
  };
  const replayAll = async (query = '') => {
    const res = await app.request(`/admin/dead-letters/replay${query}`, { method: 'POST', headers: auth });
    return { status: res.status, body: (await res.json()) as any };
  };
  const drained = async () => {
    const info = await f.running.jsm.consumers.info(f.inv.names.streams.orders, f.inv.names.consumers.ordersToPostgres);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };
  const rows = async () => {
    const r = await sql<{ hold_id: string }>`select hold_id from orders where promotion_id = ${P} order by 1`.execute(f.inv.db);
    return r.rows.map((x) => x.hold_id);
  };
  const confirmedInLedger = async () =>
    (await sql<{ confirmed: number }>`select confirmed from stock_ledger where promotion_id = ${P}`.execute(f.inv.db)).rows[0]?.confirmed;
  /** A dead letter as the consumer writes it, for an order that may or may not be in Postgres. */
  const deadLetter = async (body: string, msgId?: string) => {
    const h = headers();
    h.set(deadLetterHeader.reason, 'rejected');
    if (msgId) {
      h.set(deadLetterHeader.originalMsgId, msgId);
      h.set(deadLetterHeader.originalSubject, f.inv.names.subjects.orderConfirmed(P));
    }
    return (await f.running.js.publish(f.inv.names.subjects.orderDeadLetter, body, { headers: h })).seq;
  };

  it('lists what the consumer dead-lettered, with reason, ids and where a replay would go; pages and filters', async () => {
    const subject = f.inv.names.subjects.orderConfirmed(P);
    await f.running.js.publish(subject, JSON.stringify(order(1)), { msgID: 'h1' });
    await f.running.js.publish(subject, JSON.stringify(order(2, 5)), { msgID: 'h2' }); // more than the stock: refused
    await f.running.js.publish(subject, 'not json', { msgID: 'bad-json' });
    await waitFor(async () => (await get()).body.deadLetters?.length === 2 && (await drained()), { timeoutMs: 10_000, what: 'dead' });
    expect(await rows()).toEqual(['h1']);

    expect((await app.request('/admin/dead-letters')).status).toBe(401);
    const { status, body } = await get();
    expect(status).toBe(200);
    expect(body.nextAfter).toBeNull();
    // Which comes first depends on how the consumer batched them (a malformed one is dead-lettered while parsing).
    const refused = body.deadLetters.find((d: any) => d.reason === 'rejected');
    const malformed = body.deadLetters.find((d: any) => d.reason === 'malformed');
    const [firstSeq, secondSeq] = body.deadLetters.map((d: any) => d.seq);
    expect(refused).toMatchObject({
      reason: 'rejected',
      holdId: 'h2',
      orderId: 'o2',
      promotionId: P,
      originalSubject: subject,
      replay: { subject, msgId: 'h2' },
    });
    expect(refused.detail).toMatch(/ledger refused/);
    expect(malformed).toMatchObject({ reason: 'malformed', holdId: null, payload: 'not json', replay: { subject, msgId: 'bad-json' } });
    expect((await get('?reason=rejected')).body.deadLetters.map((d: any) => d.seq)).toEqual([refused.seq]);
    expect(firstSeq).toBeLessThan(secondSeq);
    expect((await get('?limit=1')).body).toMatchObject({ deadLetters: [{ seq: firstSeq }], nextAfter: firstSeq });
    expect((await get(`?limit=1&after=${firstSeq}`)).body).toMatchObject({ deadLetters: [{ seq: secondSeq }], nextAfter: null });
    expect((await get(`?after=${secondSeq}`)).body).toEqual({ deadLetters: [], nextAfter: null });

    for (const q of ['?limit=0', '?limit=501', '?limit=abc', '?after=-1', '?after=1.5', '?reason=nope']) {
      const bad = await get(q);
      expect(bad.status, q).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('keeps a replay inside the dedup window out (409, dead letter kept), and replays once the cause is fixed and the window passed', async () => {
    const [refused] = (await get('?reason=rejected')).body.deadLetters;
    for (const seq of ['abc', '0', '-1', '1e3']) expect((await replay(seq)).status, seq).toBe(400);
    expect(await replay(999_999)).toMatchObject({ status: 404, body: { error: { code: 'DEAD_LETTER_NOT_FOUND' } } });
    expect((await app.request(`/admin/dead-letters/${refused.seq}/replay`, { method: 'POST' })).status).toBe(401);

    const early = await replay(refused.seq);
    expect(early).toMatchObject({
      status: 409,
      retryAfter: '120',
      body: { error: { code: 'REPLAY_DEDUPLICATED', details: { msgId: 'h2' } } },
    });
    expect((await get()).body.deadLetters).toHaveLength(2);

    // The operator fixes the cause (more stock). The window is shortened here so the test need not wait 2 minutes.
    await f.apply(
      f.snapshot({ promotionId: P, version: 2, products: [{ sku: 'HOT', name: 'Hot', priceCents: 100, stock: 10, perShopperLimit: 9 }] }),
    );
    await f.running.jsm.streams.update(f.inv.names.streams.orders, ordersStreamConfig(f.inv.names, 1_000));
    const done = await waitFor(async () => ((await replay(refused.seq)).status === 200 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'replayed after the window',
    });
    expect(done).toBe(true);
    await waitFor(async () => (await rows()).length === 2 && (await drained()), { timeoutMs: 10_000, what: 'persisted' });
    expect(await rows()).toEqual(['h1', 'h2']);
    expect(await confirmedInLedger()).toBe(6);
    expect((await get('?reason=rejected')).body.deadLetters).toEqual([]);
    expect((await replay(refused.seq)).status).toBe(404); // gone from the dead letters
  });

  it('never writes an order twice, however often it is replayed (Postgres already has it, concurrent replay-alls)', async () => {
    const dupBefore = await f.inv.metrics.registry.getSingleMetricAsString('inventory_orders_duplicate_total');
    // h1 and h2 are in Postgres; their dead letters stand for stale copies. h5 is new.
    for (const [i, q] of [
      [1, 1],
      [2, 5],
      [2, 5],
      [5, 2],
    ] as const) {
      await deadLetter(JSON.stringify(order(i, q)), `h${i}`);
    }
    const notReplayable = await deadLetter('garbage');
    await waitFor(async () => (await get('?reason=rejected')).body.deadLetters.length === 5, { what: 'dead letters stored' });

    const [a, b] = await Promise.all([replayAll('?reason=rejected'), replayAll('?reason=rejected')]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.notReplayable).toEqual([notReplayable]);
    // Whatever a dedup window kept back is replayed on a later try: keep going until nothing is left.
    await waitFor(
      async () => {
        await replayAll('?reason=rejected');
        return (await get('?reason=rejected')).body.deadLetters.length === 1;
      },
      { timeoutMs: 15_000, what: 'all replayed' },
    );
    await waitFor(async () => (await rows()).length === 3 && (await drained()), { timeoutMs: 10_000, what: 'persisted' });
    expect(await rows()).toEqual(['h1', 'h2', 'h5']);
    expect(await confirmedInLedger()).toBe(8);
    expect(await f.inv.metrics.registry.getSingleMetricAsString('inventory_orders_duplicate_total')).not.toBe(dupBefore);

    expect(await replay(notReplayable)).toMatchObject({ status: 409, body: { error: { code: 'DEAD_LETTER_NOT_REPLAYABLE' } } });
    expect(await f.inv.metrics.registry.getSingleMetricAsString('inventory_dead_letters_replayed_total')).toMatch(
      /result="replayed"[^}]*\} [1-9]/,
    );
  });

  it('leaves a message whose cause is not fixed to be dead-lettered again, without looping on it', async () => {
    const [malformed] = (await get('?reason=malformed')).body.deadLetters;
    const r = await replayAll('?reason=malformed');
    expect(r.body.replayed).toEqual([malformed.seq]);
    const again = await waitFor(async () => (await get('?reason=malformed')).body.deadLetters[0], {
      timeoutMs: 10_000,
      what: 'dead again',
    });
    expect(again).toMatchObject({ reason: 'malformed', replay: { msgId: 'bad-json' } });
    expect(again.seq).toBeGreaterThan(malformed.seq);
    expect(await rows()).toEqual(['h1', 'h2', 'h5']);
  });
});

import { natsNames, positionFromTick } from '@flashgate/shared/contracts';
import { waitFor } from '@flashgate/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVisitorTokens } from '../domain/queue-visitor-token.js';
import { CloseCode } from './queue-close-codes.js';
import {
  createTestSigner,
  deleteKeys,
  MapDirectory,
  makePromotion,
  type QueueNode,
  sleep,
  startQueueNode,
  TestSocket,
  type TestSigner,
  testConfig,
} from './queue-test-kit.js';

const ORIGIN = 'https://shop.example';
const directory = new MapDirectory();
let signer: TestSigner;
let a: QueueNode;
let b: QueueNode;
let strict: QueueNode;

type Welcome = { type: 'welcome'; ticket: number | null; state: string; ahead: number | null; visitorToken: string; shopperId: string };

async function join(node: QueueNode, promotionId: string, visitorToken?: string) {
  const s = await TestSocket.open(node.wsUrl(promotionId));
  s.send({ type: 'hello', ...(visitorToken ? { visitorToken } : {}) });
  const welcome = await s.next<Welcome>('welcome');
  return { s, welcome };
}

beforeAll(async () => {
  signer = await createTestSigner();
  const shared = testConfig({
    ALLOWED_ORIGINS: ORIGIN,
    QUEUE_PRESENCE_MS: '200',
    QUEUE_SWEEP_MS: '200',
    QUEUE_TICK_MS: '300',
    QUEUE_ADMIT_INTERVAL_MS: '50',
    QUEUE_LEASE_TTL_MS: '1000',
    JOIN_RATE_PER_IP: '1000',
    JOIN_BURST_PER_IP: '1000',
  });
  a = await startQueueNode({ config: shared, directory, signer });
  b = await startQueueNode({ config: shared, directory, signer }); // a second node on the same Redis
  strict = await startQueueNode({
    config: testConfig({ WS_MAX_CONNECTIONS_PER_IP: '3', JOIN_RATE_PER_IP: '0.01', JOIN_BURST_PER_IP: '2', WS_HELLO_TIMEOUT_MS: '300' }),
    directory,
    signer,
  });
});

afterAll(async () => {
  for (const n of [a, b, strict]) {
    await deleteKeys(n.redis, n.config.REDIS_KEY_PREFIX);
    await n.close();
  }
});

describe('joining over WebSocket', () => {
  it('welcomes a new shopper with a ticket and live ticks, and keeps the one place on refresh, a second tab and another node', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 0.01 }));
    const first = await join(a, p.id);
    expect(first.welcome).toMatchObject({ type: 'welcome', promotionId: p.id, ticket: 1, state: 'waiting', ahead: 0 });
    const second = await join(a, p.id);
    expect(second.welcome).toMatchObject({ ticket: 2, ahead: 1 });
    type Tick = Parameters<typeof positionFromTick>[1] & { state: string; waiting: number; at: number };
    let tick = await second.s.next<Tick & { type: 'tick' }>('tick');
    while (tick.waiting < 2) tick = await second.s.next<Tick & { type: 'tick' }>('tick'); // the one sent at join may predate it
    expect(tick).toMatchObject({ state: 'waiting', admittedThrough: 0, waiting: 2 });
    expect(positionFromTick(2, tick)).toBe(1);
    expect(Math.abs(Date.now() - tick.at)).toBeLessThan(2_000);

    const tab = await join(a, p.id, second.welcome.visitorToken); // second tab, same node
    const other = await join(b, p.id, second.welcome.visitorToken); // reconnect on another node
    for (const w of [tab.welcome, other.welcome]) expect(w).toMatchObject({ ticket: 2, ahead: 1, shopperId: second.welcome.shopperId });
    await Promise.all([first.s, second.s, tab.s, other.s].map((s) => s.close()));
  });

  it('keeps pre-queue shoppers without a ticket until the window opens, then sends each its drawn ticket', async () => {
    const p = directory.put(makePromotion({ windowStart: new Date(Date.now() + 1_200), admissionRatePerSec: 0.01 }));
    const joined = await Promise.all([join(a, p.id), join(b, p.id), join(a, p.id)]);
    for (const j of joined) expect(j.welcome).toMatchObject({ state: 'prequeue', ticket: null, ahead: null });
    const tickets = await Promise.all(joined.map((j) => j.s.next<{ ticket: number }>('ticket', 5_000)));
    expect(tickets.map((t) => t.ticket).sort()).toEqual([1, 2, 3]);
    const late = await join(a, p.id);
    expect(late.welcome).toMatchObject({ state: 'waiting', ticket: 4, ahead: 3 });
    await Promise.all([...joined.map((j) => j.s), late.s].map((s) => s.close()));
  });

  it('sends the admitted shopper a verifiable admission JWT, the same one again on reconnect', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 20 }));
    const { s, welcome } = await join(a, p.id);
    const admitted = await s.next<{ admissionToken: string; expiresAt: string; at: number }>('admitted', 5_000);
    const claims = await signer.verify(admitted.admissionToken);
    expect(claims).toMatchObject({ sub: welcome.shopperId, promotion_id: p.id, iss: 'waiting-room', aud: 'order-gateway' });
    expect(new Date(admitted.expiresAt).getTime()).toBe((claims.exp as number) * 1000);
    await s.close();
    const again = await join(b, p.id, welcome.visitorToken);
    expect(again.welcome).toMatchObject({ state: 'admitted', ahead: 0 });
    // The same admission: same token, and `at` is still the moment of admission.
    expect(await again.s.next<{ admissionToken: string; at: number }>('admitted')).toMatchObject({
      admissionToken: admitted.admissionToken,
      at: admitted.at,
    });
    await again.s.close();
  });

  it('keeps the place of a shopper who reconnects within the grace period, and gives it up after', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 0.01, graceSeconds: 1 }));
    const ahead = await join(a, p.id); // ticket 1, stays connected throughout
    const { s, welcome } = await join(a, p.id);
    expect(welcome.ticket).toBe(2);
    s.kill();
    await sleep(400);
    const back = await join(b, p.id, welcome.visitorToken);
    expect(back.welcome).toMatchObject({ ticket: 2, ahead: 1 });
    back.s.kill();
    await sleep(2_000); // > 1 s grace, plus the sweeper's period
    const late = await join(a, p.id, welcome.visitorToken);
    expect(late.welcome.shopperId).toBe(welcome.shopperId);
    expect(late.welcome.ticket).toBe(3); // back of the line
    expect(late.welcome.ahead).toBe(1); // only the shopper who stayed connected
    await Promise.all([ahead.s.close(), late.s.close()]);
  });

  it('tells every waiting shopper at once when stock sells out (inventory event over NATS)', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 0.01 }));
    const sockets = await Promise.all([join(a, p.id), join(b, p.id)]);
    await waitFor(() => a.runtime.hub.latestTick(p.id) && b.runtime.hub.latestTick(p.id), { what: 'first ticks' });
    const subject = natsNames(a.config.NATS_SUBJECT_PREFIX).subjects.stockStatus(p.id);
    a.nc.publish(subject, JSON.stringify({ promotionId: p.id, available: 0, held: 0, confirmed: 100, soldOut: true, at: Date.now() }));
    for (const { s } of sockets) {
      await waitFor(async () => (await s.next<{ state: string }>('tick', 2_000)).state === 'sold_out', { what: 'sold_out tick' });
      expect((await s.closed).code).toBe(CloseCode.NORMAL);
    }
    const after = await join(a, p.id);
    expect(after.welcome).toMatchObject({ state: 'sold_out', ticket: null });
    await after.s.close();
  });
});

describe('bad input', () => {
  const openPromo = () => directory.put(makePromotion({ admissionRatePerSec: 0.01 }));

  async function expectError(s: TestSocket, code: string, closeCode?: number) {
    const err = await s.next<{ code: string; message: string }>('error');
    expect(err.code).toBe(code);
    expect(err.message.length).toBeGreaterThan(0);
    if (closeCode !== undefined) expect((await s.closed).code).toBe(closeCode);
  }

  it('answers malformed JSON, unknown frame types and invalid frames with precise error frames and stays up', async () => {
    const p = openPromo();
    const s = await TestSocket.open(a.wsUrl(p.id));
    s.send('{not json');
    await expectError(s, 'MALFORMED_JSON');
    s.send({ type: 'subscribe' });
    await expectError(s, 'UNKNOWN_FRAME_TYPE');
    s.send({ type: 'hello', visitorToken: 42 });
    await expectError(s, 'INVALID_FRAME');
    s.send({ type: 'ping' });
    expect((await s.next('pong')).type).toBe('pong');
    s.send({ type: 'hello' });
    expect((await s.next<Welcome>('welcome')).ticket).toBe(1);
    s.send({ type: 'hello' });
    await expectError(s, 'ALREADY_JOINED');
    await s.close();
  });

  it('closes a socket that keeps sending bad frames, and one that speaks before hello', async () => {
    const p = openPromo();
    const s = await TestSocket.open(a.wsUrl(p.id));
    for (let i = 0; i < 6; i++) s.send('nope');
    expect((await s.closed).code).toBe(CloseCode.POLICY);
    const t = await TestSocket.open(a.wsUrl(p.id));
    t.send({ type: 'leave' });
    await expectError(t, 'HELLO_REQUIRED', CloseCode.POLICY);
  });

  it('closes on an oversize message (1009)', async () => {
    const p = openPromo();
    const s = await TestSocket.open(a.wsUrl(p.id));
    s.send({ type: 'hello', visitorToken: 'x'.repeat(5_000) });
    expect((await s.closed).code).toBe(CloseCode.TOO_BIG);
  });

  it('rejects forged, expired and other-promotion visitor tokens (4401)', async () => {
    const p = openPromo();
    const { welcome, s: ok } = await join(a, p.id);
    await ok.close();
    const [payload] = welcome.visitorToken.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ s: 'victim', p: p.id, iat: 1, exp: 9_999_999_999 })).toString('base64url');
    const sig = welcome.visitorToken.split('.')[1];
    const cases: Array<[string, string]> = [
      [`${forgedBody}.${sig}`, 'VISITOR_TOKEN_INVALID'],
      [`${payload}.AAAA`, 'VISITOR_TOKEN_INVALID'],
      [createVisitorTokens(a.config.VISITOR_TOKEN_SECRET as string, 60).issue(p.id, Date.now() - 61_000).token, 'VISITOR_TOKEN_EXPIRED'],
      [createVisitorTokens(a.config.VISITOR_TOKEN_SECRET as string, 60).issue('another').token, 'VISITOR_TOKEN_WRONG_PROMOTION'],
    ];
    for (const [token, code] of cases) {
      const s = await TestSocket.open(a.wsUrl(p.id));
      s.send({ type: 'hello', visitorToken: token });
      await expectError(s, code, CloseCode.UNAUTHORIZED);
    }
  });

  it('rejects unknown and not-yet-open promotions', async () => {
    const s = await TestSocket.open(a.wsUrl('no-such-promo'));
    s.send({ type: 'hello' });
    await expectError(s, 'PROMOTION_NOT_FOUND', CloseCode.NOT_FOUND);
    const later = directory.put(
      makePromotion({ prequeueOpensAt: new Date(Date.now() + 60_000), windowStart: new Date(Date.now() + 120_000) }),
    );
    const t = await TestSocket.open(a.wsUrl(later.id));
    t.send({ type: 'hello' });
    await expectError(t, 'PROMOTION_NOT_OPEN', CloseCode.NOT_OPEN);
  });

  it('refuses the upgrade for a disallowed origin, a bad path and a malformed promotion id', async () => {
    const p = openPromo();
    await expect(TestSocket.open(a.wsUrl(p.id), { origin: 'https://evil.example' })).rejects.toMatchObject({
      status: 403,
      body: { error: { code: 'ORIGIN_NOT_ALLOWED' } },
    });
    const allowed = await TestSocket.open(a.wsUrl(p.id), { origin: ORIGIN });
    await allowed.close();
    await expect(TestSocket.open(a.wsUrl(p.id).replace('/ws', '/socket'))).rejects.toMatchObject({ status: 404 });
    await expect(TestSocket.open(a.wsUrl('bad%20id'))).rejects.toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED' } },
    });
  });

  it('caps connections per client address (429 at upgrade), rate-limits joins (4429) and times out a silent socket (4408)', async () => {
    const p = openPromo();
    const open = await Promise.all([1, 2, 3].map(() => TestSocket.open(strict.wsUrl(p.id))));
    await expect(TestSocket.open(strict.wsUrl(p.id))).rejects.toMatchObject({
      status: 429,
      body: { error: { code: 'TOO_MANY_CONNECTIONS' } },
    });
    // Join burst of 2 per address: the third hello is refused.
    open[0]?.send({ type: 'hello' });
    open[1]?.send({ type: 'hello' });
    await open[0]?.next('welcome');
    await open[1]?.next('welcome');
    open[2]?.send({ type: 'hello' });
    await expectError(open[2] as TestSocket, 'RATE_LIMITED', CloseCode.RATE_LIMITED);
    // A freed slot can be used again; a socket that never says hello is closed.
    const silent = await waitFor(() => TestSocket.open(strict.wsUrl(p.id)), { what: 'a freed slot' });
    await expectError(silent, 'HELLO_TIMEOUT', CloseCode.HELLO_TIMEOUT);
    await Promise.all([open[0]?.close(), open[1]?.close()]);
  });
});

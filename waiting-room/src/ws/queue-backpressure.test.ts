import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  createTestSigner,
  deleteKeys,
  MapDirectory,
  makePromotion,
  type QueueNode,
  sleep,
  startQueueNode,
  TestSocket,
  testConfig,
} from './queue-test-kit.js';

const directory = new MapDirectory();
let node: QueueNode;

beforeAll(async () => {
  node = await startQueueNode({
    config: testConfig({
      QUEUE_TICK_MS: '100',
      WS_SOFT_BUFFER_BYTES: '65536',
      WS_HARD_BUFFER_BYTES: '67108864',
      WS_SLOW_CLOSE_MS: '800',
      WS_HEARTBEAT_MS: '1500',
    }),
    directory,
    signer: await createTestSigner(),
  });
});

afterAll(async () => {
  await deleteKeys(node.redis, node.config.REDIS_KEY_PREFIX);
  await node.close();
});

const droppedUpdates = async () => {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('wr_ws_dropped_updates_total'));
  return Number(line?.split(' ').pop() ?? 0);
};

it('skips ticks for a client that stopped reading, then closes it; other sockets keep getting ticks', async () => {
  const p = directory.put(makePromotion({ admissionRatePerSec: 0.01 }));
  const slow = await TestSocket.open(node.wsUrl(p.id));
  const healthy = await TestSocket.open(node.wsUrl(p.id));
  slow.send({ type: 'hello' });
  healthy.send({ type: 'hello' });
  const slowWelcome = await slow.next<{ shopperId: string }>('welcome');
  await healthy.next('welcome');
  // The slow client stops reading; the server fills the kernel buffers and its own.
  (slow.ws as unknown as { _socket: { pause: () => void } })._socket.pause();
  const conn = node.runtime.hub.connections(p.id).find((c) => c.shopperId === slowWelcome.shopperId);
  if (!conn) throw new Error('no server-side connection');
  const filler = JSON.stringify({ type: 'error', code: 'FILL', message: 'x'.repeat(1 << 20) });
  for (let i = 0; i < 16 && conn.ws.bufferedAmount < 1 << 20; i++) {
    node.runtime.hub.send(conn, filler, false);
    await sleep(20);
  }
  expect(conn.ws.bufferedAmount).toBeGreaterThan(65_536);
  const before = await droppedUpdates();
  const buffered = conn.ws.bufferedAmount;
  await sleep(400);
  expect(await droppedUpdates()).toBeGreaterThan(before); // ticks coalesced, not queued
  expect(conn.ws.bufferedAmount).toBe(buffered); // memory did not grow
  await sleep(800);
  expect(conn.ws.readyState).toBe(WebSocket.CLOSED); // stuck longer than WS_SLOW_CLOSE_MS
  const t = Date.now();
  let fresh = await healthy.next<{ at: number }>('tick');
  while (fresh.at < t) fresh = await healthy.next<{ at: number }>('tick', 1_000); // the healthy socket is still served live
  expect(fresh.at).toBeGreaterThanOrEqual(t);
  await healthy.close();
});

it('terminates a socket that stops answering pings (dead peer)', async () => {
  const p = directory.put(makePromotion({ admissionRatePerSec: 0.01 }));
  const ws = new WebSocket(node.wsUrl(p.id), { autoPong: false });
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'hello' }));
  const closed = await new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  expect(closed).toBe(1006); // terminated without a close frame
});

it('thins tick fan-out beyond its budget: every socket still gets a share, a state change goes to all', async () => {
  const thin = await startQueueNode({
    config: testConfig({ QUEUE_TICK_MS: '100', WS_TICK_FANOUT_PER_SEC: '10' }), // one frame per tick: stride = sockets
    directory,
    signer: await createTestSigner(),
  });
  try {
    const p = directory.put(makePromotion({ admissionRatePerSec: 0.01 }));
    const sockets = await Promise.all([1, 2, 3].map(() => TestSocket.open(thin.wsUrl(p.id))));
    for (const s of sockets) s.send({ type: 'hello' });
    for (const s of sockets) await s.next('welcome');
    const counts = [0, 0, 0];
    sockets.forEach((s, i) => {
      s.ws.on('message', (d) => {
        if (JSON.parse(d.toString()).type === 'tick') counts[i] = (counts[i] ?? 0) + 1;
      });
    });
    await sleep(1_500); // ~15 ticks
    for (const c of counts) {
      expect(c).toBeGreaterThanOrEqual(2);
      expect(c).toBeLessThanOrEqual(8); // about a third each
    }
    directory.update(p.id, { paused: true });
    const firstPaused: number[] = [];
    for (const s of sockets) {
      let t = await s.next<{ state: string; at: number }>('tick', 2_000);
      while (t.state !== 'paused') t = await s.next<{ state: string; at: number }>('tick', 2_000);
      firstPaused.push(t.at);
    }
    expect(new Set(firstPaused).size).toBe(1); // the same (state-change) tick reached every socket
    await Promise.all(sockets.map((s) => s.close()));
  } finally {
    await deleteKeys(thin.redis, thin.config.REDIS_KEY_PREFIX);
    await thin.close();
  }
});

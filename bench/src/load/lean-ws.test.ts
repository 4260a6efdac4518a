import { type AddressInfo, createServer, type Server } from 'node:net';
import { type RunningService, runMigrations, SERVICES, type ServiceSpec, startService } from '@flashgate/infra/stack';
import { waitFor } from '@flashgate/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { type Isolation, isolatedEnv } from '../smoke-support.js';
import { benchPromotion, createPromotion, schedule } from '../target/admin.js';
import { LeanWebSocket, LeanWsState, leanWsTarget } from './lean-ws.js';

/** Everything one lean client saw, in order. */
function recorder() {
  const events: Array<{ kind: 'open' } | { kind: 'error'; message: string } | { kind: 'close'; code: number; reason: string }> = [];
  const frames: any[] = [];
  const raw: Array<{ data: Buffer; isBinary: boolean }> = [];
  return {
    events,
    frames,
    raw,
    closed: () => events.find((e) => e.kind === 'close') as { kind: 'close'; code: number; reason: string } | undefined,
    handlers: {
      onOpen: () => events.push({ kind: 'open' }),
      onMessage: (data: Buffer, isBinary: boolean) => {
        raw.push({ data: Buffer.from(data), isBinary });
        const text = data.toString('utf8');
        if (!isBinary && text.startsWith('{')) frames.push(JSON.parse(text)); // the waiting-room's frames
      },
      onError: (err: Error) => events.push({ kind: 'error', message: err.message }),
      onClose: (code: number, reason: string) => events.push({ kind: 'close', code, reason }),
    },
  };
}

const OPTS = { handshakeTimeoutMs: 5_000, maxPayload: 1 << 20 };

describe('lean WebSocket client against the real waiting-room', () => {
  const ADMIN = 'lean-ws-test-admin-token-0123456789';
  let iso: Isolation;
  let wr: RunningService;
  let wsUrl: string;

  beforeAll(async () => {
    iso = await isolatedEnv();
    const env = { ...iso.env, ADMIN_TOKEN: ADMIN, WORKERS: '1', WS_HEARTBEAT_MS: '150' };
    await runMigrations(env, () => {});
    wr = startService(SERVICES[0] as ServiceSpec, env, () => {});
    await wr.ready(30_000);
    const times = schedule(Date.now(), -1_000, 600_000); // window already open
    const { id } = await createPromotion(
      wr.url,
      ADMIN,
      benchPromotion(`lean-ws-${Date.now().toString(36)}`, 'lean ws test', times, ['HOT-1'], {
        stock: 10,
        admissionRate: 0.01,
        shoppers: 1,
      }),
    );
    wsUrl = `${wr.url.replace(/^http/, 'ws')}/queue/${id}/ws`;
  }, 60_000);

  afterAll(async () => {
    await wr?.stop();
    await iso?.cleanup();
  }, 30_000);

  it('completes the handshake, sends a masked hello and reads welcome and tick frames', async () => {
    const r = recorder();
    const ws = new LeanWebSocket(leanWsTarget(wsUrl), { ...r.handlers, onOpen: () => ws.send('{"type":"hello"}') }, OPTS);
    await waitFor(() => r.frames.some((f) => f.type === 'welcome') && r.frames.some((f) => f.type === 'tick'));
    const welcome = r.frames.find((f) => f.type === 'welcome');
    expect(welcome).toMatchObject({ state: 'waiting', ticket: expect.any(Number), shopperId: expect.any(String) });
    expect(r.raw.every((m) => !m.isBinary)).toBe(true);
    expect(ws.readyState).toBe(LeanWsState.OPEN);
    ws.close(1000);
    await waitFor(() => r.closed() !== undefined);
    expect(r.closed()?.code).toBe(1000);
    expect(ws.readyState).toBe(LeanWsState.CLOSED);
  });

  it('keeps the place when reconnecting with the visitor token', async () => {
    const first = recorder();
    const a = new LeanWebSocket(leanWsTarget(wsUrl), { ...first.handlers, onOpen: () => a.send('{"type":"hello"}') }, OPTS);
    await waitFor(() => first.frames.some((f) => f.type === 'welcome'));
    const w1 = first.frames.find((f) => f.type === 'welcome');
    a.terminate();
    await waitFor(() => first.closed() !== undefined);
    const second = recorder();
    const hello = JSON.stringify({ type: 'hello', visitorToken: w1.visitorToken });
    const b = new LeanWebSocket(leanWsTarget(wsUrl), { ...second.handlers, onOpen: () => b.send(hello) }, OPTS);
    await waitFor(() => second.frames.some((f) => f.type === 'welcome'));
    expect(second.frames.find((f) => f.type === 'welcome')).toMatchObject({ shopperId: w1.shopperId, ticket: w1.ticket });
    b.close();
    await waitFor(() => second.closed() !== undefined);
  });

  it('answers the server heartbeat pings, so an idle joined socket stays open', async () => {
    const r = recorder();
    const ws = new LeanWebSocket(leanWsTarget(wsUrl), { ...r.handlers, onOpen: () => ws.send('{"type":"hello"}') }, OPTS);
    await waitFor(() => r.frames.some((f) => f.type === 'welcome'));
    // Several heartbeat periods (150 ms): a socket that did not pong would be terminated after two.
    await new Promise((res) => setTimeout(res, 1_000));
    expect(r.closed()).toBeUndefined();
    ws.send('{"type":"ping"}');
    await waitFor(() => r.frames.some((f) => f.type === 'pong'));
    ws.close();
    await waitFor(() => r.closed() !== undefined);
  });

  it("reports the server's close code and reason (leave → 1000 'left')", async () => {
    const r = recorder();
    const ws = new LeanWebSocket(leanWsTarget(wsUrl), { ...r.handlers, onOpen: () => ws.send('{"type":"hello"}') }, OPTS);
    await waitFor(() => r.frames.some((f) => f.type === 'welcome'));
    ws.send('{"type":"leave"}');
    await waitFor(() => r.closed() !== undefined);
    expect(r.closed()).toEqual({ kind: 'close', code: 1000, reason: 'left' });
    expect(r.events.some((e) => e.kind === 'error')).toBe(false);
  });

  it('fails the handshake on a non-101 answer with its status', async () => {
    const r = recorder();
    new LeanWebSocket(leanWsTarget(`${wr.url.replace(/^http/, 'ws')}/queue/no/such/path`), r.handlers, OPTS);
    await waitFor(() => r.closed() !== undefined);
    expect(r.events.map((e) => e.kind)).toEqual(['error', 'close']);
    expect(r.events[0]).toMatchObject({ message: 'Unexpected server response: 404' });
    expect(r.closed()?.code).toBe(1006);
  });
});

describe('lean WebSocket client: protocol edges (against the ws library server)', () => {
  let wss: WebSocketServer;
  let url: string;
  const received: string[] = [];

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((res) => wss.once('listening', () => res()));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
    wss.on('connection', (sock) => {
      sock.on('message', (data, isBinary) => {
        const text = data.toString();
        received.push(text);
        if (text === 'fragments') {
          // One message in three frames: the client must deliver it once, reassembled.
          sock.send('abc', { fin: false });
          sock.send('def', { fin: false });
          sock.send('ghi', { fin: true });
        } else if (text === 'big') sock.send(Buffer.alloc(70_000, 7), { binary: true });
        else if (text === 'close-me') sock.close(4321, 'bye');
        else sock.send(data, { binary: isBinary });
      });
    });
  });

  afterAll(async () => {
    await new Promise<void>((res) => wss.close(() => res()));
  });

  it('its frames are masked (ws refuses unmasked client frames) and texts of every length arrive intact', async () => {
    const r = recorder();
    const texts = ['x', 'é'.repeat(100), 'y'.repeat(70_000)];
    const ws = new LeanWebSocket(
      leanWsTarget(url),
      {
        ...r.handlers,
        onOpen: () => {
          for (const t of texts) ws.send(t);
        },
      },
      OPTS,
    );
    await waitFor(() => r.raw.length === texts.length);
    expect(r.raw.map((m) => m.data.toString('utf8'))).toEqual(texts);
    expect(received.slice(-3)).toEqual(texts);
    ws.close();
    await waitFor(() => r.closed() !== undefined);
  });

  it('reassembles fragmented messages and reads 64-bit lengths', async () => {
    const r = recorder();
    const ws = new LeanWebSocket(
      leanWsTarget(url),
      {
        ...r.handlers,
        onOpen: () => {
          ws.send('fragments');
          ws.send('big');
        },
      },
      OPTS,
    );
    await waitFor(() => r.raw.length === 2);
    expect(r.raw[0]).toEqual({ data: Buffer.from('abcdefghi'), isBinary: false });
    expect(r.raw[1]?.isBinary).toBe(true);
    expect(r.raw[1]?.data.length).toBe(70_000);
    ws.close();
    await waitFor(() => r.closed() !== undefined);
  });

  it("answers the server's close frame and reports its code and reason", async () => {
    const r = recorder();
    const ws = new LeanWebSocket(leanWsTarget(url), { ...r.handlers, onOpen: () => ws.send('close-me') }, OPTS);
    await waitFor(() => r.closed() !== undefined);
    expect(r.closed()).toEqual({ kind: 'close', code: 4321, reason: 'bye' });
  });

  it('closes with 1002 on a frame larger than maxPayload', async () => {
    const r = recorder();
    const ws = new LeanWebSocket(leanWsTarget(url), { ...r.handlers, onOpen: () => ws.send('big') }, { ...OPTS, maxPayload: 1_000 });
    await waitFor(() => r.closed() !== undefined);
    expect(r.closed()?.code).toBe(1002);
    expect(r.raw).toEqual([]);
  });
});

describe('lean WebSocket client: a server that answers the handshake wrongly', () => {
  let server: Server;
  let answer = '';

  beforeAll(async () => {
    server = createServer((sock) => {
      sock.once('data', () => sock.write(answer));
      sock.on('error', () => {});
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  });

  afterAll(async () => {
    await new Promise<void>((res) => server.close(() => res()));
  });

  const attempt = async (response: string) => {
    answer = response;
    const r = recorder();
    new LeanWebSocket(leanWsTarget(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`), r.handlers, OPTS);
    await waitFor(() => r.closed() !== undefined);
    return r.events;
  };

  it('rejects a wrong Sec-WebSocket-Accept', async () => {
    const events = await attempt(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm9wZQ==\r\n\r\n',
    );
    expect(events).toEqual([
      { kind: 'error', message: 'invalid Sec-WebSocket-Accept header' },
      { kind: 'close', code: 1006, reason: '' },
    ]);
  });

  it('rejects a 101 without the upgrade headers', async () => {
    const events = await attempt('HTTP/1.1 101 Switching Protocols\r\n\r\n');
    expect(events[0]).toEqual({ kind: 'error', message: '101 without Upgrade: websocket / Connection: Upgrade' });
  });

  it('times the handshake out when the server never answers', async () => {
    answer = '';
    const r = recorder();
    new LeanWebSocket(leanWsTarget(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`), r.handlers, {
      ...OPTS,
      handshakeTimeoutMs: 200,
    });
    await waitFor(() => r.closed() !== undefined);
    expect(r.events[0]).toEqual({ kind: 'error', message: 'handshake timed out after 200 ms' });
  });
});

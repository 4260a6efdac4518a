import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AppError, dependencyUnavailable } from '../errors/index.js';
import { createMetrics } from '../metrics/index.js';
import { LogThrottle } from './log-throttle.js';
import { createServiceApp } from './service-app.js';

type Line = { level: number; msg: string; err?: { stack?: string }; code?: string; suppressed?: number; status?: string };

function appWithLog() {
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  const app = createServiceApp({
    logger,
    metrics: createMetrics('test', { defaultMetrics: false }),
    readiness: [],
    dependencyTimeoutMs: 100,
  });
  app.get('/ok', (c) => c.json({ ok: true }));
  app.get('/text', (c) => c.text('plain'));
  app.get('/raw', () => new Response('raw', { status: 202 }));
  app.get('/empty', (c) => c.body(null, 204));
  app.get('/bad', () => {
    throw new AppError('VALIDATION_FAILED', 'nope', { status: 400 });
  });
  app.get('/down', () => {
    throw dependencyUnavailable('redis', new Error('connect ECONNREFUSED'));
  });
  app.get('/busy', () => {
    throw new AppError('OVERLOADED', 'too many requests in progress', { status: 503 });
  });
  app.get('/bug', () => {
    throw new Error('boom');
  });
  app.get('/app-500', () => {
    throw new AppError('INTERNAL_STATE', 'state is inconsistent', { status: 500 });
  });
  app.get('/returns-503', (c) => c.json({ status: 'draining' }, 503));
  return { app, lines };
}

const WARN = 40;
const ERROR = 50;

describe('service app: X-Request-Id', () => {
  const { app } = appWithLog();
  const paths = [
    '/ok',
    '/text',
    '/raw',
    '/empty',
    '/bad',
    '/down',
    '/busy',
    '/bug',
    '/app-500',
    '/returns-503',
    '/no-such-route',
    '/health/live',
  ];

  it.each(paths)('is on the response to GET %s, and matches the envelope', async (path) => {
    const res = await app.request(path);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    if (res.status >= 400 && res.headers.get('content-type')?.includes('json')) {
      const body = (await res.json()) as { error?: { requestId?: string } };
      if (body.error) expect(body.error.requestId).toBe(id);
    }
  });

  it('echoes a well-formed incoming id and replaces a malformed one', async () => {
    expect((await app.request('/ok', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
    expect((await app.request('/bad', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
    expect((await app.request('/ok', { headers: { 'x-request-id': 'a b' } })).headers.get('x-request-id')).not.toBe('a b');
  });

  it('keeps the status, content type and headers the handler or error chose', async () => {
    const raw = await app.request('/raw');
    expect(raw.status).toBe(202);
    expect(await raw.text()).toBe('raw');
    const text = await app.request('/text');
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    const down = await app.request('/down');
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect(down.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await app.request('/no-such-route')).status).toBe(404);
  });
});

describe('service app: 5xx logging', () => {
  it('logs an unexpected error once, at error, with its stack', async () => {
    const { app, lines } = appWithLog();
    expect((await app.request('/bug')).status).toBe(500);
    expect((await app.request('/app-500')).status).toBe(500);
    const errors = lines.filter((l) => l.level >= WARN);
    expect(errors).toHaveLength(2);
    expect(errors.every((l) => l.level === ERROR && l.err?.stack?.includes('service-app.test'))).toBe(true);
  });

  it('logs a storm of 503s from a dependency or overload as one warning per code, without a stack', async () => {
    const { app, lines } = appWithLog();
    for (let i = 0; i < 50; i++) {
      expect((await app.request('/down')).status).toBe(503);
      expect((await app.request('/busy')).status).toBe(503);
    }
    const logged = lines.filter((l) => l.level >= WARN);
    expect(logged.map((l) => l.code).sort()).toEqual(['DEPENDENCY_UNAVAILABLE', 'OVERLOADED']);
    expect(logged.every((l) => l.level === WARN && l.err === undefined)).toBe(true);
  });

  it('still logs a 5xx the handler returned as a value, once per route and status per interval', async () => {
    const { app, lines } = appWithLog();
    for (let i = 0; i < 10; i++) await app.request('/returns-503');
    const logged = lines.filter((l) => l.level >= WARN);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: WARN, msg: 'request failed', status: '503' });
  });
});

describe('LogThrottle', () => {
  it('lets one line per key through per interval and reports how many it dropped', () => {
    let now = 1_000;
    const throttle = new LogThrottle(1_000, 256, () => now);
    const out: [string, number][] = [];
    const hit = (key: string) => throttle.run(key, (suppressed) => out.push([key, suppressed]));
    hit('a');
    hit('a');
    hit('b');
    hit('a');
    now += 999;
    hit('a');
    now += 1;
    hit('a');
    hit('b');
    expect(out).toEqual([
      ['a', 0],
      ['b', 0],
      ['a', 3],
      ['b', 0],
    ]);
  });

  it('stays bounded in keys', () => {
    const throttle = new LogThrottle(1_000, 4, () => 0);
    let logged = 0;
    for (let i = 0; i < 100; i++) throttle.run(`k${i}`, () => logged++);
    expect(logged).toBe(100);
  });
});

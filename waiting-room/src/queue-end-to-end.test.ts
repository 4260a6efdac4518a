/**
 * The queue with the real promotions side: promotions created through the admin API in Postgres,
 * read through the cached directory, admission JWTs signed by the key ring and verified against
 * the served JWKS — over real sockets.
 */
import { createRedis } from '@flashgate/shared/clients';
import { ADMISSION_AUDIENCE, ADMISSION_ISSUER, admissionClaimsSchema } from '@flashgate/shared/contracts';
import { serveHttp } from '@flashgate/shared/http';
import { createLogger } from '@flashgate/shared/logger';
import { uniqueName } from '@flashgate/shared/testing';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { promotionBody, promotionsTestEnv, type PromotionsTestEnv, type TestNode } from './promotions.test-fixture.js';
import { createQueueRuntime, type QueueRuntime } from './queue-runtime.js';
import { deleteKeys, TestSocket } from './ws/queue-test-kit.js';

let env: PromotionsTestEnv;
let node: TestNode;
let queue: QueueRuntime;
let wsBase: string;
let closeHttp: () => Promise<void>;
let fullApp: ReturnType<typeof buildApp>;
const redisPrefix = uniqueName('wre2e');
const redis = createRedis(process.env.REDIS_URL as string);

beforeAll(async () => {
  env = await promotionsTestEnv();
  node = await env.startNode({
    env: { REDIS_KEY_PREFIX: redisPrefix, QUEUE_TICK_MS: '200', VISITOR_TOKEN_SECRET: 'e2e-visitor-secret-0123456789' },
  });
  const logger = createLogger('waiting-room', 'silent');
  queue = createQueueRuntime({
    config: node.config,
    redis,
    nc: node.nc,
    directory: node.runtime.directory,
    signer: node.runtime.keyRing,
    logger,
    metrics: node.metrics,
  });
  await queue.start();
  const app = buildApp({
    config: node.config,
    logger,
    metrics: node.metrics,
    redis,
    nc: node.nc,
    db: node.db,
    promotions: node.runtime,
    queue,
  });
  fullApp = app;
  const http = await serveHttp(app, { port: 0, host: '127.0.0.1' });
  queue.attach(http.server);
  wsBase = `ws://127.0.0.1:${http.port}`;
  closeHttp = http.close;
});

afterAll(async () => {
  await queue?.stop();
  await closeHttp?.();
  await deleteKeys(redis, redisPrefix);
  redis.disconnect();
  await env?.cleanup();
});

it('a shopper joins a promotion created by marketing and is admitted with a JWT that verifies against the JWKS', async () => {
  const now = Date.now();
  const created = await node.admin(
    'POST',
    '/admin/promotions',
    promotionBody({ windowStart: new Date(now + 1_500).toISOString(), admissionRatePerSec: 20 }, now),
  );
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const s = await TestSocket.open(`${wsBase}/queue/${id}/ws`);
  s.send({ type: 'hello' });
  const welcome = await s.next<{ state: string; ticket: number | null; shopperId: string }>('welcome');
  expect(welcome).toMatchObject({ state: 'prequeue', ticket: null });
  expect((await s.next<{ ticket: number }>('ticket', 5_000)).ticket).toBe(1);
  const admitted = await s.next<{ admissionToken: string }>('admitted', 5_000);

  const jwks = await node.app.request('/.well-known/jwks.json');
  const { payload, protectedHeader } = await jwtVerify(admitted.admissionToken, createLocalJWKSet((await jwks.json()) as JSONWebKeySet), {
    issuer: ADMISSION_ISSUER,
    audience: ADMISSION_AUDIENCE,
    algorithms: ['ES256'],
  });
  expect(protectedHeader.kid).toBeTruthy();
  expect(admissionClaimsSchema.parse(payload)).toMatchObject({ sub: welcome.shopperId, promotion_id: id });
  await s.close();
});

it('pausing through the admin API halts admission and tells the line, resuming restarts it', async () => {
  const now = Date.now();
  const created = await node.admin(
    'POST',
    '/admin/promotions',
    promotionBody({ windowStart: new Date(now + 500).toISOString(), admissionRatePerSec: 0.05 }, now),
  );
  const id = created.body.id as string;
  const s = await TestSocket.open(`${wsBase}/queue/${id}/ws`);
  s.send({ type: 'hello' });
  await s.next('welcome');
  expect((await node.admin('POST', `/admin/promotions/${id}/pause`)).status).toBe(200);
  for (;;) if ((await s.next<{ state: string }>('tick', 5_000)).state === 'paused') break;
  expect((await node.admin('POST', `/admin/promotions/${id}/resume`)).status).toBe(200);
  for (;;) if ((await s.next<{ state: string }>('tick', 5_000)).state === 'waiting') break;
  await s.close();
});

it('the dashboard stats count the line, the admitted and the live admissions, behind the admin token', async () => {
  const now = Date.now();
  const created = await node.admin(
    'POST',
    '/admin/promotions',
    promotionBody({ windowStart: new Date(now + 300).toISOString(), admissionRatePerSec: 50, maxActiveShoppers: 2 }, now),
  );
  const id = created.body.id as string;
  await new Promise((r) => setTimeout(r, 400));
  const sockets = await Promise.all([0, 1, 2].map(() => TestSocket.open(`${wsBase}/queue/${id}/ws`)));
  for (const s of sockets) s.send({ type: 'hello' });
  for (const s of sockets) await s.next('welcome');
  const auth = { authorization: `Bearer ${node.config.ADMIN_TOKEN}` };
  // The cap of 2 admits two; the third waits in line.
  let stats: any;
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    stats = await (await fullApp.request(`/admin/promotions/${id}/stats`, { headers: auth })).json();
    if (stats.admitted === 2 && stats.queueLength === 1) break;
  }
  expect(stats).toMatchObject({ promotionId: id, admitted: 2, active: 2, queueLength: 1, maxActiveShoppers: 2, configuredRatePerSec: 50 });
  expect((await fullApp.request(`/admin/promotions/${id}/stats`)).status).toBe(401);
  const missing = await fullApp.request('/admin/promotions/no-such-sale/stats', { headers: auth });
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as any).error.code).toBe('PROMOTION_NOT_FOUND');
  for (const s of sockets) await s.close();
});

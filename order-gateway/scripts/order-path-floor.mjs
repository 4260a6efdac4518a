#!/usr/bin/env node
/**
 * The order path's floor on this machine: the same work as POST /orders — ES256 verification of the
 * admission token, the gateway's own begin-order and finish-order Lua scripts, one NATS hold request
 * to the REAL inventory-reservations — with nothing else: bare node:http, no Hono, no validation
 * library, no breakers, no metrics, no logging. Not a product (it skips checks the gateway must make);
 * a yardstick: what the gateway's framework and safety cost is the difference between this and
 * `dist/main.js` under the same load (`GATEWAY_ENTRY=$PWD/order-gateway/scripts/order-path-floor.mjs
 * node order-gateway/scripts/measure-order-path.mjs …`; `FLOOR_WORKERS=2` for two processes).
 */
import cluster from 'node:cluster';
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { createServer } from 'node:http';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '@flashgate/shared/contracts';
import { Redis } from 'ioredis';
import { gatewayKeys } from '../dist/adapters/redis/keys.js';
import { registerScripts } from '../dist/adapters/redis/scripts.js';

const env = process.env;
// FLOOR_WORKERS=N: N processes on one port (node:cluster, round-robin), as the gateway's cluster.js runs.
const workers = Number(env.FLOOR_WORKERS ?? 1);
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    process.exit(0);
  });
  await new Promise(() => {});
}
const jwks = await (await fetch(`${env.WAITING_ROOM_URL}/.well-known/jwks.json`)).json();
const keys = new Map(jwks.keys.map((k) => [k.kid, createPublicKey({ key: k, format: 'jwk' })]));
const redis = registerScripts(new Redis(env.REDIS_URL, { enableAutoPipelining: true }));
const nc = await connect({ servers: env.NATS_URL, noAsyncTraces: true });
const holdSubject = natsNames(env.NATS_SUBJECT_PREFIX).subjects.inventoryRequest('hold');
const k = gatewayKeys(env.REDIS_KEY_PREFIX);

function claimsOf(auth) {
  const token = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const key = header.alg === 'ES256' ? keys.get(header.kid) : undefined;
  if (!key) return null;
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) return null;
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  return claims.exp * 1000 > Date.now() ? claims : null;
}

const send = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      if (req.url === '/health/ready' || req.url === '/health/live') return send(res, 200, { status: 'ok' });
      const claims = claimsOf(req.headers.authorization);
      if (!claims) return send(res, 401, { error: { code: 'TOKEN_INVALID' } });
      const idem = req.headers['idempotency-key'];
      const body = JSON.parse(Buffer.concat(chunks).toString());
      if (body.promotionId !== claims.promotion_id) return send(res, 403, { error: { code: 'PROMOTION_MISMATCH' } });
      const p = body.promotionId;
      const idemKey = k.idempotency(p, claims.sub, idem);
      const admKey = k.admission(p, claims.jti);
      const begun = await redis.gwBeginOrder(idemKey, admKey, 'fp', randomUUID(), Date.now(), 30_000);
      if (begun[0] !== 'ok') return send(res, 409, { error: { code: 'IDEMPOTENCY' } });
      const orderId = begun[1];
      const msg = await nc.request(holdSubject, JSON.stringify({ orderId, promotionId: p, shopperId: claims.sub, lines: body.lines }), {
        timeout: 1500,
      });
      const reply = msg.json();
      const answer = reply.ok
        ? { orderId, holdId: reply.holdId, status: 'held', holdExpiresAt: reply.expiresAt }
        : { error: { code: reply.outcome } };
      const record = JSON.stringify({ state: 'done', fingerprint: 'fp', orderId, status: 201, body: answer });
      await redis.gwFinishOrder(
        idemKey,
        admKey,
        k.order(p, orderId),
        orderId,
        'created',
        record,
        86_400_000,
        86_400_000,
        0,
        'orderId',
        orderId,
        'status',
        'held',
      );
      send(res, reply.ok ? 201 : 409, answer);
    } catch (err) {
      send(res, 500, { error: { code: 'INTERNAL', message: String(err) } });
    }
  });
}).listen(Number(env.PORT), env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));

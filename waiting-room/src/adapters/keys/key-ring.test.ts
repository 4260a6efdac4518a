import { randomUUID } from 'node:crypto';
import { ADMISSION_AUDIENCE, ADMISSION_ISSUER, admissionClaimsSchema } from '@flashgate/shared/contracts';
import { serveHttp } from '@flashgate/shared/http';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promotionsTestEnv, type PromotionsTestEnv, type TestNode } from '../../promotions.test-fixture.js';

let env: PromotionsTestEnv;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
let node: TestNode;

beforeAll(async () => {
  env = await promotionsTestEnv();
});
afterAll(async () => {
  await env?.cleanup();
});

async function servedJwks(n: TestNode) {
  const res = await n.app.request('/.well-known/jwks.json');
  expect(res.status).toBe(200);
  return { body: (await res.json()) as { keys: { kid: string; alg: string; kty: string; d?: string }[] }, res };
}

async function verify(token: string, n: TestNode, at: Date) {
  const jwks = createLocalJWKSet((await servedJwks(n)).body as never);
  return jwtVerify(token, jwks, { issuer: ADMISSION_ISSUER, audience: ADMISSION_AUDIENCE, algorithms: ['ES256'], currentDate: at });
}

const sign = (n: TestNode, ttlSeconds = 300) =>
  n.runtime.keyRing.sign({ shopperId: 'shopper-1', promotionId: 'promo-1', jti: randomUUID(), ttlSeconds });

describe('nodes starting together', () => {
  it('create exactly one current key', async () => {
    const nodes = await Promise.all([1, 2, 3, 4].map(() => env.startNode({ start: false, clock })));
    const db = nodes[0]!.db;
    // The race is narrow; several rounds make a lost lock show up reliably.
    for (let round = 0; round < 5; round++) {
      await sql`delete from signing_keys`.execute(db);
      await Promise.all(nodes.map((n) => n.runtime.keyRing.maintain()));
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from signing_keys`.execute(db);
      expect(rows[0]?.n, `round ${round}`).toBe(1);
      await Promise.all(nodes.map((n) => n.runtime.keyRing.reload()));
      const kids = new Set((await Promise.all(nodes.map((n) => sign(n)))).map((t) => decodeProtectedHeader(t.token).kid));
      expect(kids.size).toBe(1);
    }
  });
});

describe('admission tokens', () => {
  beforeAll(async () => {
    node = await env.startNode({ clock });
  });

  it('verify against the served JWKS and carry the admission claims', async () => {
    const before = Math.floor(clock().getTime() / 1000);
    const { token, expiresAt } = await node.runtime.keyRing.sign({
      shopperId: 'shopper-42',
      promotionId: 'spring-drop',
      jti: 'jti-1',
      ttlSeconds: 300,
    });
    const { res, body } = await servedJwks(node);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(body.keys.every((k) => k.alg === 'ES256' && k.kty === 'EC' && k.d === undefined)).toBe(true);

    const { payload, protectedHeader } = await verify(token, node, clock());
    expect(protectedHeader.alg).toBe('ES256');
    expect(body.keys.map((k) => k.kid)).toContain(protectedHeader.kid);
    const claims = admissionClaimsSchema.parse(payload);
    expect(claims).toMatchObject({
      iss: 'waiting-room',
      aud: 'order-gateway',
      sub: 'shopper-42',
      promotion_id: 'spring-drop',
      jti: 'jti-1',
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp).toBe(claims.iat + 300);
    expect(expiresAt.getTime()).toBe(claims.exp * 1000);
  });

  it('verify over HTTP with a remote JWKS, as order-gateway does', async () => {
    const http = await serveHttp(node.app, { port: 0, host: '127.0.0.1' });
    try {
      const jwks = createRemoteJWKSet(new URL(`${http.url}/.well-known/jwks.json`));
      const { token } = await sign(node);
      const { payload } = await jwtVerify(token, jwks, {
        issuer: ADMISSION_ISSUER,
        audience: ADMISSION_AUDIENCE,
        algorithms: ['ES256'],
        currentDate: clock(),
      });
      expect(payload.sub).toBe('shopper-1');
    } finally {
      await http.close();
    }
  });

  it('a token from another key (forged) does not verify', async () => {
    const other = await import('jose');
    const { privateKey } = await other.generateKeyPair('ES256');
    const { token } = await sign(node);
    const { kid } = decodeProtectedHeader(token);
    const forged = await new other.SignJWT({ promotion_id: 'promo-1' })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(ADMISSION_ISSUER)
      .setAudience(ADMISSION_AUDIENCE)
      .setSubject('shopper-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    await expect(verify(forged, node, clock())).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('refuses a TTL the key retention does not cover', async () => {
    await expect(sign(node, 3601)).rejects.toThrow(RangeError);
  });

  it('rotation publishes the new key first, signs with it after publish-ahead, and drops the old one after its tokens expired', async () => {
    const oldToken = await sign(node);
    const oldKid = decodeProtectedHeader(oldToken.token).kid;
    const oldIat = clock();

    const rotated = await node.admin('POST', '/admin/keys/rotate');
    expect(rotated.status).toBe(202);
    const newKid: string = rotated.body.kid;
    expect(newKid).not.toBe(oldKid);
    const aheadMs = Date.parse(rotated.body.activatesAt) - clock().getTime();
    expect(aheadMs).toBeGreaterThan(55_000);
    expect(aheadMs).toBeLessThanOrEqual(60_000);
    // Asking again while a key is pending returns that key instead of stacking another.
    const again = await node.admin('POST', '/admin/keys/rotate');
    expect(again.body).toMatchObject({ kid: newKid, created: false });

    // Published at once, not yet signing.
    expect((await servedJwks(node)).body.keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    expect(decodeProtectedHeader((await sign(node)).token).kid).toBe(oldKid);

    // After publish-ahead: the new key signs; the old one still verifies its tokens.
    offsetMs += 61_000;
    await node.runtime.keyRing.maintain();
    const newToken = await sign(node);
    expect(decodeProtectedHeader(newToken.token).kid).toBe(newKid);
    await expect(verify(oldToken.token, node, oldIat)).resolves.toBeDefined();
    const keys = (await node.admin('GET', '/admin/keys')).body.keys;
    expect(keys.find((k: { kid: string }) => k.kid === newKid)).toMatchObject({ signing: true });

    // Max token TTL (3600 s) + clock skew (60 s) after the switch, the old key leaves the JWKS.
    offsetMs += 3_600_000;
    await node.runtime.keyRing.maintain();
    expect((await servedJwks(node)).body.keys.map((k) => k.kid)).toContain(oldKid);
    offsetMs += 61_000;
    await node.runtime.keyRing.maintain();
    expect((await servedJwks(node)).body.keys.map((k) => k.kid)).toEqual([newKid]);
    // Checked at its own issue time, so the failure is the missing key, not expiry.
    await expect(verify(oldToken.token, node, oldIat)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    const fresh = await sign(node);
    expect(decodeProtectedHeader(fresh.token).kid).toBe(newKid);
    await expect(verify(fresh.token, node, clock())).resolves.toBeDefined();
  });

  it('rotates on schedule: a successor is published publish-ahead before the rotation period ends', async () => {
    const current = (await node.admin('GET', '/admin/keys')).body.keys.find((k: { signing: boolean }) => k.signing);
    const dueAt = Date.parse(current.activatesAt) + 24 * 3_600_000 - 60_000;
    offsetMs += dueAt - clock().getTime() - 5_000;
    await node.runtime.keyRing.maintain();
    expect((await node.admin('GET', '/admin/keys')).body.keys).toHaveLength(1);
    offsetMs += 6_000;
    await node.runtime.keyRing.maintain();
    const keys = (await node.admin('GET', '/admin/keys')).body.keys;
    expect(keys).toHaveLength(2);
    const pending = keys.find((k: { kid: string }) => k.kid !== current.kid);
    expect(pending.signing).toBe(false);
    expect(Date.parse(pending.activatesAt)).toBeGreaterThan(clock().getTime());
  });
});

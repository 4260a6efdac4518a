import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '../../testing/jwks-server.js';
import { admissionVerifier, remoteJwks, VerifiedTokenCache } from './admission-verifier.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

const verifier = (cooldownMs: number) =>
  admissionVerifier({ jwks: remoteJwks(issuer.url, { cacheMaxAgeMs: 600_000, cooldownMs, timeoutMs: 1_000 }), clockToleranceSeconds: 5 });

describe('admission verifier against a JWKS served over HTTP', () => {
  it('fetches the key set once and verifies from the cached, imported key', async () => {
    const v = verifier(30_000);
    const before = issuer.jwksFetches();
    for (let i = 0; i < 20; i++) {
      const { claims } = await v.verify(`Bearer ${await issuer.token({ sub: `s${i}` })}`);
      expect(claims.sub).toBe(`s${i}`);
    }
    expect(issuer.jwksFetches() - before).toBe(1);
  });

  it('refetches on an unknown kid only after the cooldown, so a rotated key is picked up', async () => {
    const v = verifier(200);
    const before = issuer.jwksFetches();
    await v.verify(`Bearer ${await issuer.token()}`);
    const kid = await issuer.rotate();
    const rotated = await issuer.token({}, { kid });
    // Within the cooldown the new kid is unknown and the JWKS is not fetched again.
    await expect(v.verify(`Bearer ${rotated}`)).rejects.toMatchObject({ code: 'AUTH_UNKNOWN_KEY' });
    expect(issuer.jwksFetches() - before).toBe(1);
    await new Promise((r) => setTimeout(r, 250));
    const { claims } = await v.verify(`Bearer ${rotated}`);
    expect(claims.iss).toBe('waiting-room');
    expect(issuer.jwksFetches() - before).toBe(2);
  });

  it('accepts a clock skew within the tolerance, and a genuine expired token only when allowed', async () => {
    const v = verifier(30_000);
    const now = Math.floor(Date.now() / 1000);
    await expect(v.verify(`Bearer ${await issuer.token({ nbf: now + 3 })}`)).resolves.toBeTruthy();
    const expired = `Bearer ${await issuer.token({ iat: now - 100, nbf: now - 100, exp: now - 30 })}`;
    await expect(v.verify(expired)).rejects.toMatchObject({ code: 'AUTH_TOKEN_EXPIRED', status: 401 });
    await expect(v.verify(expired, { allowExpired: true })).resolves.toMatchObject({ expired: true });
    const forgedExpired = `Bearer ${await issuer.forged({ iat: now - 100, nbf: now - 100, exp: now - 30 })}`;
    await expect(v.verify(forgedExpired, { allowExpired: true })).rejects.toMatchObject({ code: 'AUTH_INVALID_SIGNATURE' });
  });

  it('answers 503 (not 401) when the JWKS cannot be fetched', async () => {
    const v = admissionVerifier({
      jwks: remoteJwks('http://127.0.0.1:9', { cacheMaxAgeMs: 600_000, cooldownMs: 0, timeoutMs: 500 }),
      clockToleranceSeconds: 5,
    });
    await expect(v.verify(`Bearer ${await issuer.token()}`)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
  });
});

describe('verified-token cache', () => {
  const cached = (now: () => number, maxEntries = 100) =>
    admissionVerifier({
      jwks: remoteJwks(issuer.url, { cacheMaxAgeMs: 600_000, cooldownMs: 30_000, timeoutMs: 1_000 }),
      clockToleranceSeconds: 5,
      now,
      cache: { maxEntries, maxAgeMs: 600_000 },
    });

  it('answers a repeated token from the cache only until exp (plus tolerance), then rejects it as expired', async () => {
    let nowMs = Date.now();
    const v = cached(() => nowMs);
    const exp = Math.floor(nowMs / 1000) + 60;
    const token = `Bearer ${await issuer.token({ exp })}`;
    await expect(v.verify(token)).resolves.toMatchObject({ expired: false });
    await expect(v.verify(token)).resolves.toMatchObject({ expired: false });
    nowMs = (exp + 5) * 1000;
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'AUTH_TOKEN_EXPIRED', status: 401 });
    await expect(v.verify(token, { allowExpired: true })).resolves.toMatchObject({ expired: true });
  });

  it('never lets a cached token vouch for another one: a changed signature is still rejected', async () => {
    const v = cached(Date.now);
    const good = await issuer.token();
    await v.verify(`Bearer ${good}`);
    const [h, p, sig] = good.split('.') as [string, string, string];
    const tampered = `${h}.${p}.${sig.slice(0, -4)}${sig.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    await expect(v.verify(`Bearer ${tampered}`)).rejects.toMatchObject({ code: 'AUTH_INVALID_SIGNATURE' });
    const forged = await issuer.forged({ sub: 'someone-else' });
    await expect(v.verify(`Bearer ${forged}`)).rejects.toMatchObject({ code: 'AUTH_INVALID_SIGNATURE' });
  });

  it('stays within its bound', () => {
    const cache = new VerifiedTokenCache(3, 600_000);
    const claims = {
      iss: 'waiting-room',
      aud: 'order-gateway',
      sub: 's',
      promotion_id: 'p',
      jti: 'j',
      iat: 0,
      exp: 4_000_000_000,
    } as const;
    for (let i = 0; i < 10; i++) cache.set(`t${i}`, claims, 1_000, 5);
    expect(cache.size).toBe(3);
    expect(cache.get('t0', 1_000)).toBeUndefined();
    expect(cache.get('t9', 1_000)).toEqual(claims);
    expect(cache.get('t9', 1_000 + 600_000)).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '../../testing/jwks-server.js';
import { admissionVerifier, remoteJwks } from './admission-verifier.js';

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

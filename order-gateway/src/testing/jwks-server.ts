import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

type CryptoKey = webcrypto.CryptoKey;
import { ADMISSION_AUDIENCE, ADMISSION_ISSUER } from '@flashgate/shared/contracts';

/**
 * Test stand-in for waiting-room's token side: real ES256 keys, a real HTTP JWKS endpoint (counting
 * fetches), and a signer for good and deliberately bad admission tokens.
 */
export interface TestIssuer {
  url: string;
  jwksFetches: () => number;
  /** A valid token; override any claim or header field (undefined removes a claim). */
  token(claims?: Record<string, unknown>, opts?: { kid?: string; key?: CryptoKey; alg?: string }): Promise<string>;
  /** Signed with a key the JWKS does not publish, under a published kid. */
  forged(claims?: Record<string, unknown>): Promise<string>;
  /** Signed with a key whose kid is not published (yet). */
  unknownKid(claims?: Record<string, unknown>): Promise<string>;
  /** `alg: none`, no signature. */
  algNone(claims?: Record<string, unknown>): string;
  /** HS256 keyed with the published public key's bytes (the classic key-confusion attack). */
  hs256WithPublicKey(claims?: Record<string, unknown>): Promise<string>;
  /** Publishes a new key (rotation) and returns its kid; tokens signed with it then verify. */
  rotate(): Promise<string>;
  close(): Promise<void>;
}

interface KeyEntry {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string): Promise<KeyEntry> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, privateKey, jwk };
}

export function defaultClaims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ADMISSION_ISSUER,
    aud: ADMISSION_AUDIENCE,
    sub: `shopper-${Math.random().toString(36).slice(2, 10)}`,
    promotion_id: 'promo-1',
    jti: `adm-${Math.random().toString(36).slice(2, 12)}`,
    iat: now,
    nbf: now,
    exp: now + 600,
  };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export async function startTestIssuer(): Promise<TestIssuer> {
  const published: KeyEntry[] = [await newKey('k1')];
  const stranger = await newKey('k1'); // same kid, different key: a forger's
  const hidden = await newKey('k-unpublished');
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const merge = (claims: Record<string, unknown> = {}) => {
    const out: Record<string, unknown> = { ...defaultClaims(), ...claims };
    for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
    return out;
  };
  const sign = (claims: Record<string, unknown>, key: CryptoKey, kid: string, alg = 'ES256') =>
    new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);

  return {
    url: `http://127.0.0.1:${port}`,
    jwksFetches: () => fetches,
    token: (claims, opts = {}) => {
      const k = published[published.length - 1] as KeyEntry;
      return sign(merge(claims), opts.key ?? k.privateKey, opts.kid ?? k.kid, opts.alg);
    },
    forged: (claims) => sign(merge(claims), stranger.privateKey, stranger.kid),
    unknownKid: (claims) => sign(merge(claims), hidden.privateKey, hidden.kid),
    algNone: (claims) => `${b64({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${b64(merge(claims))}.`,
    hs256WithPublicKey: async (claims) => {
      const secret = new TextEncoder().encode(JSON.stringify((published[0] as KeyEntry).jwk));
      return new SignJWT(merge(claims)).setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'JWT' }).sign(secret);
    },
    rotate: async () => {
      const k = await newKey(`k${published.length + 1}`);
      published.push(k);
      return k.kid;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

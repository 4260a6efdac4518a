import { type KeyObject, generateKeyPairSync, sign } from 'node:crypto';
import { createLocalJWKSet, errors, type JWK, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMISSION_AUDIENCE, ADMISSION_ISSUER } from '@flashgate/shared/contracts';
import { admissionVerifier } from './admission-verifier.js';
import { decodeBase64urlStrict, verifyEs256Jwt } from './es256-jwt.js';

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const jwks = createLocalJWKSet({
  keys: [
    { ...(p256.publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1', alg: 'ES256', use: 'sig' },
    { ...(p384.publicKey.export({ format: 'jwk' }) as JWK), kid: 'k384', alg: 'ES384', use: 'sig' },
  ],
});

const b64 = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);
const claims = (over: Record<string, unknown> = {}) => {
  const out: Record<string, unknown> = {
    iss: ADMISSION_ISSUER,
    aud: ADMISSION_AUDIENCE,
    sub: 'shopper-1',
    promotion_id: 'promo-1',
    jti: 'adm-1',
    iat: nowS(),
    exp: nowS() + 600,
    ...over,
  };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
};

/** Raw signer: any header, any payload bytes, any key and signature encoding. */
function raw(payload: unknown, opts: { header?: Record<string, unknown>; key?: KeyObject; hash?: string; der?: boolean } = {}): string {
  const input = `${b64(opts.header ?? { alg: 'ES256', kid: 'k1', typ: 'JWT' })}.${b64(payload)}`;
  const sig = sign(opts.hash ?? 'sha256', Buffer.from(input), {
    key: opts.key ?? p256.privateKey,
    dsaEncoding: opts.der ? 'der' : 'ieee-p1363',
  });
  return `${input}.${sig.toString('base64url')}`;
}

const TOLERANCE = 5;
const ours = (token: string) =>
  verifyEs256Jwt(token, jwks, {
    issuer: ADMISSION_ISSUER,
    audience: ADMISSION_AUDIENCE,
    requiredClaims: ['sub', 'jti', 'exp', 'iat'],
    clockToleranceSeconds: TOLERANCE,
    nowMs: Date.now(),
  });
const joses = (token: string) =>
  jwtVerify(token, jwks, {
    algorithms: ['ES256'],
    issuer: ADMISSION_ISSUER,
    audience: ADMISSION_AUDIENCE,
    requiredClaims: ['sub', 'jti', 'exp', 'iat'],
    clockTolerance: TOLERANCE,
  });

type Verdict = { ok: true; payload: unknown } | { ok: false; error: string; claim?: string };
async function verdict(run: () => Promise<{ payload: unknown }>): Promise<Verdict> {
  try {
    return { ok: true, payload: (await run()).payload };
  } catch (err) {
    const e = err as { constructor: { name: string }; claim?: string };
    return { ok: false, error: e.constructor.name, ...(e.claim ? { claim: e.claim } : {}) };
  }
}

describe('verifyEs256Jwt gives the same verdict as jose jwtVerify', () => {
  const tampered = () => {
    const [h, , s] = raw(claims()).split('.');
    return `${h}.${b64(claims({ sub: 'someone-else' }))}.${s}`;
  };
  const cases: [string, () => string][] = [
    ['a genuine token', () => raw(claims())],
    ['an audience array naming the gateway', () => raw(claims({ aud: ['x', ADMISSION_AUDIENCE] }))],
    ['an audience array without it', () => raw(claims({ aud: ['x', 'y'] }))],
    ['expired', () => raw(claims({ exp: nowS() - 60 }))],
    ['expired within the tolerance', () => raw(claims({ exp: nowS() - 2 }))],
    ['exp exactly at now - tolerance', () => raw(claims({ exp: nowS() - TOLERANCE }))],
    ['not yet valid', () => raw(claims({ nbf: nowS() + 60 }))],
    ['nbf within the tolerance', () => raw(claims({ nbf: nowS() + 3 }))],
    ['wrong issuer', () => raw(claims({ iss: 'evil' }))],
    ['wrong audience', () => raw(claims({ aud: 'waiting-room' }))],
    ['missing iss', () => raw(claims({ iss: undefined }))],
    ['missing aud', () => raw(claims({ aud: undefined }))],
    ['missing sub', () => raw(claims({ sub: undefined }))],
    ['missing jti', () => raw(claims({ jti: undefined }))],
    ['missing exp', () => raw(claims({ exp: undefined }))],
    ['missing iat', () => raw(claims({ iat: undefined }))],
    ['missing exp and sub', () => raw(claims({ exp: undefined, sub: undefined }))],
    ['iat a string', () => raw(claims({ iat: String(nowS()) }))],
    ['exp a string', () => raw(claims({ exp: String(nowS() + 60) }))],
    ['nbf a string', () => raw(claims({ nbf: 'soon' }))],
    ['a payload that is a JSON array', () => raw([1, 2])],
    ['a payload that is not JSON', () => raw('not json')],
    ['a payload that is not UTF-8', () => raw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
    [
      'a payload starting with a UTF-8 BOM',
      () => raw(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(claims()))])),
    ],
    [
      'a payload with an encoded surrogate',
      () => raw(Buffer.from(JSON.stringify(claims({ sub: 'S' })).replace('"S"', '"\ud800"'), 'latin1')),
    ],
    [
      'a payload with a UTF-16 surrogate in UTF-8 bytes',
      () => raw(Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])),
    ],
    [
      'a payload with an overlong encoding',
      () => raw(Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])),
    ],
    [
      'a header starting with a UTF-8 BOM',
      () => {
        const h = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1' }))]).toString(
          'base64url',
        );
        const input = `${h}.${b64(claims())}`;
        return `${input}.${sign('sha256', Buffer.from(input), { key: p256.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
      },
    ],
    ['an unknown critical header', () => raw(claims(), { header: { alg: 'ES256', kid: 'k1', crit: ['exp'], exp: 1 } })],
    ['crit b64 true', () => raw(claims(), { header: { alg: 'ES256', kid: 'k1', crit: ['b64'], b64: true } })],
    ['crit b64 false', () => raw(claims(), { header: { alg: 'ES256', kid: 'k1', crit: ['b64'], b64: false } })],
    ['crit not an array', () => raw(claims(), { header: { alg: 'ES256', kid: 'k1', crit: 'b64' } })],
    ['a header that is a JSON array', () => raw(claims(), { header: ['ES256'] as unknown as Record<string, unknown> })],
    ['a tampered payload', tampered],
    ['a signature by a key the JWKS does not publish', () => raw(claims(), { key: stranger.privateKey })],
    ['an unknown kid', () => raw(claims(), { header: { alg: 'ES256', kid: 'nope' } })],
    ['ES256 naming the P-384 key', () => raw(claims(), { header: { alg: 'ES256', kid: 'k384' } })],
    ['ES384 with the P-384 key', () => raw(claims(), { header: { alg: 'ES384', kid: 'k384' }, key: p384.privateKey, hash: 'sha384' })],
    ['ES256 signed with a P-384 key', () => raw(claims(), { key: p384.privateKey, hash: 'sha384' })],
    ['a DER-encoded genuine signature', () => raw(claims(), { der: true })],
    ['an empty signature', () => raw(claims()).replace(/\.[^.]*$/, '.')],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const token = make();
    const [a, b] = [await verdict(() => ours(token)), await verdict(() => joses(token))];
    expect(a).toEqual(b);
  });
});

describe('verifyEs256Jwt is stricter than jose about signatures and encodings', () => {
  it('rejects signatures that are not exactly 64 bytes before touching the key', async () => {
    const [h, p, s] = raw(claims()).split('.') as [string, string, string];
    const sig = decodeBase64urlStrict(s);
    for (const bad of [sig.subarray(0, 63), Buffer.concat([sig, Buffer.from([0])]), Buffer.alloc(64)]) {
      await expect(ours(`${h}.${p}.${bad.toString('base64url')}`)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    }
  });

  it('rejects a second spelling of a genuine signature (non-zero unused bits)', async () => {
    const token = raw(claims());
    const last = token.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(last) | 1]}`;
    expect(Buffer.from(respelled.split('.')[2] as string, 'base64url')).toEqual(Buffer.from(token.split('.')[2] as string, 'base64url'));
    await expect(ours(token)).resolves.toBeTruthy();
    await expect(ours(respelled)).rejects.toBeInstanceOf(errors.JWSInvalid);
  });

  it('rejects segments of impossible length or with characters outside base64url', () => {
    expect(() => decodeBase64urlStrict('abcde')).toThrow(TypeError);
    expect(() => decodeBase64urlStrict('ab+/')).toThrow(TypeError);
    expect(() => decodeBase64urlStrict('YQ==')).toThrow(TypeError);
    expect(decodeBase64urlStrict('YWI').toString()).toBe('ab');
  });
});

describe('admission verifier error codes for the new signature path', () => {
  const v = admissionVerifier({ jwks, clockToleranceSeconds: TOLERANCE });
  let genuine: string;
  beforeAll(() => {
    genuine = raw(claims());
  });

  it('accepts a genuine token and answers each kind of bad signature with its code', async () => {
    await expect(v.verify(`Bearer ${genuine}`)).resolves.toMatchObject({ claims: { sub: 'shopper-1' }, expired: false });
    await expect(v.verify(`Bearer ${raw(claims(), { der: true })}`)).rejects.toMatchObject({ code: 'AUTH_INVALID_SIGNATURE', status: 401 });
    await expect(v.verify(`Bearer ${raw(claims(), { key: p384.privateKey, hash: 'sha384' })}`)).rejects.toMatchObject({
      code: 'AUTH_INVALID_SIGNATURE',
    });
    await expect(v.verify(`Bearer ${raw(claims(), { header: { alg: 'ES256', kid: 'k384' } })}`)).rejects.toMatchObject({
      code: 'AUTH_UNKNOWN_KEY',
    });
    await expect(
      v.verify(`Bearer ${raw(claims(), { header: { alg: 'ES384', kid: 'k384' }, key: p384.privateKey, hash: 'sha384' })}`),
    ).rejects.toMatchObject({
      code: 'AUTH_ALG_NOT_ALLOWED',
    });
    const [h, p] = genuine.split('.');
    await expect(v.verify(`Bearer ${h}.${p}.abcde`)).rejects.toMatchObject({ code: 'AUTH_MALFORMED' });
    await expect(v.verify(`Bearer ${h}x.${p}.abcd`)).rejects.toMatchObject({ code: 'AUTH_MALFORMED' });
  });
});

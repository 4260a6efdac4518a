import { randomUUID } from 'node:crypto';
import { ADMISSION_AUDIENCE, ADMISSION_ISSUER } from '@flashgate/shared/contracts';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * Hostile admission tokens. The bench cannot sign with the waiting room's key, so forged tokens use
 * a key of its own (under the real `kid`, to get past a lookup by kid); `tampered` keeps a real
 * signature over edited claims; `alg-none` and `hs256` (the public JWK used as an HMAC secret) are the
 * classic algorithm confusions.
 */
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export interface ForgedTokens {
  forgedEs256: string;
  forgedUnknownKid: string;
  algNone: string;
  hs256KeyConfusion: string;
  expired: string;
  wrongAudience: string;
  wrongIssuer: string;
  tampered: string;
}

export async function forgeTokens(opts: {
  promotionId: string;
  realKid: string | undefined;
  realJwk: unknown;
  legitToken: string;
}): Promise<ForgedTokens> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const now = Math.floor(Date.now() / 1000);
  const claims = (over: Record<string, unknown> = {}) => ({
    iss: ADMISSION_ISSUER,
    aud: ADMISSION_AUDIENCE,
    sub: `forger-${randomUUID()}`,
    promotion_id: opts.promotionId,
    jti: randomUUID(),
    iat: now,
    exp: now + 600,
    ...over,
  });
  const kid = opts.realKid ?? 'bench-kid';
  const es = (c: Record<string, unknown>, k = kid) =>
    new SignJWT(c).setProtectedHeader({ alg: 'ES256', kid: k, typ: 'JWT' }).sign(privateKey);
  const [headerPart, payloadPart, sigPart] = opts.legitToken.split('.');
  const legitClaims = JSON.parse(Buffer.from(payloadPart ?? '', 'base64url').toString('utf8') || '{}') as Record<string, unknown>;
  const hmacSecret = new TextEncoder().encode(JSON.stringify(opts.realJwk ?? (await exportJWK(privateKey))));
  return {
    forgedEs256: await es(claims()),
    forgedUnknownKid: await es(claims(), `unknown-${randomUUID()}`),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
    hs256KeyConfusion: await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' }).sign(hmacSecret),
    expired: await es(claims({ iat: now - 7_200, exp: now - 3_600 })),
    wrongAudience: await es(claims({ aud: 'someone-else' })),
    wrongIssuer: await es(claims({ iss: 'not-the-waiting-room' })),
    tampered: `${headerPart}.${b64({ ...legitClaims, sub: `tampered-${randomUUID()}`, exp: now + 3_600 })}.${sigPart}`,
  };
}

import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * The visitor token binds a shopper id to one promotion: `base64url(payload).base64url(hmac)`,
 * HMAC-SHA256 over the payload part. Presenting it again (refresh, second tab, another node) finds
 * the same place; it grants nothing beyond that, so a compact symmetric token is enough.
 */
export interface VisitorClaims {
  shopperId: string;
  promotionId: string;
  issuedAt: number;
  expiresAt: number;
}

export type VisitorTokenCheck =
  | { ok: true; claims: VisitorClaims }
  | { ok: false; code: 'VISITOR_TOKEN_INVALID' | 'VISITOR_TOKEN_EXPIRED' | 'VISITOR_TOKEN_WRONG_PROMOTION'; message: string };

export interface VisitorTokens {
  issue(promotionId: string, now?: number, shopperId?: string): { token: string; claims: VisitorClaims };
  verify(token: string, promotionId: string, now?: number): VisitorTokenCheck;
}

const PART = /^[A-Za-z0-9_-]+$/;

export function createVisitorTokens(secret: string, ttlSeconds: number): VisitorTokens {
  if (secret.length < 16) throw new Error('visitor token secret must be at least 16 characters');
  const mac = (payload: string) => createHmac('sha256', secret).update(payload).digest();
  return {
    issue(promotionId, now = Date.now(), shopperId = randomUUID()) {
      const iat = Math.floor(now / 1000);
      const claims: VisitorClaims = { shopperId, promotionId, issuedAt: iat, expiresAt: iat + ttlSeconds };
      const payload = Buffer.from(JSON.stringify({ s: shopperId, p: promotionId, iat, exp: claims.expiresAt })).toString('base64url');
      return { token: `${payload}.${mac(payload).toString('base64url')}`, claims };
    },
    verify(token, promotionId, now = Date.now()) {
      const invalid = {
        ok: false,
        code: 'VISITOR_TOKEN_INVALID',
        message: 'visitor token is malformed or its signature does not match',
      } as const;
      const [payload, sig, extra] = token.split('.');
      if (!payload || !sig || extra !== undefined || !PART.test(payload) || !PART.test(sig)) return invalid;
      const expected = mac(payload);
      const given = Buffer.from(sig, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
      let body: { s?: unknown; p?: unknown; iat?: unknown; exp?: unknown };
      try {
        body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        return invalid;
      }
      if (typeof body.s !== 'string' || typeof body.p !== 'string' || typeof body.iat !== 'number' || typeof body.exp !== 'number') {
        return invalid;
      }
      if (body.exp * 1000 <= now) return { ok: false, code: 'VISITOR_TOKEN_EXPIRED', message: 'visitor token has expired' };
      if (body.p !== promotionId) {
        return { ok: false, code: 'VISITOR_TOKEN_WRONG_PROMOTION', message: 'visitor token belongs to another promotion' };
      }
      return { ok: true, claims: { shopperId: body.s, promotionId: body.p, issuedAt: body.iat, expiresAt: body.exp } };
    },
  };
}

import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import {
  ADMISSION_ALGORITHMS,
  ADMISSION_AUDIENCE,
  ADMISSION_ISSUER,
  type AdmissionClaims,
  admissionClaimsSchema,
} from '@flashgate/shared/contracts';
import { AppError, dependencyUnavailable } from '@flashgate/shared/errors';
import { decodeEs256Header, verifyEs256Jwt } from './es256-jwt.js';

export interface VerifiedAdmission {
  claims: AdmissionClaims;
  /** The token is genuine but past `exp` (only returned when the caller allowed it). */
  expired: boolean;
}

export interface AdmissionVerifier {
  /** Throws AppError 401/403/503 with a precise code; never touches anything but the JWKS. */
  verify(authorization: string | undefined, opts?: { allowExpired?: boolean }): Promise<VerifiedAdmission>;
}

/** Every rejection code (a closed set: it labels gateway_auth_rejections_total). */
export const AUTH_CODES = [
  'AUTH_MISSING',
  'AUTH_MALFORMED',
  'AUTH_ALG_NOT_ALLOWED',
  'AUTH_UNKNOWN_KEY',
  'AUTH_INVALID_SIGNATURE',
  'AUTH_TOKEN_EXPIRED',
  'AUTH_TOKEN_NOT_YET_VALID',
  'AUTH_WRONG_ISSUER',
  'AUTH_WRONG_AUDIENCE',
  'AUTH_INVALID_CLAIMS',
  'PROMOTION_MISMATCH',
] as const;
export type AuthCode = (typeof AUTH_CODES)[number];

export function authError(code: AuthCode, message: string, cause?: unknown): AppError {
  const status = code === 'PROMOTION_MISMATCH' ? 403 : 401;
  const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': `Bearer error="invalid_token"` } : {};
  return new AppError(code, message, { status, cause, headers });
}

const ALGORITHMS: string[] = [...ADMISSION_ALGORITHMS];
const REQUIRED_CLAIMS = ['sub', 'jti', 'exp', 'iat'] as const;
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/**
 * Verifies admission JWTs against waiting-room's JWKS. The key set is fetched once and cached
 * (imported keys included), refetched when a token names an unknown `kid` — at most once per
 * cooldown, so random kids cannot turn the gateway into a JWKS flooder. Algorithms are pinned to
 * ES256 before anything else looks at the token, so `alg: none` and HS256-with-the-public-key never get
 * near a key. The signature and claims are checked by `verifyEs256Jwt` (node:crypto, jose's rules).
 */
export function admissionVerifier(opts: {
  jwks: JWTVerifyGetKey;
  clockToleranceSeconds: number;
  now?: () => number;
  /** Verified-token cache (see VerifiedTokenCache); omitted or maxEntries 0 = verify every time. */
  cache?: { maxEntries: number; maxAgeMs: number };
}): AdmissionVerifier {
  const clock = opts.now ?? Date.now;
  const cache = opts.cache && opts.cache.maxEntries > 0 ? new VerifiedTokenCache(opts.cache.maxEntries, opts.cache.maxAgeMs) : undefined;
  return {
    async verify(authorization, { allowExpired = false } = {}) {
      if (!authorization) throw authError('AUTH_MISSING', 'Authorization: Bearer <admission token> is required');
      const m = BEARER.exec(authorization);
      if (!m) throw authError('AUTH_MALFORMED', 'Authorization must be "Bearer <JWT>"');
      const token = m[1] as string;
      const cached = cache?.get(token, clock());
      if (cached) return { claims: cached, expired: false };
      let header: Record<string, unknown>;
      try {
        header = decodeEs256Header(token);
      } catch (cause) {
        throw authError('AUTH_MALFORMED', 'the token header is not valid', cause);
      }
      if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) {
        throw authError('AUTH_ALG_NOT_ALLOWED', `token algorithm ${String(header.alg)} is not accepted`);
      }
      if (typeof header.kid !== 'string' || header.kid.length === 0) throw authError('AUTH_MALFORMED', 'the token has no kid');

      let payload: unknown;
      let expired = false;
      try {
        const res = await verifyEs256Jwt(
          token,
          opts.jwks,
          {
            issuer: ADMISSION_ISSUER,
            audience: ADMISSION_AUDIENCE,
            requiredClaims: REQUIRED_CLAIMS,
            clockToleranceSeconds: opts.clockToleranceSeconds,
            nowMs: clock(),
          },
          header,
        );
        payload = res.payload;
      } catch (err) {
        // verifyEs256Jwt (like jose) checks iss, aud and nbf before exp, and the signature before any claim: an expired
        // error therefore carries a payload that is genuine and otherwise valid.
        if (allowExpired && err instanceof errors.JWTExpired && err.claim === 'exp') {
          payload = err.payload;
          expired = true;
        } else {
          throw mapJoseError(err);
        }
      }
      const claims = admissionClaimsSchema.safeParse(payload);
      if (!claims.success) throw authError('AUTH_INVALID_CLAIMS', 'the token claims are incomplete or invalid');
      if (cache && !expired) cache.set(token, claims.data, clock(), opts.clockToleranceSeconds);
      return { claims: claims.data, expired };
    },
  };
}

/**
 * Claims of tokens that passed full verification, keyed by the whole raw token (header, payload and
 * signature: a different byte anywhere is a different key), so a shopper's retries, order polls and
 * confirm do not pay an ES256 verification each. An entry answers only while jose would still
 * accept the token — until `exp` + clock tolerance — and never longer than `maxAgeMs` (the JWKS
 * cache age: a key withdrawn from the JWKS stops being honoured as soon as it would without this
 * cache). Tokens past `exp` are never cached, so the expired-token rules always run in full.
 * Bounded: the oldest entries are evicted first.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { claims: AdmissionClaims; verifiedAt: number; until: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  get(token: string, nowMs: number): AdmissionClaims | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    // A clock that went back before the verification is not trusted with the cached answer.
    if (nowMs >= e.until || nowMs < e.verifiedAt) {
      this.entries.delete(token);
      return undefined;
    }
    return e.claims;
  }

  set(token: string, claims: AdmissionClaims, nowMs: number, clockToleranceSeconds: number): void {
    const until = Math.min((claims.exp + clockToleranceSeconds) * 1000, nowMs + this.maxAgeMs);
    if (until <= nowMs) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { claims, verifiedAt: nowMs, until });
  }

  get size(): number {
    return this.entries.size;
  }
}

function mapJoseError(err: unknown): AppError {
  if (err instanceof errors.JWTExpired) return authError('AUTH_TOKEN_EXPIRED', 'the admission token has expired', err);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return authError('AUTH_WRONG_ISSUER', 'the token was not issued by the waiting room', err);
    if (err.claim === 'aud') return authError('AUTH_WRONG_AUDIENCE', 'the token is not meant for the order gateway', err);
    if (err.claim === 'nbf') return authError('AUTH_TOKEN_NOT_YET_VALID', 'the admission token is not valid yet', err);
    return authError('AUTH_INVALID_CLAIMS', `the token claim ${err.claim} is invalid`, err);
  }
  if (err instanceof errors.JWKSNoMatchingKey) return authError('AUTH_UNKNOWN_KEY', 'the token was signed with an unknown key', err);
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return authError('AUTH_INVALID_SIGNATURE', 'the token signature is invalid', err);
  if (err instanceof errors.JOSEAlgNotAllowed) return authError('AUTH_ALG_NOT_ALLOWED', 'token algorithm is not accepted', err);
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid)
    return authError('AUTH_MALFORMED', 'the token is malformed', err);
  if (err instanceof errors.JOSENotSupported) return authError('AUTH_ALG_NOT_ALLOWED', 'token key type is not accepted', err);
  // JWKS timeout, unreachable, or not a key set: we cannot judge the token, which is not its fault.
  return dependencyUnavailable('waiting-room JWKS', err);
}

/** The remote key set of waiting-room, with jose's cache and unknown-kid cooldown. */
export function remoteJwks(
  waitingRoomUrl: string,
  opts: { cacheMaxAgeMs: number; cooldownMs: number; timeoutMs: number },
): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(`${waitingRoomUrl.replace(/\/+$/, '')}/.well-known/jwks.json`), {
    cacheMaxAge: opts.cacheMaxAgeMs,
    cooldownDuration: opts.cooldownMs,
    timeoutDuration: opts.timeoutMs,
  });
}

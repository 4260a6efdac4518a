import { ADMISSION_AUDIENCE, ADMISSION_ISSUER } from '@flashgate/shared/contracts';
import { dependencyUnavailable } from '@flashgate/shared/errors';
import type { Logger } from '@flashgate/shared/logger';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import type { AdmissionSigner } from '../../domain/admission-signer.js';
import { MAX_TOKEN_TTL_SECONDS } from '../../domain/promotion-input.js';
import { type KeyPolicy, pendingKey, planRotation, publishedKeys, signingKeyAt } from '../../domain/signing-keys.js';
import type { SigningKeyRepository, StoredSigningKey } from '../db/signing-key.repository.js';

const ALG = 'ES256';

export interface KeyRingOptions {
  repo: SigningKeyRepository;
  policy: KeyPolicy;
  logger: Logger;
  /** How often the ring reloads keys and checks whether a rotation is due; must be well under publish-ahead. */
  refreshMs: number;
  clock?: () => Date;
  /** Told of every key this node created (for a counter). */
  onCreated?: () => void;
}

export interface Jwks {
  keys: JWK[];
}

/**
 * Every node's view of the shared signing keys: signs with the current one, serves the published
 * ones as the JWKS, and rotates on schedule (any node may; the repository's lock keeps it to one).
 */
export class KeyRing implements AdmissionSigner {
  readonly #opts: KeyRingOptions;
  #keys: StoredSigningKey[] = [];
  readonly #imported = new Map<string, Promise<CryptoKey>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: KeyRingOptions) {
    this.#opts = opts;
  }

  #now(): Date {
    return this.#opts.clock?.() ?? new Date();
  }

  async start(): Promise<void> {
    await this.maintain();
    this.#timer = setInterval(() => {
      this.maintain().catch((err) => this.#opts.logger.warn({ err: (err as Error).message }, 'signing key maintenance failed'));
    }, this.#opts.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Reloads keys, rotates if due, and forgets keys that have left the JWKS. */
  async maintain(): Promise<void> {
    await this.reload();
    const now = this.#now();
    if (planRotation(this.#keys, now, this.#opts.policy)) await this.#rotate(false);
    const dropped = await this.#opts.repo.deleteRetiredBefore(now);
    if (dropped > 0) await this.reload();
  }

  async reload(): Promise<void> {
    this.#keys = await this.#opts.repo.list();
    const known = new Set(this.#keys.map((k) => k.kid));
    for (const kid of this.#imported.keys()) if (!known.has(kid)) this.#imported.delete(kid);
  }

  /** On-demand rotation: a new key, published now, signing after publish-ahead. Returns the pending key. */
  async rotateNow(): Promise<{ kid: string; activatesAt: Date; created: boolean }> {
    const created = await this.#rotate(true);
    const pending = created ?? pendingKey(this.#keys, this.#now());
    if (!pending) throw new Error('rotation produced no pending key');
    return { kid: pending.kid, activatesAt: pending.activatesAt, created: created !== undefined };
  }

  async #rotate(force: boolean): Promise<StoredSigningKey | undefined> {
    let now = this.#now();
    // `now` is read again under the lock: a decision on a time from before another node's insert would miss its key.
    const decide = (keys: StoredSigningKey[]) => {
      now = this.#now();
      return planRotation(keys, now, this.#opts.policy, force);
    };
    const created = await this.#opts.repo.rotate(decide, generateKey, () => now);
    await this.reload();
    if (created) {
      this.#opts.onCreated?.();
      this.#opts.logger.info({ kid: created.kid, activatesAt: created.activatesAt.toISOString() }, 'admission signing key created');
    }
    return created;
  }

  jwks(): Jwks {
    return {
      keys: publishedKeys(this.#keys, this.#now()).map((k) => ({ ...(k.publicJwk as JWK), kid: k.kid, alg: ALG, use: 'sig' })),
    };
  }

  /** The schedule as operators see it (no key material). */
  schedule(): { kid: string; createdAt: Date; activatesAt: Date; retiresAt: Date | null; signing: boolean }[] {
    const now = this.#now();
    const current = signingKeyAt(this.#keys, now);
    return publishedKeys(this.#keys, now).map((k) => ({
      kid: k.kid,
      createdAt: k.createdAt,
      activatesAt: k.activatesAt,
      retiresAt: k.retiresAt,
      signing: k.kid === current?.kid,
    }));
  }

  async sign(input: { shopperId: string; promotionId: string; jti: string; ttlSeconds: number; now?: Date }) {
    if (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds < 1 || input.ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
      // Keys are retained for MAX_TOKEN_TTL_SECONDS after their last use; a longer token would outlive its key.
      throw new RangeError(`ttlSeconds must be an integer in 1..${MAX_TOKEN_TTL_SECONDS}, got ${input.ttlSeconds}`);
    }
    const now = input.now ?? this.#now();
    const key = signingKeyAt(this.#keys, now);
    if (!key) throw dependencyUnavailable('admission signing key');
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + input.ttlSeconds;
    const token = await new SignJWT({ promotion_id: input.promotionId })
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(ADMISSION_ISSUER)
      .setAudience(ADMISSION_AUDIENCE)
      .setSubject(input.shopperId)
      .setJti(input.jti)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .sign(await this.#privateKey(key));
    return { token, expiresAt: new Date(exp * 1000) };
  }

  #privateKey(key: StoredSigningKey): Promise<CryptoKey> {
    let imported = this.#imported.get(key.kid);
    if (!imported) {
      imported = importJWK(key.privateJwk as JWK, ALG) as Promise<CryptoKey>;
      this.#imported.set(key.kid, imported);
    }
    return imported;
  }
}

async function generateKey() {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, publicJwk: { ...publicJwk }, privateJwk: { ...privateJwk } };
}

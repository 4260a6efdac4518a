/**
 * The admission-key schedule. A key is published in the JWKS from the moment it is created, signs
 * from `activatesAt` (at least the publish-ahead later, so every verifier's cached JWKS has it
 * before the first token signed with it arrives), stops signing when its successor activates, and
 * leaves the JWKS at `retiresAt` = successor's activation + max token TTL + clock skew, when no
 * token it signed can still be valid.
 */
export interface KeySchedule {
  kid: string;
  createdAt: Date;
  activatesAt: Date;
  retiresAt: Date | null;
}

export interface KeyPolicy {
  publishAheadMs: number;
  rotationMs: number;
  /** Max token TTL + clock skew between nodes. */
  retainMs: number;
  /** How far nodes' clocks may disagree; a first key is back-dated by this so every node can sign at once. */
  clockSkewMs: number;
}

// Inserted rows are visible to every node at once; createdAt (another node's clock) does not gate publishing.
const published = (k: KeySchedule, now: Date) => k.retiresAt === null || k.retiresAt > now;

/** Keys a verifier must know at `now`: the signing one, pending ones, and those whose tokens may live. */
export function publishedKeys<K extends KeySchedule>(keys: readonly K[], now: Date): K[] {
  return keys.filter((k) => published(k, now)).sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
}

/** The key to sign with at `now`: the latest one already active and not retired. */
export function signingKeyAt<K extends KeySchedule>(keys: readonly K[], now: Date): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (k.activatesAt > now || !published(k, now)) continue;
    if (!best || k.activatesAt > best.activatesAt) best = k;
  }
  return best;
}

export function pendingKey<K extends KeySchedule>(keys: readonly K[], now: Date): K | undefined {
  return keys.find((k) => k.activatesAt > now);
}

export interface RotationPlan {
  activatesAt: Date;
  /** Predecessors that get their retirement date now that their successor is known. */
  retire: { kid: string; retiresAt: Date }[];
}

/**
 * What to create at `now`, if anything. Without any usable key (first start) the new key signs at
 * once, back-dated by the clock skew so nodes whose clocks lag can sign too: no token exists yet
 * that a verifier could fail on. Otherwise it activates publish-ahead from now, once the current
 * key has served its rotation period (minus publish-ahead) or when `force`d (on-demand rotation).
 */
export function planRotation(keys: readonly KeySchedule[], now: Date, policy: KeyPolicy, force = false): RotationPlan | undefined {
  if (pendingKey(keys, now)) return undefined;
  const current = signingKeyAt(keys, now);
  let activatesAt: Date;
  if (!current) activatesAt = new Date(now.getTime() - policy.clockSkewMs);
  else if (force || current.activatesAt.getTime() + policy.rotationMs - policy.publishAheadMs <= now.getTime()) {
    activatesAt = new Date(now.getTime() + policy.publishAheadMs);
  } else return undefined;
  const retire = keys
    .filter((k) => k.retiresAt === null && k.activatesAt < activatesAt)
    .map((k) => ({ kid: k.kid, retiresAt: new Date(activatesAt.getTime() + policy.retainMs) }));
  return { activatesAt, retire };
}

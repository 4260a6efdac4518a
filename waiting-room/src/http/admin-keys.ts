import type { AppEnv } from '@flashgate/shared/http';
import { Hono } from 'hono';
import type { KeyRing } from '../adapters/keys/key-ring.js';

const view = (k: { kid: string; createdAt: Date; activatesAt: Date; retiresAt: Date | null; signing?: boolean }) => ({
  kid: k.kid,
  createdAt: k.createdAt.toISOString(),
  activatesAt: k.activatesAt.toISOString(),
  retiresAt: k.retiresAt?.toISOString() ?? null,
  ...(k.signing === undefined ? {} : { signing: k.signing }),
});

/** Admission-key operations; mounted under /admin behind adminAuth. */
export function adminKeyRoutes(ring: KeyRing) {
  const r = new Hono<AppEnv>();
  r.get('/keys', (c) => c.json({ keys: ring.schedule().map(view) }));
  /** 202: the new key is published now and signs after the publish-ahead; repeating returns the same pending key. */
  r.post('/keys/rotate', async (c) => {
    const pending = await ring.rotateNow();
    return c.json({ kid: pending.kid, activatesAt: pending.activatesAt.toISOString(), created: pending.created }, 202);
  });
  return r;
}

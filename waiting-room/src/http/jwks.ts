import type { AppEnv } from '@flashgate/shared/http';
import { Hono } from 'hono';
import type { KeyRing } from '../adapters/keys/key-ring.js';

/**
 * Public keys for admission tokens. Verifiers may cache for 60 s, which is why a new key is
 * published KEY_PUBLISH_AHEAD_SECONDS (≥ 60) before it signs anything.
 */
export function jwksRoutes(ring: KeyRing) {
  const r = new Hono<AppEnv>();
  r.get('/.well-known/jwks.json', (c) => c.json(ring.jwks(), 200, { 'Cache-Control': 'public, max-age=60' }));
  return r;
}

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of inventory-reservations' test fixture (src/test-support.ts) the gateway's e2e tests use. */
export interface RealInventory {
  inv: { config: { NATS_SUBJECT_PREFIX: string; DATABASE_URL: string } };
  request: <T = any>(verb: 'prepare', body: unknown) => Promise<T>;
  snapshot: (over?: Record<string, unknown>) => { promotionId: string } & Record<string, unknown>;
  apply: (s: unknown) => Promise<'applied' | 'stale'>;
  close: () => Promise<void>;
}

/**
 * The REAL inventory-reservations service (its own wiring, Redis scripts, NATS handlers and
 * Postgres), through its test fixture. Loaded by path so order-gateway takes no build dependency on
 * another service's package.
 */
export async function startRealInventory(): Promise<RealInventory> {
  const fixturePath = join(fileURLToPath(new URL('.', import.meta.url)), '../../../inventory-reservations/src/test-support.ts');
  const { startFixture } = (await import(fixturePath)) as { startFixture: () => Promise<RealInventory> };
  return startFixture();
}

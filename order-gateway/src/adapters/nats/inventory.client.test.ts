import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '@flashgate/shared/clients';
import { natsNames } from '@flashgate/shared/contracts';
import { createMetrics } from '@flashgate/shared/metrics';
import { testServers, uniqueName } from '@flashgate/shared/testing';
import { CircuitState } from 'cockatiel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayMetrics } from '../../metrics.js';
import { PRODUCTS, PROMO, testClock } from '../../testing/gateway-fixture.js';
import { startTestInventory, type TestInventory } from '../../testing/test-inventory.js';
import { DependencyError, dependencyGuard } from '../resilience.js';
import { natsInventoryClient } from './inventory.client.js';

describe('inventory client, batched holds, and the inventory breaker', () => {
  let nc: NatsConnection;
  let inventory: TestInventory;
  const names = natsNames(uniqueName('invclient'));
  beforeAll(async () => {
    nc = await connectNats(testServers().natsUrl);
    inventory = await startTestInventory(nc, names, { [PROMO]: PRODUCTS }, testClock());
  });
  afterAll(async () => {
    await inventory?.stop();
    await nc?.drain();
  });

  const hold = (sku: string, n: string) => ({ orderId: `o-${n}`, promotionId: PROMO, shopperId: `s-${n}`, lines: [{ sku, quantity: 1 }] });

  it('a batch with one UNAVAILABLE hold is a failed call: enough of them open the breaker, though their other holds succeed', async () => {
    const guard = dependencyGuard(
      'inventory',
      { threshold: 3, halfOpenMs: 60_000 },
      createGatewayMetrics(createMetrics('t', { defaultMetrics: false })),
    );
    const client = natsInventoryClient(nc, names, guard, 2_000, 64);
    inventory.behaviour.unavailableSku = 'SKU-C';
    try {
      for (let i = 0; i < 3; i++) {
        expect(guard.breaker.state).toBe(CircuitState.Closed);
        // Asked in the same turn: one batch.
        const [failing, fine] = await Promise.allSettled([client.hold(hold('SKU-C', `c${i}`)), client.hold(hold('SKU-A', `a${i}`))]);
        expect(failing.status).toBe('rejected');
        expect((failing as PromiseRejectedResult).reason).toBeInstanceOf(DependencyError);
        expect(fine).toMatchObject({ status: 'fulfilled', value: { ok: true } });
      }
      expect(guard.breaker.state).toBe(CircuitState.Open);
      const holdsBefore = inventory.requests.hold;
      await expect(client.hold(hold('SKU-A', 'after'))).rejects.toMatchObject({ breakerOpen: true });
      expect(inventory.requests.hold).toBe(holdsBefore);
    } finally {
      inventory.behaviour.unavailableSku = undefined;
    }
  });
});

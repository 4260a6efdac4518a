import { createRedis } from '@flashgate/shared/clients';
import { testServers, uniqueName } from '@flashgate/shared/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayKeys } from '../redis/keys.js';
import { memoryLedger, redisLedger } from './sim-ledger.js';
import { SIM_CARDS, SimulatedPaymentProvider } from './simulated-payment-provider.js';

const redis = createRedis(testServers().redisUrl, { name: 'sim-payment-test' });
const prefix = uniqueName('simpay');
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const ledgers = {
  memory: () => memoryLedger(),
  redis: () => redisLedger(redis, gatewayKeys(prefix)),
};

describe.each(Object.entries(ledgers))('SimulatedPaymentProvider on the %s ledger', (_name, ledger) => {
  const provider = () => new SimulatedPaymentProvider({ latencyMs: 0, declineRate: 0, ledger: ledger() });
  const req = (key: string, paymentMethod: string = SIM_CARDS.approve) => ({
    idempotencyKey: key,
    amountCents: 500,
    shopperId: 's',
    paymentMethod,
  });

  it('answers one charge per key, whatever the repeat carries, and finds it by that key', async () => {
    const p = provider();
    const key = uniqueName('ord');
    expect(await p.findCharge(key)).toBeNull();
    const racing = await Promise.all([p.charge(req(key)), p.charge(req(key)), p.charge(req(key, SIM_CARDS.decline))]);
    const first = racing[0]!;
    expect(first.ok).toBe(true);
    expect(new Set(racing.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await p.charge(req(key, SIM_CARDS.error))).toEqual(first);
    expect(await p.findCharge(key)).toEqual(first);
  });

  it('keeps a decline under its key; a failed call leaves no charge behind', async () => {
    const p = provider();
    const declined = uniqueName('ord');
    expect((await p.charge(req(declined, SIM_CARDS.decline))).ok).toBe(false);
    expect((await p.charge(req(declined))).ok).toBe(false);
    const failed = uniqueName('ord');
    await expect(p.charge(req(failed, SIM_CARDS.error))).rejects.toThrow();
    expect(await p.findCharge(failed)).toBeNull();
  });

  it('refunds a charge once, however often asked', async () => {
    const p = provider();
    const charge = await p.charge(req(uniqueName('ord')));
    if (!charge.ok) throw new Error('declined');
    await Promise.all([p.refund(charge.paymentReference), p.refund(charge.paymentReference)]);
    expect(await p.ledger.isRefunded(charge.paymentReference)).toBe(true);
    expect(await p.ledger.putRefund(charge.paymentReference)).toBe(false);
  });
});

it('two provider instances on one Redis ledger see each other’s charges (two gateway processes)', async () => {
  const a = new SimulatedPaymentProvider({ latencyMs: 0, declineRate: 0, ledger: ledgers.redis() });
  const b = new SimulatedPaymentProvider({ latencyMs: 0, declineRate: 0, ledger: ledgers.redis() });
  const key = uniqueName('ord');
  const charged = await a.charge({ idempotencyKey: key, amountCents: 1, shopperId: 's', paymentMethod: SIM_CARDS.approve });
  expect(await b.findCharge(key)).toEqual(charged);
  expect(await b.charge({ idempotencyKey: key, amountCents: 1, shopperId: 's', paymentMethod: SIM_CARDS.approve })).toEqual(charged);
});

import type { Redis } from 'ioredis';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics, type ServiceMetrics } from '@flashgate/shared/metrics';
import { buildApp } from '../app.js';
import type { PaymentProvider } from '../domain/payment-provider.js';
import { client, type Gateway, type TestClient } from './gateway-fixture.js';

export interface GatewayProcess {
  api: TestClient;
  metrics: ServiceMetrics;
  /** Stops its sweeper (the process "exits"). */
  stop: () => void;
}

/**
 * Another gateway process beside `gw`: same config, NATS and clock, its own payment provider
 * instance, its own Redis connection if given (one a test can cut), a sweeper every `sweepEveryMs`
 * (none by default), and its own clock if given (a host whose clock is off from the others').
 */
export function gatewayProcess(
  gw: Gateway,
  opts: { payment: PaymentProvider; redis?: Redis; sweepEveryMs?: number; now?: () => number },
): GatewayProcess {
  const background = new AbortController();
  if (!opts.sweepEveryMs) background.abort();
  const metrics = createMetrics('order-gateway', { defaultMetrics: false });
  const app = buildApp({
    config: { ...gw.config, CONFIRM_RECOVERY_INTERVAL_MS: opts.sweepEveryMs ?? 0 },
    logger: createLogger('order-gateway', 'silent'),
    metrics,
    redis: opts.redis ?? gw.redis,
    nc: gw.nc,
    payment: opts.payment,
    now: opts.now ?? gw.clock.now,
    signal: background.signal,
  });
  return { api: client({ ...gw, app }), metrics, stop: () => background.abort() };
}

/**
 * Where a payment attempt dies: `before-charge` (after the gateway recorded its charge key, before
 * the provider got the request), `after-charge` (the provider charged; the gateway process dies before
 * writing anything more), `response-lost` (the provider charged; its answer never arrives).
 */
export type PaymentCrash = 'before-charge' | 'after-charge' | 'response-lost';

/**
 * `inner` (the real provider, reached over the network) seen through a gateway that fails at `at`.
 * `die` cuts the dying process off from Redis, so nothing it would write next (the reference, the
 * unlock) lands: what a crash, or a Redis write failing for good, leaves. Each of `times` charge calls fails this way; later ones go through.
 */
export function crashingPayment(inner: PaymentProvider, at: PaymentCrash, die: () => void, times = 1): PaymentProvider {
  let left = times;
  return {
    name: `crashing(${inner.name})`,
    async charge(req, signal) {
      if (left <= 0) return inner.charge(req, signal);
      left--;
      if (at === 'before-charge') {
        die();
        throw new Error('the gateway died before the charge request left');
      }
      const result = await inner.charge(req, signal);
      if (at === 'response-lost') throw new Error('the charge landed but its answer never arrived');
      die(); // the gateway now tries to record the reference: that write, and every later one, fails
      return result;
    },
    findCharge: (key, signal) => inner.findCharge(key, signal),
    refund: (ref, signal) => inner.refund(ref, signal),
  };
}

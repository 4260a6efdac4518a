import { commonEnv, envEnum, envInt, envList, envNumber, envUrl, parseEnv, z } from '@flashgate/shared/config';
import { HOLD_BATCH_MAX } from '@flashgate/shared/contracts';

/** Every variable is documented in order-gateway/README.md. */
export const configSchema = z.object({
  ...commonEnv,
  PORT: envInt(3002, { min: 0, max: 65535 }),
  /** Worker processes started by cluster.js (0 = one per core); main.js is always one process. */
  WORKERS: envInt(0, { min: 0, max: 256 }),
  /**
   * Who accepts connections under cluster.js: `os` each worker (default), `rr` the primary, which passes every
   * connection's handle to a worker over IPC. In a flash sale every admitted shopper opens a new connection;
   * with `rr` those handoffs queued behind each other and orders waited 10 s before the worker saw them, at 40 %
   * CPU (bench/RESULTS.md, "flash-sale — 20,000 shoppers … session 2").
   */
  CLUSTER_SCHEDULING: envEnum(['rr', 'os'], 'os'),
  /** Listen queue of the HTTP port (capped by the kernel's net.core.somaxconn); Node's default is 511. */
  LISTEN_BACKLOG: envInt(4_096, { min: 1, max: 65_535 }),

  // Admission tokens
  WAITING_ROOM_URL: envUrl('http://127.0.0.1:3001', ['http', 'https']),
  /** Browser origins allowed to call the gateway (the waiting-room origin serving the checkout page); empty = none. */
  CORS_ALLOWED_ORIGINS: envList([]),
  JWKS_CACHE_MAX_AGE_MS: envInt(600_000, { min: 1_000 }),
  JWKS_COOLDOWN_MS: envInt(30_000, { min: 0 }),
  JWKS_TIMEOUT_MS: envInt(2_000, { min: 50 }),
  JWT_CLOCK_TOLERANCE_SECONDS: envInt(5, { min: 0, max: 300 }),
  /** Verified admission tokens remembered per process (their retries skip ES256); 0 = verify every request. */
  ADMISSION_CACHE_MAX_ENTRIES: envInt(20_000, { min: 0 }),
  /** How long after the hold's expiry a past-`exp` admission token may still read/cancel its own order. */
  ORDER_TOKEN_GRACE_SECONDS: envInt(900, { min: 0 }),

  // Idempotency and order records
  IDEMPOTENCY_TTL_SECONDS: envInt(86_400, { min: 60 }),
  IDEMPOTENCY_IN_FLIGHT_TTL_SECONDS: envInt(30, { min: 1 }),
  ORDER_RETENTION_SECONDS: envInt(86_400, { min: 60 }),
  CONFIRM_LOCK_SECONDS: envInt(30, { min: 1 }),
  /** How often each process looks for confirms stuck past CONFIRM_LOCK_SECONDS and resumes them; 0 = off. */
  CONFIRM_RECOVERY_INTERVAL_MS: envInt(5_000, { min: 0 }),

  // Timeouts, breakers, bulkheads. At the opening of a sale both cores are busy and event-loop
  // delays of a few hundred ms are normal: a 250 ms timeout and 5 consecutive failures tripped the
  // breakers on latency alone, shedding orders with 503 for 5 s while the gateway's CPU sat at 9 %
  // (bench flash-sale, 5,000 shoppers). A dead dependency still trips in milliseconds under load
  // (20 failures), and a breaker retries after 1 s, as the seed design asks.
  INVENTORY_TIMEOUT_MS: envInt(1_500, { min: 10 }),
  /** Holds sent together (one NATS request per event-loop turn); 1 = one request per hold. */
  INVENTORY_HOLD_BATCH_MAX: envInt(64, { min: 1, max: HOLD_BATCH_MAX }),
  REDIS_TIMEOUT_MS: envInt(1_000, { min: 10 }),
  PAYMENT_TIMEOUT_MS: envInt(5_000, { min: 10 }),
  BREAKER_THRESHOLD: envInt(20, { min: 1 }),
  BREAKER_HALF_OPEN_MS: envInt(1_000, { min: 100 }),
  PLACE_CONCURRENCY: envInt(1_024, { min: 1 }),
  PLACE_QUEUE: envInt(2_048, { min: 0 }),
  // A confirm mostly waits (payment provider, inventory, JetStream ack), so slots are cheap. 64 answered
  // thousands of 503 OVERLOADED in a 1,000/s flash sale where 512 answered none (bench/RESULTS.md).
  CONFIRM_CONCURRENCY: envInt(512, { min: 1 }),
  CONFIRM_QUEUE: envInt(2_048, { min: 0 }),

  // Rate limits (token buckets, per process)
  RATE_LIMIT_GLOBAL_PER_SEC: envNumber(20_000, { min: 0 }),
  RATE_LIMIT_GLOBAL_BURST: envInt(5_000, { min: 1 }),
  RATE_LIMIT_SHOPPER_PER_SEC: envNumber(2, { min: 0 }),
  RATE_LIMIT_SHOPPER_BURST: envInt(10, { min: 1 }),

  // Simulated payment provider (the only built-in provider)
  PAYMENT_SIM_LATENCY_MS: envInt(50, { min: 0 }),
  PAYMENT_SIM_DECLINE_RATE: envNumber(0, { min: 0, max: 1 }),
});

export type Config = z.output<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(configSchema, env);
}

/**
 * The longest a live confirm can take with these timeouts (two inventory calls, the payment call,
 * four Redis writes). A confirm lock shorter than that lets a sweeper take over a confirm that is
 * still running; the version check keeps the order's writes safe, but a charge still in flight can
 * then land after the takeover decided there was none. Not an error (tests shorten the lock on
 * purpose); main.ts warns at start.
 */
export function confirmLockTooShort(c: Config): { lockMs: number; worstConfirmMs: number } | undefined {
  const worstConfirmMs = 2 * c.INVENTORY_TIMEOUT_MS + c.PAYMENT_TIMEOUT_MS + 4 * c.REDIS_TIMEOUT_MS;
  const lockMs = c.CONFIRM_LOCK_SECONDS * 1000;
  return lockMs > worstConfirmMs ? undefined : { lockMs, worstConfirmMs };
}

import { commonEnv, envEnum, envInt, envList, envNumber, parseEnv, z } from '@flashgate/shared/config';

export const configSchema = z.object({
  ...commonEnv,
  PORT: envInt(3001, { min: 0, max: 65535 }),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('waiting_room'),
  // Promotions and keys (README "Promotions and keys").
  /** Marketing's bearer token for /admin; unset disables the admin API (every call 403). */
  ADMIN_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'use at least 16 characters').optional()),
  KEY_ROTATION_HOURS: envNumber(24, { min: 0.01 }),
  KEY_PUBLISH_AHEAD_SECONDS: envInt(60, { min: 0 }),
  KEY_CLOCK_SKEW_SECONDS: envInt(60, { min: 0 }),
  PROMOTION_REFRESH_MS: envInt(5_000, { min: 100 }),
  PROMOTION_REPUBLISH_SECONDS: envInt(30, { min: 1 }),
  /** order-gateway's URL as browsers reach it: the checkout page calls it cross-origin (docs/pages.md). */
  ORDER_GATEWAY_PUBLIC_URL: z.string().url().default('http://127.0.0.1:3002'),
  // Queue engine (README "Queue engine").
  /** HMAC secret of visitor tokens; required in production, generated per start (with a warning) otherwise. */
  VISITOR_TOKEN_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'use at least 16 characters').optional()),
  VISITOR_TOKEN_TTL_SECONDS: envInt(86_400, { min: 60 }),
  /** Worker processes `node dist/cluster.js` runs on one port; 0 = one per CPU core. */
  WORKERS: envInt(0, { min: 0, max: 256 }),
  /**
   * Who accepts connections under cluster.js: `os` each worker (default: `rr` cost the primary ~0.12 CPU-ms per
   * connection to pass the handle over IPC and doubled join latency under a storm; bench/RESULTS.md "Joins");
   * `rr` the primary, round-robin (an exactly even spread).
   */
  CLUSTER_SCHEDULING: envEnum(['rr', 'os'], 'os'),
  /**
   * Listen queue of the HTTP port (capped by the kernel's net.core.somaxconn). Node's 511 overflowed under a
   * 5,000/s join storm: each dropped SYN costs the shopper a 1 s, then 3 s, retransmit (bench/RESULTS.md "Joins").
   */
  LISTEN_BACKLOG: envInt(4_096, { min: 1, max: 65_535 }),
  /** Origins allowed to open the queue WebSocket; empty = any. */
  ALLOWED_ORIGINS: envList([]),
  WS_MAX_CONNECTIONS_PER_IP: envInt(200, { min: 1 }),
  WS_MAX_PAYLOAD_BYTES: envInt(4_096, { min: 256, max: 1_048_576 }),
  WS_HEARTBEAT_MS: envInt(15_000, { min: 100 }),
  WS_HELLO_TIMEOUT_MS: envInt(10_000, { min: 100 }),
  WS_SOFT_BUFFER_BYTES: envInt(65_536, { min: 1_024 }),
  WS_HARD_BUFFER_BYTES: envInt(1_048_576, { min: 1_024 }),
  WS_SLOW_CLOSE_MS: envInt(30_000, { min: 100 }),
  /** Tick frames one process writes per second at most; beyond, each socket gets every n-th tick (≥ one per 5 s). */
  WS_TICK_FANOUT_PER_SEC: envInt(10_000, { min: 1 }),
  JOIN_RATE_PER_IP: envNumber(20, { min: 0.01 }),
  JOIN_BURST_PER_IP: envInt(60, { min: 1 }),
  QUEUE_ADMIT_INTERVAL_MS: envInt(100, { min: 10, max: 1_000 }),
  QUEUE_TICK_MS: envInt(1_000, { min: 100, max: 5_000 }),
  QUEUE_LEASE_TTL_MS: envInt(1_500, { min: 300, max: 10_000 }),
  QUEUE_SWEEP_MS: envInt(1_000, { min: 100 }),
  QUEUE_PRESENCE_MS: envInt(5_000, { min: 100 }),
});

export type Config = z.output<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(configSchema, env);
}

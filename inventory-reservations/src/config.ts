import { commonEnv, envBool, envInt, parseEnv, z } from '@flashgate/shared/config';

export const configSchema = z.object({
  ...commonEnv,
  PORT: envInt(3003, { min: 0, max: 65535 }),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('inventory'),
  /** Hold lifetime when the promotion snapshot sets none. */
  HOLD_TTL_SECONDS: envInt(120, { min: 1 }),
  /** How far `prepare` pushes a hold's expiry out, so it cannot expire while payment runs. */
  PAYMENT_WINDOW_SECONDS: envInt(30, { min: 1 }),
  /** How long an expired or released hold's record is kept (to answer late confirms precisely). */
  ENDED_HOLD_RECORD_TTL_SECONDS: envInt(3600, { min: 1 }),
  /** How long a confirmed hold's record is kept in Redis (Postgres keeps the order forever). */
  CONFIRMED_HOLD_RECORD_TTL_SECONDS: envInt(86_400, { min: 60 }),
  REAPER_INTERVAL_MS: envInt(200, { min: 10 }),
  REAPER_BATCH: envInt(500, { min: 1 }),
  ORDERS_BATCH_SIZE: envInt(2000, { min: 1, max: 20_000 }),
  ORDERS_BATCH_WAIT_MS: envInt(20, { min: 0 }),
  /** Batches written to Postgres at once (each on its own connection). */
  ORDERS_PARALLEL_BATCHES: envInt(2, { min: 1, max: 8 }),
  ORDERS_ACK_WAIT_MS: envInt(30_000, { min: 500 }),
  ORDERS_NAK_DELAY_MS: envInt(1_000, { min: 0 }),
  ORDERS_DUPLICATE_WINDOW_SECONDS: envInt(120, { min: 120 }),
  PUBLISH_TIMEOUT_MS: envInt(2_000, { min: 50 }),
  REPUBLISH_INTERVAL_MS: envInt(1_000, { min: 50 }),
  STOCK_STATUS_INTERVAL_MS: envInt(250, { min: 10 }),
  STOCK_STATUS_HEARTBEAT_MS: envInt(5_000, { min: 100 }),
  /** 0 disables the periodic job; POST /admin/reconcile still works. */
  RECONCILE_INTERVAL_MS: envInt(60_000, { min: 0 }),
  RECONCILE_REPAIR: envBool(true),
  /** Bearer token for /admin/*; unset disables the admin routes (401). */
  ADMIN_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16).optional()),
});

export type Config = z.output<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(configSchema, env);
}

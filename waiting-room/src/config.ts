import { commonEnv, envInt, envNumber, parseEnv, z } from '@flashgate/shared/config';

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
});

export type Config = z.output<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(configSchema, env);
}

import { commonEnv, envInt, parseEnv, z } from '@flashgate/shared/config';

export const configSchema = z.object({
  ...commonEnv,
  PORT: envInt(3003, { min: 0, max: 65535 }),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('inventory'),
});

export type Config = z.output<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(configSchema, env);
}

import { z } from 'zod';

/**
 * Env parsing shared by every service: one zod object per service, every problem reported at once
 * with the variable's name, so an operator fixes a bad deployment in one pass.
 */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** A boolean env var: "false", "0", "no", "off" are false (unlike Boolean("false")). */
export function envBool(defaultValue: boolean) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return defaultValue;
      const v = raw.trim().toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true/false, got "${raw}"` });
      return z.NEVER;
    });
}

export function envInt(defaultValue: number, opts: { min?: number; max?: number } = {}) {
  let n = z.coerce.number().int();
  if (opts.min !== undefined) n = n.min(opts.min);
  if (opts.max !== undefined) n = n.max(opts.max);
  return z.preprocess((v) => (v === undefined || v === '' ? defaultValue : v), n);
}

export function envNumber(defaultValue: number, opts: { min?: number; max?: number } = {}) {
  let n = z.coerce.number().refine(Number.isFinite, 'expected a finite number');
  if (opts.min !== undefined) n = n.refine((x) => x >= (opts.min as number), `must be ≥ ${opts.min}`);
  if (opts.max !== undefined) n = n.refine((x) => x <= (opts.max as number), `must be ≤ ${opts.max}`);
  return z.preprocess((v) => (v === undefined || v === '' ? defaultValue : v), n);
}

export function envString(defaultValue?: string) {
  const s = z.string().min(1);
  return defaultValue === undefined ? s : z.preprocess((v) => (v === undefined || v === '' ? defaultValue : v), s);
}

export function envUrl(defaultValue: string, protocols: string[]) {
  return z.preprocess(
    (v) => (v === undefined || v === '' ? defaultValue : v),
    z.string().refine(
      (raw) => {
        try {
          return protocols.includes(new URL(raw).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      `expected a URL with scheme ${protocols.join(' or ')}`,
    ),
  );
}

export function envEnum<const T extends readonly [string, ...string[]]>(values: T, defaultValue: T[number]) {
  return z.preprocess((v) => (v === undefined || v === '' ? defaultValue : v), z.enum(values));
}

/** Comma-separated list; empty means []. */
export function envList(defaultValue: string[] = []) {
  return z
    .string()
    .optional()
    .transform((raw) =>
      raw === undefined
        ? defaultValue
        : raw
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0),
    );
}

/** Parses `env` with `schema`; throws one ConfigError naming every bad variable. */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined> = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
}

/** The connection settings every service shares; services spread these into their own schema. */
export const commonEnv = {
  NODE_ENV: envEnum(['development', 'production', 'test'], 'development'),
  LOG_LEVEL: envEnum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
  HOST: envString('0.0.0.0'),
  REDIS_URL: envUrl('redis://127.0.0.1:6379', ['redis', 'rediss']),
  REDIS_KEY_PREFIX: envString('fg'),
  NATS_URL: envUrl('nats://127.0.0.1:4222', ['nats', 'tls']),
  NATS_SUBJECT_PREFIX: envString('flashgate'),
  DATABASE_URL: envUrl('postgres://postgres@127.0.0.1:5432/flashgate', ['postgres', 'postgresql']),
  SHUTDOWN_TIMEOUT_MS: envInt(10_000, { min: 0 }),
  DEPENDENCY_TIMEOUT_MS: envInt(1_000, { min: 10 }),
};

export { z };

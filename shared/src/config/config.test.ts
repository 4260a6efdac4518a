import { describe, expect, it } from 'vitest';
import { ConfigError, commonEnv, envBool, envInt, envList, parseEnv, z } from './index.js';

const schema = z.object({ ...commonEnv, PORT: envInt(3001, { min: 0, max: 65535 }), FEATURE: envBool(true), ORIGINS: envList() });

describe('parseEnv', () => {
  it('applies defaults when nothing is set', () => {
    const c = parseEnv(schema, {});
    expect(c.PORT).toBe(3001);
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.FEATURE).toBe(true);
    expect(c.ORIGINS).toEqual([]);
  });

  it('parses booleans the way operators write them ("false" is false)', () => {
    for (const v of ['false', 'FALSE', '0', 'no', 'off']) expect(parseEnv(schema, { FEATURE: v }).FEATURE).toBe(false);
    for (const v of ['true', '1', 'yes', 'On']) expect(parseEnv(schema, { FEATURE: v }).FEATURE).toBe(true);
  });

  it('reports every bad variable at once, each by name', () => {
    let error: unknown;
    try {
      parseEnv(schema, { PORT: 'eighty', REDIS_URL: 'http://x', FEATURE: 'maybe', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    for (const name of ['PORT', 'REDIS_URL', 'FEATURE', 'LOG_LEVEL']) {
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
  });

  it('rejects out-of-range integers', () => {
    expect(() => parseEnv(schema, { PORT: '70000' })).toThrow(/PORT/);
  });

  it('splits comma lists', () => {
    expect(parseEnv(schema, { ORIGINS: 'https://a.example, https://b.example,' }).ORIGINS).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });
});

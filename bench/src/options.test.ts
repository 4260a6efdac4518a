import { describe, expect, it } from 'vitest';
import { helpText, OPTION_SPECS, parseOptions, UsageError } from './options.js';

describe('parseOptions', () => {
  it('applies the scenario defaults and reads the options given', () => {
    const o = parseOptions(['order-rush', '--shoppers', '50', '--targets', 'waiting-room=http://127.0.0.1:1,http://127.0.0.1:2'], {});
    if (o === 'help') throw new Error('unexpected help');
    expect(o.scenario).toBe('order-rush');
    expect(o.shoppers).toBe(50);
    expect(o.prequeue).toBe(50); // order-rush pre-queues everyone, capped at --shoppers
    expect(o.targets).toEqual(['waiting-room=http://127.0.0.1:1', 'http://127.0.0.1:2']);
  });

  it('takes the admin token and database from the environment', () => {
    const o = parseOptions(['queue-storm'], { ADMIN_TOKEN: 'secret-secret-secret', DATABASE_URL: 'postgres://x@h/db' });
    if (o === 'help') throw new Error('unexpected help');
    expect(o.adminToken).toBe('secret-secret-secret');
    expect(o.databaseUrl).toBe('postgres://x@h/db');
  });

  it('reports every bad value at once', () => {
    let err: unknown;
    try {
      parseOptions(['flash-sale', '--shoppers', 'many', '--duration', '0', '--targets', 'ftp://x'], {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const msg = (err as Error).message;
    expect(msg).toContain('--shoppers');
    expect(msg).toContain('--duration');
    expect(msg).toContain('ftp://x');
  });

  it('rejects an unknown scenario and a missing one', () => {
    expect(() => parseOptions(['nope'], {})).toThrow(UsageError);
    expect(() => parseOptions([], {})).toThrow(UsageError);
    expect(() => parseOptions(['queue-storm', '--no-such-option'], {})).toThrow(UsageError);
  });

  it('--help wins and the help text lists every option', () => {
    expect(parseOptions(['--help'], {})).toBe('help');
    const text = helpText();
    for (const name of Object.keys(OPTION_SPECS)) expect(text).toContain(`--${name}`);
  });
});

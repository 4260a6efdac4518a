import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, startLocalStack } from '@flashgate/infra/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../options.js';
import { reportSchemaProblems } from '../report/schema.js';
import { runBench } from '../run.js';
import { type Isolation, isolatedEnv } from '../smoke-support.js';

/**
 * Smoke runs of three scenarios (small N, a few seconds each) against one isolated local stack,
 * reached through --targets. They assert the report's schema and its invariants — never its speed.
 */
let iso: Isolation;
let stack: LocalStack;
let out: string;

beforeAll(async () => {
  iso = await isolatedEnv();
  stack = await startLocalStack({
    env: {
      ...iso.env,
      ADMIN_TOKEN: 'bench-smoke-admin-token-0123456789',
      WS_MAX_CONNECTIONS_PER_IP: '100000',
      JOIN_RATE_PER_IP: '100000',
      JOIN_BURST_PER_IP: '100000',
    },
    dataDir: join(tmpdir(), 'bench-smoke-unused'),
    log: () => {},
  });
  out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  await iso?.cleanup();
  if (out) rmSync(out, { recursive: true, force: true });
}, 60_000);

async function smoke(scenario: string, args: string[]) {
  const env = { ...iso.env, ADMIN_TOKEN: stack.adminToken };
  const targets = [...stack.waitingRoomUrls.map((u) => `waiting-room=${u}`), `order-gateway=${stack.orderGatewayUrl}`].join(',');
  const pids = stack.services.map((s) => s.pid).join(',');
  const opts = parseOptions([scenario, ...args, '--targets', targets, '--server-pids', pids, '--out', join(out, scenario), '--quiet'], env);
  if (opts === 'help') throw new Error('unexpected help');
  const { dir } = await runBench(opts, { log: () => {}, env });
  expect(existsSync(join(dir, 'report.json'))).toBe(true);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  expect(html).toContain('<svg');
  // Self-contained: nothing loaded from anywhere (the config's target URLs appear only as text).
  expect(html).not.toMatch(/<script|<link|<img|\s(src|href)=/i);
  const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  expect(reportSchemaProblems(json)).toEqual([]);
  return json;
}

describe('bench smoke runs', () => {
  it('queue-storm: every shopper joins, is admitted in arrival order, and every request is answered', async () => {
    const r = await smoke('queue-storm', [
      '--shoppers',
      '30',
      '--prequeue',
      '10',
      '--arrival-rate',
      '20',
      '--admission-rate',
      '30',
      '--duration',
      '20',
    ]);
    expect(r.results.shoppers).toBe(30);
    expect(r.results.admitted).toBe(30);
    expect(r.invariants.filter((i: { ok: boolean }) => !i.ok)).toEqual([]);
  }, 90_000);

  it('order-rush: stock is never oversold, no confirmed order is lost or duplicated, every request is answered', async () => {
    const r = await smoke('order-rush', [
      '--shoppers',
      '30',
      '--prequeue',
      '30',
      '--skus',
      '2',
      '--stock',
      '5',
      '--duration',
      '20',
      '--drain-seconds',
      '10',
    ]);
    expect(r.results.oversold).toBe(0);
    expect(r.results.lostOrders).toBe(0);
    expect(r.results.duplicateOrders).toBe(0);
    expect(r.results.orders.confirmed).toBeLessThanOrEqual(10);
    expect(r.invariants.filter((i: { ok: boolean }) => !i.ok)).toEqual([]);
  }, 90_000);

  it('gateway-abuse: every hostile request is rejected with the right status and the stock moves only for legitimate orders', async () => {
    const r = await smoke('gateway-abuse', ['--shoppers', '16', '--duration', '3', '--abuse-rate', '150', '--drain-seconds', '10']);
    expect(r.results.abuse.sent).toBeGreaterThan(0);
    expect(r.results.abuse.wrong).toBe(0);
    expect(r.results.stock.touchedByAbuse).toBe(0);
    expect(r.invariants.filter((i: { ok: boolean }) => !i.ok)).toEqual([]);
  }, 90_000);
});

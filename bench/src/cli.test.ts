import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchRoot } from './load/pool.js';
import { reportSchemaProblems } from './report/schema.js';
import { type Isolation, isolatedEnv } from './smoke-support.js';

/**
 * The built CLI end to end, the way a user runs it: flash-sale with the default target (the bench
 * starts the local stack itself, on free ports, and stops it afterwards).
 */
const CLI = join(benchRoot(), 'dist', 'cli.js');
let iso: Isolation;
let out: string;

beforeAll(async () => {
  iso = await isolatedEnv();
  out = mkdtempSync(join(tmpdir(), 'bench-cli-'));
});
afterAll(async () => {
  await iso?.cleanup();
  if (out) rmSync(out, { recursive: true, force: true });
}, 60_000);

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

it('--help lists every option', async () => {
  const { code, stdout } = await run(['--help'], process.env);
  expect(code).toBe(0);
  for (const opt of ['--shoppers', '--arrival-rate', '--duration', '--targets', '--out']) expect(stdout).toContain(opt);
});

it('an unknown scenario is a usage error (exit 2)', async () => {
  const { code, stderr } = await run(['no-such-scenario'], process.env);
  expect(code).toBe(2);
  expect(stderr).toContain('unknown scenario');
});

it('flash-sale on a stack the bench starts itself: reports written, oversold 0, every request answered', async () => {
  const dir = join(out, 'flash-sale');
  const { code, stdout, stderr } = await run(
    [
      'flash-sale',
      '--shoppers',
      '40',
      '--prequeue',
      '20',
      '--arrival-rate',
      '40',
      '--admission-rate',
      '40',
      '--skus',
      '2',
      '--stock',
      '8',
      '--duration',
      '20',
      '--drain-seconds',
      '10',
      '--out',
      dir,
    ],
    { ...iso.env, ADMIN_TOKEN: undefined },
  );
  expect(existsSync(join(dir, 'report.json')), stderr).toBe(true);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  expect(reportSchemaProblems(report)).toEqual([]);
  expect(report.config.startedStack).toBe(true);
  expect(stdout).toContain('oversold');
  expect(report.results.oversold).toBe(0);
  expect(report.results.lostOrders).toBe(0);
  expect(report.results.duplicateOrders).toBe(0);
  expect(report.results.orders.unanswered).toBe(0);
  expect(report.invariants.filter((i: { ok: boolean }) => !i.ok)).toEqual([]);
  expect(code).toBe(0);
}, 120_000);

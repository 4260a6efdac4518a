import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { testServers } from '@flashgate/shared/testing';
import { expect, it } from 'vitest';
import { freePort } from './servers/index.js';
import { REPO_ROOT } from './stack.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// End to end over the built launcher (pnpm test builds first): the same command a user runs.
it('pnpm start brings all three services to ready, and Ctrl-C leaves no process behind', async () => {
  const s = testServers();
  const ports = [await freePort(), await freePort(), await freePort()];
  const prefix = `st${process.pid}`;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'infra', 'dist', 'start.js')], {
    env: {
      ...process.env,
      REDIS_URL: s.redisUrl,
      NATS_URL: s.natsUrl,
      DATABASE_URL: s.databaseUrl,
      REDIS_KEY_PREFIX: prefix,
      NATS_SUBJECT_PREFIX: prefix,
      WAITING_ROOM_PORT: String(ports[0]),
      ORDER_GATEWAY_PORT: String(ports[1]),
      INVENTORY_PORT: String(ports[2]),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d.toString();
  });
  child.stderr.on('data', (d) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const started = Date.now();
  while (!out.includes('all services ready') && Date.now() - started < 30_000 && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(out).toContain('all services ready');
  const pids = [...out.matchAll(/started pid (\d+)/g)].map((m) => Number(m[1]));
  expect(pids).toHaveLength(3);
  for (const port of ports) {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(res.status).toBe(200);
  }
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  for (const pid of pids) expect(alive(pid)).toBe(false);
}, 60_000);

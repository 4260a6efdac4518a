import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureServers, findBinary, MissingBinaryError, startRedis } from './index.js';
import { tcpProbe } from './tcp-probe.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'fg-servers-'));
  dirs.push(d);
  chmodSync(d, 0o755); // a private PostgreSQL runs as the postgres user when we are root; it must reach its folder
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('local server launcher', () => {
  it('names the install command when a binary is missing', () => {
    expect(() => findBinary('no-such-server-binary')).toThrow(MissingBinaryError);
    expect(() => findBinary('no-such-server-binary')).toThrow(/apt-get install redis-server nats-server postgresql/);
  });

  it('starts private redis, nats and postgres on free ports and stops them, leaving no process', async () => {
    const servers = await ensureServers({ env: {}, dataDir: tempDir(), durable: false });
    try {
      expect(servers.started.sort()).toEqual(['nats', 'postgres', 'redis']);
      const ports = [servers.redisUrl, servers.natsUrl, servers.databaseUrl].map((u) => Number(new URL(u).port));
      expect(new Set(ports).size).toBe(3);
      expect(await tcpProbe(ports[0] as number, 'PING\r\n', '+PONG')).toBe(true);
      expect(await tcpProbe(ports[1] as number, undefined, 'INFO')).toBe(true);
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: servers.databaseUrl });
      await client.connect();
      const { rows } = await client.query('select current_database() as db');
      await client.end();
      expect(rows[0].db).toBe('flashgate');
    } finally {
      await servers.stop();
    }
    const ports = [servers.redisUrl, servers.natsUrl].map((u) => Number(new URL(u).port));
    expect(await tcpProbe(ports[0] as number, 'PING\r\n', '+PONG')).toBe(false);
    expect(await tcpProbe(ports[1] as number, undefined, 'INFO')).toBe(false);
  });

  it('reuses servers named by env vars and starts nothing', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:1', NATS_URL: 'nats://127.0.0.1:2', DATABASE_URL: 'postgres://x@127.0.0.1:3/db' };
    const servers = await ensureServers({ env, dataDir: tempDir() });
    expect(servers.started).toEqual([]);
    expect(servers.redisUrl).toBe(env.REDIS_URL);
    expect(servers.natsUrl).toBe(env.NATS_URL);
    expect(servers.databaseUrl).toBe(env.DATABASE_URL);
    await servers.stop();
  });

  it('when one server cannot start, stops the ones that did and reports the failure', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'postgres'), 'not a folder'); // PostgreSQL cannot make its data folder
    await expect(ensureServers({ env: {}, dataDir: dir, durable: false })).rejects.toThrow();
    const survivors = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
        } catch {
          return false;
        }
      });
    expect(survivors).toEqual([]);
  });

  it('kills a private server by PID', async () => {
    const redis = await startRedis({ dir: tempDir() });
    expect(alive(redis.pid)).toBe(true);
    await redis.kill();
    expect(alive(redis.pid)).toBe(false);
  });
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { freePort } from './free-port.js';
import { type ManagedProcess, spawnServer, startedOrKilled, waitUntil } from './process.js';
import { tcpProbe } from './tcp-probe.js';

export interface RedisServer extends ManagedProcess {
  url: string;
  port: number;
}

/** A private redis-server on a free loopback port. `appendOnly` keeps data across restarts in `dir`. */
export async function startRedis(opts: { dir: string; port?: number; appendOnly?: boolean }): Promise<RedisServer> {
  const bin = findBinary('redis-server');
  const port = opts.port ?? (await freePort());
  mkdirSync(opts.dir, { recursive: true });
  const proc = spawnServer(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      opts.dir,
      '--save',
      '',
      '--appendonly',
      opts.appendOnly ? 'yes' : 'no',
      '--appendfsync',
      'everysec',
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
    ],
    { logFile: join(opts.dir, 'redis.log') },
  );
  await startedOrKilled(proc, () => waitUntil('redis-server', () => tcpProbe(port, 'PING\r\n', '+PONG'), 10_000, proc.exited));
  return { ...proc, port, url: `redis://127.0.0.1:${port}` };
}

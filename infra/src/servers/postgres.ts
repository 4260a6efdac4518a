import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { findBinary } from './binaries.js';
import { freePort } from './free-port.js';
import { type ManagedProcess, spawnServer, startedOrKilled, waitUntil } from './process.js';

export interface PostgresServer extends ManagedProcess {
  url: string;
  port: number;
}

/** PostgreSQL refuses to run as root; when we are root, run it as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root needs a "postgres" system user to own a private PostgreSQL (apt-get install postgresql creates it)');
  }
}

/**
 * A private PostgreSQL cluster under `dir` (initialised on first use, trust auth, user postgres)
 * on a free loopback port. `durable: false` turns fsync off, for throwaway test clusters.
 */
export async function startPostgres(opts: { dir: string; port?: number; durable?: boolean }): Promise<PostgresServer> {
  const initdb = findBinary('initdb');
  const postgres = findBinary('postgres');
  const port = opts.port ?? (await freePort());
  const data = join(opts.dir, 'data');
  const user = serverUser();
  mkdirSync(opts.dir, { recursive: true });
  if (user) chownSync(opts.dir, user.uid, user.gid);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    execFileSync(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], {
      stdio: 'pipe',
      uid: user?.uid,
      gid: user?.gid,
    });
  }
  const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', opts.dir, '-c', 'max_connections=300'];
  if (opts.durable === false) args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const proc = spawnServer(postgres, args, { logFile: join(opts.dir, 'postgres.log'), uid: user?.uid, gid: user?.gid });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await startedOrKilled(proc, () =>
    waitUntil(
      'postgres',
      async () => {
        const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 500 });
        c.on('error', () => {});
        try {
          await c.connect();
          await c.query('select 1');
          return true;
        } finally {
          await c.end().catch(() => {});
        }
      },
      30_000,
      proc.exited,
    ),
  );
  // Postgres stops fastest and cleanly on SIGINT ("fast" shutdown); SIGTERM waits for clients.
  const stop = async (graceMs = 10_000) => {
    try {
      process.kill(proc.pid, 'SIGINT');
    } catch {
      return;
    }
    const timer = setTimeout(() => proc.kill(), graceMs);
    await proc.exited;
    clearTimeout(timer);
  };
  return { ...proc, stop, port, url };
}

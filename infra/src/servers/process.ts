import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ManagedProcess {
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop: (graceMs?: number) => Promise<void>;
  /** SIGKILL at once, as a crash would. */
  kill: () => Promise<void>;
  exited: Promise<number | null>;
}

/** Spawns a server with its output in a log file; the caller owns it by PID. */
export function spawnServer(
  command: string,
  args: string[],
  opts: { logFile: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number },
): ManagedProcess {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child: ChildProcess = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    uid: opts.uid,
    gid: opts.gid,
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  if (child.pid === undefined) throw new Error(`failed to start ${command}`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const signal = async (sig: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    pid: child.pid,
    exited,
    stop: (graceMs = 5_000) => signal('SIGTERM', graceMs),
    kill: () => signal('SIGKILL', 0),
  };
}

/** Waits until `probe` resolves true, or fails with the server's name after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, exited?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited?.then(() => {
    dead = true;
  });
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${what} exited during startup`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

/** Waits for a freshly spawned server to be ready; if it never is, kills it so it cannot linger. */
export async function startedOrKilled(proc: ManagedProcess, ready: () => Promise<void>): Promise<void> {
  try {
    await ready();
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

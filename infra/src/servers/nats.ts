import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { freePort } from './free-port.js';
import { type ManagedProcess, spawnServer, startedOrKilled, waitUntil } from './process.js';
import { tcpProbe } from './tcp-probe.js';

export interface NatsServer extends ManagedProcess {
  url: string;
  port: number;
}

/** A private nats-server with JetStream, storing streams under `dir`. */
export async function startNats(opts: { dir: string; port?: number }): Promise<NatsServer> {
  const bin = findBinary('nats-server');
  const port = opts.port ?? (await freePort());
  mkdirSync(opts.dir, { recursive: true });
  const proc = spawnServer(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(opts.dir, 'jetstream')], {
    logFile: join(opts.dir, 'nats.log'),
  });
  // The INFO banner arrives as soon as the client port accepts connections.
  await startedOrKilled(proc, () => waitUntil('nats-server', () => tcpProbe(port, undefined, 'INFO'), 10_000, proc.exited));
  return { ...proc, port, url: `nats://127.0.0.1:${port}` };
}

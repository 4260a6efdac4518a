import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@flashgate/infra/servers';
import { REPO_ROOT, startLocalStack } from '@flashgate/infra/stack';
import type { BenchOptions } from '../options.js';
import { removeRunState } from '@flashgate/shared/testing';

/**
 * What the bench sends traffic to: the local stack it starts itself (the default, like `pnpm start`,
 * on free loopback ports), or the URLs given with --targets. Nothing else is ever contacted.
 */
export interface Targets {
  waitingRoomUrls: string[];
  gatewayUrls: string[];
  adminToken: string;
  databaseUrl: string | undefined;
  /** Service processes whose RSS and CPU the bench records. */
  serverProcesses: Array<{ pid: number; name: string }>;
  startedStack: boolean;
  stop: () => Promise<void>;
}

export async function resolveTargets(opts: BenchOptions, env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<Targets> {
  if (opts.targets.length > 0) return givenTargets(opts);
  // Each waiting-room node is a cluster of WORKERS processes; every process must stay under the 20,000
  // open files allowed here, so about 15,000 shoppers per process. By default nodes of ONE worker, at
  // least one per core: each node has its own listen queue, while a node's workers share one (Node 20
  // has no per-worker accept queue). Measured in 5,000/s join storms (bench/RESULTS.md, "Joins"):
  // 2 nodes × 1 worker, 0 listen overflows and p99 1.1–1.3 s; 1 node × 2 workers, 12,600–109,000
  // overflows and p99 2.9–10 s.
  const workersEnv = opts.waitingRoomWorkers !== null ? String(opts.waitingRoomWorkers) : (env.WAITING_ROOM_WORKERS ?? env.WORKERS ?? '1');
  const perNode = Number(workersEnv) > 0 ? Number(workersEnv) : availableParallelism();
  const minNodes = perNode === 1 ? availableParallelism() : 1;
  const nodes = opts.waitingRoomNodes ?? Math.max(minNodes, Math.ceil(opts.shoppers / (15_000 * perNode)));
  const ownPrefix = `bench${process.pid}`;
  const stackEnv: NodeJS.ProcessEnv = {
    ...env,
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    // Sizes only the waiting-room nodes; the gateway runs as `pnpm start` runs it (WORKERS, or one per core).
    WAITING_ROOM_WORKERS: workersEnv,
    WAITING_ROOM_PORT: env.WAITING_ROOM_PORT ?? String(await freePort()),
    ORDER_GATEWAY_PORT: env.ORDER_GATEWAY_PORT ?? String(await freePort()),
    INVENTORY_PORT: env.INVENTORY_PORT ?? String(await freePort()),
    // Its own key and subject space, so a bench beside `pnpm start` on the same servers touches nothing of it.
    REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX ?? ownPrefix,
    NATS_SUBJECT_PREFIX: env.NATS_SUBJECT_PREFIX ?? ownPrefix,
    // Every simulated shopper comes from a handful of loopback addresses: lift the per-IP guards,
    // which would otherwise (rightly) treat the bench as one abusive client.
    WS_MAX_CONNECTIONS_PER_IP: env.WS_MAX_CONNECTIONS_PER_IP ?? '1000000',
    JOIN_RATE_PER_IP: env.JOIN_RATE_PER_IP ?? '1000000',
    JOIN_BURST_PER_IP: env.JOIN_BURST_PER_IP ?? '1000000',
    // Several waiting-room nodes must accept each other's visitor tokens.
    VISITOR_TOKEN_SECRET: env.VISITOR_TOKEN_SECRET ?? randomBytes(24).toString('base64url'),
  };
  if (opts.databaseUrl) stackEnv.DATABASE_URL = opts.databaseUrl;
  const stack = await startLocalStack({ env: stackEnv, dataDir: join(REPO_ROOT, '.data', 'bench'), log, waitingRoomNodes: nodes });
  return {
    waitingRoomUrls: stack.waitingRoomUrls,
    gatewayUrls: [stack.orderGatewayUrl],
    adminToken: stack.adminToken,
    databaseUrl: stack.env.DATABASE_URL,
    serverProcesses: stack.services.map((s, i) => ({ pid: s.pid, name: s.name === 'waiting-room' ? `waiting-room#${i + 1}` : s.name })),
    startedStack: true,
    stop: async () => {
      await stack.stop();
      // Leave nothing behind on shared servers under the prefixes the bench picked (never the caller's own).
      // Private servers (started by the launcher) are gone with their state; only shared ones need this.
      const ownedPrefixes = !env.REDIS_KEY_PREFIX && !env.NATS_SUBJECT_PREFIX;
      const sharedServers = !stack.startedServers.includes('redis') && !stack.startedServers.includes('nats');
      if (ownedPrefixes && sharedServers && stack.env.REDIS_URL && stack.env.NATS_URL) {
        await removeRunState({
          redisUrl: stack.env.REDIS_URL,
          natsUrl: stack.env.NATS_URL,
          redisKeyPrefix: `${ownPrefix}:`,
          natsSubjectPrefix: ownPrefix,
        }).catch((err) => log(`cleanup of ${ownPrefix} state failed: ${(err as Error).message}`));
      }
    },
  };
}

async function givenTargets(opts: BenchOptions): Promise<Targets> {
  if (!opts.adminToken) throw new Error('--targets needs the waiting-room admin token: --admin-token or $ADMIN_TOKEN');
  const waitingRoomUrls: string[] = [];
  const gatewayUrls: string[] = [];
  for (const t of opts.targets) {
    const eq = t.indexOf('=');
    const role = eq > 0 && !t.slice(0, eq).includes('/') ? t.slice(0, eq) : null;
    const url = (role ? t.slice(eq + 1) : t).replace(/\/+$/, '');
    if (role === 'waiting-room' || role === 'wr') waitingRoomUrls.push(url);
    else if (role === 'order-gateway' || role === 'gw') gatewayUrls.push(url);
    else if (role) throw new Error(`--targets: unknown role "${role}" (waiting-room= or order-gateway=)`);
    else if (await servesJwks(url)) waitingRoomUrls.push(url);
    else gatewayUrls.push(url);
  }
  if (waitingRoomUrls.length === 0) throw new Error('--targets: no waiting-room URL (it is the one serving /.well-known/jwks.json)');
  return {
    waitingRoomUrls,
    gatewayUrls,
    adminToken: opts.adminToken,
    databaseUrl: opts.databaseUrl,
    serverProcesses: opts.serverPids.map((pid) => ({ pid, name: `pid ${pid}` })),
    startedStack: false,
    stop: async () => {},
  };
}

async function servesJwks(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/.well-known/jwks.json`, { signal: AbortSignal.timeout(3_000) });
    return res.ok;
  } catch {
    return false;
  }
}

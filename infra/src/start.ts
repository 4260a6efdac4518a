/**
 * `pnpm start`: the whole system on one machine. Reuses the servers named by REDIS_URL, NATS_URL
 * and DATABASE_URL, starts private ones for the rest, migrates, runs the three services, waits for
 * them to be ready and prints their URLs. Ctrl-C (or SIGTERM) stops the services gracefully, then
 * the private servers, leaving no process behind.
 */
import { randomBytes } from 'node:crypto';
import { ensureServers } from './servers/index.js';
import { REPO_ROOT, SERVICES, runMigrations, startService, type RunningService } from './stack.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const log = (line: string) => process.stdout.write(`[flashgate] ${line}\n`);

/**
 * Secrets for a local run, kept under .data/ so that restarting `pnpm start` mid-sale keeps every
 * shopper's visitor token valid (their place in line survives) and the console login stays the same.
 */
function localSecrets(file: string): { adminToken: string; visitorTokenSecret: string } {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    const fresh = { adminToken: randomBytes(18).toString('base64url'), visitorTokenSecret: randomBytes(32).toString('base64url') };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(fresh), { mode: 0o600 });
    return fresh;
  }
}

async function main(): Promise<void> {
  const servers = await ensureServers({ dataDir: join(REPO_ROOT, '.data'), log });
  const running: RunningService[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping services…');
    await Promise.allSettled(running.map((s) => s.stop()));
    if (servers.started.length) log(`stopping private ${servers.started.join(', ')}…`);
    await servers.stop();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const secrets = localSecrets(join(REPO_ROOT, '.data', 'local-secrets.json'));
    const adminToken = process.env.ADMIN_TOKEN ?? secrets.adminToken;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VISITOR_TOKEN_SECRET: process.env.VISITOR_TOKEN_SECRET ?? secrets.visitorTokenSecret,
      REDIS_URL: servers.redisUrl,
      NATS_URL: servers.natsUrl,
      DATABASE_URL: servers.databaseUrl,
      ADMIN_TOKEN: adminToken,
    };
    await runMigrations(env, log);
    for (const svc of SERVICES) running.push(startService(svc, env, log));
    await Promise.all(running.map((s) => s.ready(30_000)));
    log('all services ready:');
    for (const s of running) log(`  ${s.name.padEnd(24)} ${s.url}`);
    log(`  marketing console        ${running[0]?.url}/admin   (admin token: ${adminToken})`);
    log('press Ctrl-C to stop');
    for (const s of running) {
      void s.exited.then((code) => {
        if (!stopping) {
          log(`${s.name} exited unexpectedly (code ${code}); stopping everything`);
          void stopAll(1);
        }
      });
    }
  } catch (err) {
    log(`start failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
  }
}

void main().catch((err) => {
  log(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@flashgate/infra/servers';
import { createTestDatabase, removeRunState, testServers, uniqueName } from '@flashgate/shared/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT, type RunningService, runMigrations, SERVICES, startService } from '../../../infra/src/stack.js';

/**
 * The real system for browser tests: the three built services (dist, as `pnpm start` runs them) on
 * free ports, isolated by key prefix, subject prefix and a fresh database, plus Debian's chromium
 * driven by playwright-core (no browser download: it cannot work here and is not needed).
 */
export interface E2eStack {
  waitingRoomUrl: string;
  gatewayUrl: string;
  adminToken: string;
  browser: Browser;
  /** A fresh shopper: its own context, so its own localStorage and sessionStorage. */
  shopper: (opts?: { locale?: string; mobile?: boolean }) => Promise<{ context: BrowserContext; page: Page }>;
  screenshot: (page: Page, name: string) => Promise<void>;
  /** Screenshots every open page and prints its alerts: call from onTestFailed. */
  dumpPages: (label: string) => Promise<void>;
  logs: string[];
  stop: () => Promise<void>;
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOTS = join(REPO_ROOT, '.artifacts', 'screenshots');

export async function startE2eStack(env: Record<string, string> = {}): Promise<E2eStack> {
  const servers = testServers();
  const db = await createTestDatabase();
  const prefix = uniqueName('e2e');
  const [wrPort, gwPort, invPort] = [await freePort(), await freePort(), await freePort()];
  const adminToken = randomBytes(18).toString('base64url');
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: servers.redisUrl,
    NATS_URL: servers.natsUrl,
    DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: prefix,
    NATS_SUBJECT_PREFIX: prefix,
    WAITING_ROOM_PORT: String(wrPort),
    ORDER_GATEWAY_PORT: String(gwPort),
    INVENTORY_PORT: String(invPort),
    ADMIN_TOKEN: adminToken,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    ...env,
  };
  const running: RunningService[] = [];
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    await Promise.allSettled(running.map((s) => s.stop()));
    await db.drop().catch(() => undefined);
    await removeRunState({ redisUrl: servers.redisUrl, natsUrl: servers.natsUrl, redisKeyPrefix: prefix, natsSubjectPrefix: prefix }).catch(
      () => undefined,
    );
  };
  try {
    await runMigrations(serviceEnv, log);
    for (const svc of SERVICES) running.push(startService(svc, serviceEnv, log));
    await Promise.all(running.map((s) => s.ready(30_000)));
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    mkdirSync(SCREENSHOTS, { recursive: true });
    const b = browser;
    const pages = new Set<Page>();
    return {
      waitingRoomUrl: `http://127.0.0.1:${wrPort}`,
      gatewayUrl: `http://127.0.0.1:${gwPort}`,
      adminToken,
      browser: b,
      logs,
      shopper: async (opts = {}) => {
        const context = await b.newContext({
          locale: opts.locale ?? 'en-US',
          viewport: opts.mobile ? { width: 390, height: 844 } : { width: 1100, height: 900 },
          deviceScaleFactor: 1,
          isMobile: opts.mobile ?? false,
        });
        context.setDefaultTimeout(10_000);
        context.on('page', (p) => {
          pages.add(p);
          p.on('close', () => pages.delete(p));
        });
        return { context, page: await context.newPage() };
      },
      screenshot: async (page, name) => {
        await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      },
      dumpPages: async (label) => {
        let i = 0;
        for (const p of pages) {
          i++;
          const alertText = await p
            .locator('[role=alert]')
            .allTextContents()
            .catch(() => []);
          process.stdout.write(`[e2e ${label}] page ${i} ${p.url()} alerts=${JSON.stringify(alertText)}\n`);
          await p.screenshot({ path: join(SCREENSHOTS, `failed-${label}-${i}.png`), fullPage: true }).catch(() => undefined);
        }
        process.stdout.write(logs.slice(-20).join('\n') + '\n');
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `datetime-local` value in the browser's zone for a moment `ms` from now. */
export function localInput(page: Page, msFromNow: number): Promise<string> {
  return page.evaluate((d) => {
    const at = new Date(Date.now() + d);
    return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  }, msFromNow);
}

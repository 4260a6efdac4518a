import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { type E2eStack, localInput, startE2eStack } from './fixture.js';

/**
 * The three pages in a real browser against the real services: marketing schedules a sale in the
 * console, shoppers wait in line, get admitted, hold and pay; and a sale that sells out.
 */
let stack: E2eStack;

beforeAll(async () => {
  // Fast ticks so a test sees positions move within seconds (defaults are 1 s).
  stack = await startE2eStack({ QUEUE_TICK_MS: '250', QUEUE_ADMIT_INTERVAL_MS: '50', PROMOTION_REFRESH_MS: '500' });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** A shopper that polls like a phone on a bad network: joins, then asks for its status every second. */
function pollingShopper(promotionId: string) {
  let stopped = false;
  let admitted = false;
  const run = (async () => {
    const base = `${stack.waitingRoomUrl}/queue/${promotionId}`;
    const joined = (await (
      await fetch(`${base}/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    ).json()) as {
      visitorToken: string;
    };
    while (!stopped && !admitted) {
      const res = await fetch(`${base}/status`, { headers: { authorization: `Bearer ${joined.visitorToken}` } });
      const body = (await res.json()) as { state?: string; admissionToken?: string };
      if (body.state === 'admitted' || body.admissionToken) admitted = true;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    isAdmitted: () => admitted,
    stop: async () => {
      stopped = true;
      await run.catch(() => undefined);
    },
  };
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${stack.waitingRoomUrl}/admin`);
  await page.getByLabel('Admin token').waitFor();
  await stack.screenshot(page, 'admin-sign-in');
  await page.getByLabel('Admin token').fill(stack.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Promotions' }).waitFor();
}

async function schedule(
  page: Page,
  p: {
    name: string;
    prequeueInMs: number;
    startInMs: number;
    rate: number;
    products: { sku: string; name: string; price: number; stock: number; limit: number }[];
  },
): Promise<string> {
  // Submitting an empty name is refused in the form, next to the field.
  await page.getByLabel('Name', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Schedule', exact: true }).click();
  await page.locator('[data-error-for="name"]').getByText('Required.').waitFor();
  expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
  await page.getByLabel('Name', { exact: true }).fill(p.name);
  await page.getByLabel('Pre-queue opens').fill(await localInput(page, p.prequeueInMs));
  await page.getByLabel('Sale starts').fill(await localInput(page, p.startInMs));
  await page.getByLabel('Sale ends').fill(await localInput(page, 30 * 60_000));
  await page.locator('input[name="admissionRatePerSec"]').fill(String(p.rate));
  await page.locator('input[name="maxActiveShoppers"]').fill('100');
  await page.getByLabel('Checkout time (seconds)').fill('120');
  for (const [i, prod] of p.products.entries()) {
    if (i > 0) await page.getByRole('button', { name: 'Add product' }).click();
    await page.locator(`input[name="products.${i}.sku"]`).fill(prod.sku);
    await page.locator(`input[name="products.${i}.name"]`).fill(prod.name);
    await page.locator(`input[name="products.${i}.priceCents"]`).fill(String(prod.price));
    await page.locator(`input[name="products.${i}.stock"]`).fill(String(prod.stock));
    await page.locator(`input[name="products.${i}.perShopperLimit"]`).fill(String(prod.limit));
  }
  await page.getByRole('button', { name: 'Schedule', exact: true }).click();
  await page.getByText('Promotion scheduled.').waitFor();
  const id = await page.locator('body').getAttribute('data-last-created');
  expect(id).toBeTruthy();
  await page.locator(`tr[data-promotion="${id}"]`).waitFor();
  return id as string;
}

/** Samples the position a queue page shows until it leaves for checkout. */
function watchPositions(page: Page): { positions: number[]; stop: () => void } {
  const positions: number[] = [];
  let on = true;
  void (async () => {
    while (on && !page.isClosed()) {
      const text = await page
        .locator('#position')
        .textContent({ timeout: 200 })
        .catch(() => null);
      const visible = await page
        .locator('#panel-waiting')
        .isVisible()
        .catch(() => false);
      const n = Number((text ?? '').replace(/[^\d]/g, ''));
      if (visible && n > 0 && positions.at(-1) !== n) positions.push(n);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    positions,
    stop: () => {
      on = false;
    },
  };
}

describe('flash sale in the browser', () => {
  it('console schedules a sale; two shoppers wait, see their positions fall, get admitted, hold and pay', async () => {
    onTestFailed(() => stack.dumpPages('sale'));
    const admin = await stack.shopper();
    await signIn(admin.page);
    const promotionId = await schedule(admin.page, {
      name: 'Autumn drop',
      prequeueInMs: 1_500,
      startInMs: 7_000,
      rate: 1,
      products: [
        { sku: 'TEE-1', name: 'Logo tee', price: 2_900_000, stock: 10, limit: 2 },
        { sku: 'CAP-1', name: 'Cap', price: 1_500_000, stock: 5, limit: 1 },
      ],
    });
    await admin.page.locator(`button[data-open="${promotionId}"]`).click();
    await stack.screenshot(admin.page, 'admin-console');

    // Wait for the pre-queue to open, then two browser shoppers (one Korean, on a phone) and six polling ones.
    await new Promise((r) => setTimeout(r, 2_000));
    const a = await stack.shopper();
    const b = await stack.shopper({ locale: 'ko-KR', mobile: true });
    const referers: string[] = [];
    for (const s of [a, b]) {
      s.page.on('request', (req) => {
        const ref = req.headers().referer;
        if (ref) referers.push(ref);
      });
    }
    await a.page.goto(`${stack.waitingRoomUrl}/queue/${promotionId}`);
    await b.page.goto(`${stack.waitingRoomUrl}/queue/${promotionId}`);
    const bots = Array.from({ length: 6 }, () => pollingShopper(promotionId));

    await a.page.getByRole('heading', { name: 'You are in the pre-queue' }).waitFor({ timeout: 5_000 });
    await expect.poll(() => a.page.locator('#countdown').textContent()).toMatch(/\d+ s/);
    await stack.screenshot(a.page, 'queue-prequeue-en');
    expect(await b.page.locator('html').getAttribute('lang')).toBe('ko');
    await b.page.getByRole('heading', { name: '사전 대기열에 입장했습니다' }).waitFor();
    await stack.screenshot(b.page, 'queue-prequeue-ko-phone');

    // The draw: both get a ticket and a position; a reload and a second tab keep the same place.
    const watchA = watchPositions(a.page);
    const watchB = watchPositions(b.page);
    const tickets = await Promise.all(
      [a, b].map((s) =>
        s.page.waitForFunction(() => document.body.dataset.ticket || null, undefined, { timeout: 15_000 }).then((h) => h.jsonValue()),
      ),
    );
    expect(tickets.every((t) => /^\d+$/.test(String(t)))).toBe(true);
    await stack.screenshot(a.page, 'queue-waiting-en');
    // The one further back opens a second tab: same visitor token (localStorage), so the same ticket —
    // unless its turn came meanwhile, in which case that tab too goes to checkout, never to a new place.
    const later = Number(tickets[0]) > Number(tickets[1]) ? a : b;
    const laterTicket = String(Math.max(Number(tickets[0]), Number(tickets[1])));
    const tab2 = await later.context.newPage();
    await tab2.goto(`${stack.waitingRoomUrl}/queue/${promotionId}`);
    await expect
      .poll(async () => (tab2.url().includes('/checkout/') ? laterTicket : await tab2.locator('body').getAttribute('data-ticket')), {
        timeout: 5_000,
      })
      .toBe(laterTicket);
    await tab2.close();
    if ((await b.page.locator('#panel-waiting').isVisible()) === true) await stack.screenshot(b.page, 'queue-waiting-ko-phone');

    // Marketing changes the live sale from the console: a higher rate and a lower cap.
    await admin.page.locator('#live-rate').fill('3');
    await admin.page.locator('#live-cap').fill('50');
    await admin.page.getByRole('button', { name: 'Apply' }).click();
    await admin.page.getByText('Saved.').waitFor();
    await expect.poll(() => admin.page.locator('#detail').getAttribute('data-state')).toBe('open');
    // Emergency stop and back, from the console; the list follows.
    await admin.page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => admin.page.locator('#detail').getAttribute('data-state')).toBe('paused');
    await expect.poll(() => admin.page.locator(`tr[data-promotion="${promotionId}"] td[data-col="state"]`).textContent()).toBe('paused');
    await admin.page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => admin.page.locator('#detail').getAttribute('data-state')).toBe('open');

    // Admission moves each shopper to checkout; the token never shows up in a URL or a Referer.
    await a.page.waitForURL(`${stack.waitingRoomUrl}/checkout/${promotionId}`, { timeout: 20_000 });
    await b.page.waitForURL(`${stack.waitingRoomUrl}/checkout/${promotionId}`, { timeout: 20_000 });
    watchA.stop();
    watchB.stop();
    // Eight shoppers in line: whoever did not start first must have seen its position fall.
    const seen = [watchA.positions, watchB.positions];
    process.stdout.write(`positions A: ${seen[0]?.join(' → ')} | B: ${seen[1]?.join(' → ')}\n`);
    for (const ps of seen) expect(ps.length).toBeGreaterThan(0);
    const started = seen.filter((ps) => (ps[0] ?? 0) > 1);
    expect(started.length).toBeGreaterThan(0);
    for (const ps of started) expect(Math.min(...ps)).toBeLessThan(ps[0] as number);
    for (const ps of seen)
      for (let i = 1; i < ps.length; i++) expect(ps[i], `positions seen: ${ps.join(' → ')}`).toBeLessThanOrEqual(ps[i - 1] as number);
    expect(referers).toEqual([]);
    for (const s of [a, b]) {
      expect(s.page.url()).not.toMatch(/token|eyJ/);
    }

    // Shopper A: two tees, hold (with its countdown), pay, see the order.
    await a.page.locator('li[data-sku="TEE-1"]').getByText('10 left').waitFor();
    await a.page.locator('li[data-sku="TEE-1"] select').selectOption('2');
    await stack.screenshot(a.page, 'checkout-products-en');
    await a.page.getByRole('button', { name: 'Hold my items' }).click();
    await a.page.locator('#panel-held').waitFor({ state: 'visible' });
    await expect.poll(() => a.page.locator('#hold-countdown').textContent()).toMatch(/\d/);
    await stack.screenshot(a.page, 'checkout-held-en');
    await a.page.getByRole('button', { name: 'Pay and confirm' }).click();
    await a.page.getByRole('heading', { name: 'Order confirmed' }).waitFor({ timeout: 10_000 });
    expect(await a.page.locator('#result-body').textContent()).toMatch(/order number is \S+/);
    await stack.screenshot(a.page, 'checkout-confirmed-en');

    // Shopper B (Korean): a declined card is explained, the items are released, and B can hold and pay again.
    await b.page.locator('li[data-sku="CAP-1"] select').selectOption('1');
    await b.page.getByRole('button', { name: '상품 확보하기' }).click();
    await b.page.locator('#panel-held').waitFor({ state: 'visible' });
    await b.page.locator('#card').selectOption('sim_card_decline');
    await b.page.getByRole('button', { name: '결제하고 주문 확정' }).click();
    await b.page.getByText('결제가 거절되어 상품이 해제되었습니다').waitFor();
    await stack.screenshot(b.page, 'checkout-declined-ko-phone');
    await b.page.locator('li[data-sku="CAP-1"] select').selectOption('1');
    await b.page.getByRole('button', { name: '상품 확보하기' }).click();
    await b.page.locator('#card').selectOption('sim_card_approve');
    await b.page.getByRole('button', { name: '결제하고 주문 확정' }).click();
    await b.page.getByRole('heading', { name: '주문 완료' }).waitFor({ timeout: 10_000 });

    // The console's live dashboard shows what was sold.
    await expect
      .poll(() => admin.page.locator('#stock tr[data-sku="TEE-1"] td[data-col="available"]').textContent(), { timeout: 10_000 })
      .toBe('8');
    await expect
      .poll(() => admin.page.locator('#stock tr[data-sku="CAP-1"] td[data-col="available"]').textContent(), { timeout: 10_000 })
      .toBe('4');
    await stack.screenshot(admin.page, 'admin-dashboard');
    // Queue figures come from the waiting room's stats endpoint (GET /admin/promotions/:id/stats).
    const stats = await fetch(`${stack.waitingRoomUrl}/admin/promotions/${promotionId}/stats`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    expect(stats.status, 'GET /admin/promotions/:id/stats (docs/api.md)').toBe(200);
    await expect
      .poll(async () => Number(await admin.page.locator('[data-series="admitted"]').getAttribute('data-value')), {
        timeout: 10_000,
        message: 'console chart "Admitted" (from the stats endpoint) counts both shoppers',
      })
      .toBeGreaterThanOrEqual(2);

    await Promise.all(bots.map((x) => x.stop()));
    for (const s of [a, b, admin]) await s.context.close();
  }, 90_000);

  it('a sale that sells out: the second shopper is told at hold time, and newcomers see the sold-out state', async () => {
    onTestFailed(() => stack.dumpPages('soldout'));
    const promotionId = await createByApi({ name: 'Last lamp', startInMs: 2_000, rate: 5, stock: 1 });
    await new Promise((r) => setTimeout(r, 2_500));

    const c = await stack.shopper();
    const d = await stack.shopper();
    for (const s of [c, d]) await s.page.goto(`${stack.waitingRoomUrl}/queue/${promotionId}`);
    for (const s of [c, d]) await s.page.waitForURL(`${stack.waitingRoomUrl}/checkout/${promotionId}`, { timeout: 15_000 });
    for (const s of [c, d]) await s.page.locator('li[data-sku="LAMP-1"]').getByText('1 left').waitFor();

    // C uses only the keyboard: pick the quantity, Tab to the button, Enter.
    await c.page.locator('li[data-sku="LAMP-1"] select').focus();
    await c.page.keyboard.press('ArrowDown');
    expect(await c.page.locator('li[data-sku="LAMP-1"] select').inputValue()).toBe('1');
    await c.page.keyboard.press('Tab');
    expect(await c.page.evaluate(() => document.activeElement?.id)).toBe('hold');
    await c.page.keyboard.press('Enter');
    await c.page.locator('#panel-held').waitFor({ state: 'visible' });

    // D still sees the last lamp on screen; holding it answers SOLD_OUT, said in words.
    await d.page.locator('li[data-sku="LAMP-1"] select').selectOption('1');
    await d.page.getByRole('button', { name: 'Hold my items' }).click();
    await d.page.getByText('Sorry, Desk lamp just sold out.').waitFor();
    // C has not paid yet, so it is not final: D is told the lamp may come back.
    await d.page.getByText('Everything left is in other shoppers’ carts right now.', { exact: false }).waitFor();
    await stack.screenshot(d.page, 'checkout-all-held-en');

    await c.page.getByRole('button', { name: 'Pay and confirm' }).click();
    await c.page.getByRole('heading', { name: 'Order confirmed' }).waitFor({ timeout: 10_000 });
    // Paid: D's page, still watching, now says sold out.
    await d.page.getByRole('heading', { name: 'Sold out' }).waitFor();
    await stack.screenshot(d.page, 'checkout-sold-out-en');

    // A newcomer is not queued for nothing: the queue page shows the sale as sold out.
    const e = await stack.shopper({ mobile: true });
    await e.page.goto(`${stack.waitingRoomUrl}/queue/${promotionId}`);
    await e.page.getByRole('heading', { name: 'Sold out' }).waitFor({ timeout: 15_000 });
    await stack.screenshot(e.page, 'queue-sold-out-phone');

    // Wrong links and early birds get a clear word instead of a spinner.
    await e.page.goto(`${stack.waitingRoomUrl}/queue/no-such-sale`);
    await e.page.getByRole('heading', { name: 'Sale not found' }).waitFor();
    const later = await createByApi({ name: 'Next week', prequeueInMs: 10 * 60_000, startInMs: 20 * 60_000, rate: 5, stock: 1 });
    await e.page.goto(`${stack.waitingRoomUrl}/queue/${later}`);
    await e.page.getByRole('heading', { name: 'The queue has not opened yet' }).waitFor();
    await stack.screenshot(e.page, 'queue-not-open-phone');
    for (const s of [c, d, e]) await s.context.close();
  }, 60_000);

  it('a dropped connection shows "reconnecting", falls back to polling and comes back, keeping the same place', async () => {
    onTestFailed(() => stack.dumpPages('reconnect'));
    const promotionId = await createByApi({ name: 'Night owl', startInMs: 1_000, rate: 0.5, stock: 5 });
    await new Promise((r) => setTimeout(r, 1_500));
    const bots = Array.from({ length: 5 }, () => pollingShopper(promotionId));
    await new Promise((r) => setTimeout(r, 500));

    const f = await stack.shopper({ mobile: true });
    // The shopper's socket goes through a switch: 'pass' reaches the server, 'refuse' drops at once.
    let mode: 'pass' | 'refuse' = 'pass';
    const sockets: WebSocketRoute[] = [];
    await f.page.routeWebSocket(/\/queue\/[^/]+\/ws$/, (ws) => {
      if (mode === 'refuse') {
        void ws.close({ code: 4001, reason: 'network down (test)' });
        return;
      }
      ws.connectToServer();
      sockets.push(ws);
    });
    await f.page.goto(`${stack.waitingRoomUrl}/queue/${promotionId}`);
    const ticket = await f.page.waitForFunction(() => document.body.dataset.ticket || null).then((h) => h.jsonValue());
    await f.page.locator('#panel-waiting').waitFor({ state: 'visible' });
    await expect.poll(async () => Number(await f.page.locator('#position').textContent())).toBeGreaterThan(0);
    const first = Number(await f.page.locator('#position').textContent());
    expect(first).toBeGreaterThan(2);
    // The live region has spoken the position once (and will not repeat it every tick).
    await expect.poll(() => f.page.locator('#live').textContent()).toMatch(/^Your position is now \d+\.$/);
    // A reload keeps the place.
    await f.page.reload();
    await expect.poll(() => f.page.locator('body').getAttribute('data-ticket')).toBe(ticket);

    // Marketing pauses: the shopper sees it, keeps the place; resume.
    const admin = (action: string) =>
      fetch(`${stack.waitingRoomUrl}/admin/promotions/${promotionId}/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.adminToken}` },
      });
    expect((await admin('pause')).status).toBe(200);
    await f.page.getByRole('heading', { name: 'The queue is paused' }).waitFor();
    await stack.screenshot(f.page, 'queue-paused-phone');
    expect((await admin('resume')).status).toBe(200);
    await f.page.getByRole('heading', { name: 'You are in line' }).waitFor();

    mode = 'refuse';
    for (const ws of sockets) await ws.close({ code: 4001, reason: 'network down (test)' });
    await f.page.getByText('Connection lost — reconnecting…').waitFor();
    await stack.screenshot(f.page, 'queue-reconnecting-phone');
    await f.page.getByText('Live updates unavailable — checking every few seconds').waitFor();
    // Polling keeps the same place, and the position still falls.
    await expect.poll(async () => Number(await f.page.locator('#position').textContent()), { timeout: 10_000 }).toBeLessThan(first);
    expect(await f.page.locator('body').getAttribute('data-ticket')).toBe(ticket);

    mode = 'pass';
    await expect.poll(() => f.page.locator('body').getAttribute('data-connection'), { timeout: 15_000 }).toBe('live');
    expect(await f.page.locator('#conn').isVisible()).toBe(false);
    expect(await f.page.locator('body').getAttribute('data-ticket')).toBe(ticket);
    await f.page.waitForURL(`${stack.waitingRoomUrl}/checkout/${promotionId}`, { timeout: 20_000 });
    expect(await f.page.evaluate((id) => sessionStorage.getItem(`flashgate.admission.${id}`), promotionId)).toContain('"token"');
    await Promise.all(bots.map((x) => x.stop()));
    await f.context.close();

    // A forged admission token never touches stock: the gateway refuses it and the page says so.
    const g = await stack.shopper();
    await g.page.goto(`${stack.waitingRoomUrl}/`);
    await g.page.getByRole('heading', { name: 'Join a sale' }).waitFor();
    await stack.screenshot(g.page, 'home-chooser');
    await g.page.evaluate(
      (id) =>
        sessionStorage.setItem(
          `flashgate.admission.${id}`,
          JSON.stringify({ token: 'eyJhbGciOiJub25lIn0.e30.', expiresAt: new Date(Date.now() + 60_000).toISOString() }),
        ),
      promotionId,
    );
    await g.page.goto(`${stack.waitingRoomUrl}/checkout/${promotionId}`);
    await g.page.locator('li[data-sku="LAMP-1"] select').selectOption('1');
    await g.page.getByRole('button', { name: 'Hold my items' }).click();
    await g.page.getByRole('heading', { name: 'Your admission could not be verified. Please join the queue again.' }).waitFor();
    expect(await g.page.getByRole('link', { name: 'Back to the queue' }).getAttribute('href')).toBe(`/queue/${promotionId}`);
    const stock = (await (await fetch(`${stack.gatewayUrl}/promotions/${promotionId}/stock`)).json()) as { products: { held: number }[] };
    expect(stock.products[0]?.held).toBe(0);
    await g.context.close();
  }, 60_000);
});

async function createByApi(p: { name: string; startInMs: number; rate: number; stock: number; prequeueInMs?: number }): Promise<string> {
  const now = Date.now();
  const res = await fetch(`${stack.waitingRoomUrl}/admin/promotions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: p.name,
      prequeueOpensAt: new Date(now + (p.prequeueInMs ?? 300)).toISOString(),
      windowStart: new Date(now + p.startInMs).toISOString(),
      windowEnd: new Date(now + 30 * 60_000).toISOString(),
      products: [{ sku: 'LAMP-1', name: 'Desk lamp', priceCents: 9_900_000, stock: p.stock, perShopperLimit: 1 }],
      admissionRatePerSec: p.rate,
      maxActiveShoppers: 10,
      tokenTtlSeconds: 120,
      graceSeconds: 10,
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

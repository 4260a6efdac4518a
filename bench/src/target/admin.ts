/**
 * The waiting-room admin API (docs/api.md): the bench creates its own promotion for each run, with
 * the products, stock and rates it chooses.
 */
export interface PromotionInput {
  id?: string;
  name: string;
  prequeueOpensAt: string;
  windowStart: string;
  windowEnd: string;
  products: Array<{ sku: string; name: string; priceCents: number; stock: number; perShopperLimit: number }>;
  admissionRatePerSec: number;
  maxActiveShoppers: number;
  tokenTtlSeconds: number;
  graceSeconds: number;
}

export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

async function call(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new AdminApiError(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`, res.status, text);
  return text ? JSON.parse(text) : null;
}

export async function createPromotion(baseUrl: string, token: string, input: PromotionInput): Promise<{ id: string }> {
  const p = await call(baseUrl, token, 'POST', '/admin/promotions', input);
  const id = p?.id ?? p?.promotion?.id;
  if (typeof id !== 'string') throw new AdminApiError('POST /admin/promotions answered without an id', 201, JSON.stringify(p));
  return { id };
}

export async function promotionStats(baseUrl: string, token: string, id: string): Promise<Record<string, unknown> | null> {
  try {
    return await call(baseUrl, token, 'GET', `/admin/promotions/${encodeURIComponent(id)}/stats`);
  } catch {
    return null;
  }
}

export async function cancelPromotion(baseUrl: string, token: string, id: string): Promise<void> {
  await call(baseUrl, token, 'POST', `/admin/promotions/${encodeURIComponent(id)}/cancel`).catch(() => {});
}

/** A promotion's times relative to now: the pre-queue open at once, the window opening after `leadMs`. */
export function schedule(now: number, leadMs: number, windowMs: number) {
  const windowStart = now + leadMs;
  return {
    prequeueOpensAt: new Date(now - 1_000).toISOString(),
    windowStart: new Date(windowStart).toISOString(),
    windowEnd: new Date(windowStart + windowMs).toISOString(),
    windowStartMs: windowStart,
  };
}

/** The hot SKUs of a bench promotion: HOT-1…HOT-n. */
export function hotSkus(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `HOT-${i + 1}`);
}

/**
 * The promotion every scenario runs: the given hot SKUs with `stock` units each, one per shopper,
 * long-lived admission tokens so slow shoppers under load are not cut off by the bench itself.
 */
export function benchPromotion(
  id: string,
  name: string,
  times: ReturnType<typeof schedule>,
  skus: string[],
  o: { stock: number; admissionRate: number; shoppers: number },
): PromotionInput {
  return {
    id,
    name,
    prequeueOpensAt: times.prequeueOpensAt,
    windowStart: times.windowStart,
    windowEnd: times.windowEnd,
    products: skus.map((sku, i) => ({ sku, name: `Hot item ${i + 1}`, priceCents: 4_999, stock: o.stock, perShopperLimit: 1 })),
    admissionRatePerSec: o.admissionRate,
    maxActiveShoppers: Math.max(1, o.shoppers),
    tokenTtlSeconds: 600,
    graceSeconds: 30,
  };
}

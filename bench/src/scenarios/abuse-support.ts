import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { AbusePlan, AbuseResult } from '../load/abuse-worker.js';
import { errorCode, httpRequest } from '../load/http.js';
import { benchRoot } from '../load/pool.js';
import { type Histogram, recordMs } from '../stats/latency.js';

/** gateway-abuse's legitimate side: real orders with real tokens, the abuse worker, and the public stock figure. */
export interface LegitRecord {
  held: Array<[string, string]>;
  confirmed: Array<[string, string]>;
  outcomes: Record<string, number>;
  unanswered: number;
  keys: Array<{ key: string; sku: string; token: string }>;
}

export async function legitOrder(
  gw: string,
  promotionId: string,
  skus: string[],
  t: { shopperId: string; token: string },
  h: Histogram,
  rec: LegitRecord,
  timeoutMs: number,
) {
  const sku = skus[Math.floor(Math.random() * skus.length)] ?? 'HOT-1';
  const key = randomUUID();
  const headers = { authorization: `Bearer ${t.token}`, 'content-type': 'application/json', 'idempotency-key': key };
  const res = await httpRequest('POST', `${gw}/orders`, {
    headers,
    body: JSON.stringify({ promotionId, lines: [{ sku, quantity: 1 }] }),
    timeoutMs,
  });
  if (!res.ok) {
    rec.unanswered++;
    return;
  }
  recordMs(h, res.ms);
  const code = errorCode(res.body);
  const label = res.status === 409 && code ? code : String(res.status);
  rec.outcomes[label] = (rec.outcomes[label] ?? 0) + 1;
  if (res.status !== 201) return;
  const held = JSON.parse(res.body) as { orderId: string; holdId: string };
  rec.held.push([held.holdId, t.shopperId]);
  rec.keys.push({ key, sku, token: t.token });
  const c = await httpRequest('POST', `${gw}/orders/${encodeURIComponent(held.orderId)}/confirm`, {
    headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
    body: '{}',
    timeoutMs,
  });
  if (!c.ok) {
    rec.unanswered++;
    return;
  }
  const cl = c.status === 409 ? (errorCode(c.body) ?? '409') : String(c.status);
  rec.outcomes[cl] = (rec.outcomes[cl] ?? 0) + 1;
  if (c.status === 200) rec.confirmed.push([held.holdId, t.shopperId]);
}

export function runAbuseWorker(plan: AbusePlan): Promise<AbuseResult | null> {
  return new Promise((resolve) => {
    const child = fork(join(benchRoot(), 'dist', 'load', 'abuse-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: AbuseResult | null = null;
    child.on('message', (m: AbuseResult) => {
      result = m;
    });
    child.once('exit', () => resolve(result));
    child.send(plan);
    setTimeout(() => child.kill('SIGKILL'), plan.durationMs + plan.timeoutMs + 30_000).unref();
  });
}

/** Units available over all SKUs from the gateway's public stock endpoint, whatever its exact shape. */
export async function stockView(gw: string, promotionId: string): Promise<{ available: number; raw: unknown } | null> {
  const res = await httpRequest('GET', `${gw}/promotions/${encodeURIComponent(promotionId)}/stock`, { timeoutMs: 5_000 });
  if (!res.ok || res.status !== 200) return null;
  try {
    const raw = JSON.parse(res.body) as { products?: Array<{ available?: number }> };
    if (!Array.isArray(raw.products) || raw.products.some((p) => typeof p.available !== 'number')) return null;
    return { available: raw.products.reduce((a, p) => a + (p.available ?? 0), 0), raw };
  } catch {
    return null;
  }
}

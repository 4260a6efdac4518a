/**
 * A worker process that fires hostile requests at the gateway at a steady rate, round-robin over
 * the cases it is given, and reports per case how each was answered. It runs apart from the
 * parent so the parent's measurement of legitimate latency does not share an event loop with it.
 */
import { closeAgents, httpRequest } from './http.js';
import { encodeHistogram, newHistogram, recordMs } from '../stats/latency.js';

export interface AbuseCase {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Statuses that count as the right answer. */
  expect: number[];
}

export interface AbusePlan {
  gatewayUrl: string;
  ratePerSec: number;
  durationMs: number;
  timeoutMs: number;
  maxInFlight: number;
  /** The attacker's own loopback address, so per-IP limits hit it and not the legitimate shoppers. */
  localAddress?: string;
  cases: AbuseCase[];
}

export interface AbuseKindResult {
  sent: number;
  right: number;
  wrong: number;
  unanswered: number;
  rateLimited: number;
  statuses: Record<string, number>;
}

export interface AbuseResult {
  type: 'abuse-result';
  perKind: Record<string, AbuseKindResult>;
  skippedAtCapacity: number;
  latency: string;
  wrongSamples: string[];
}

function run(plan: AbusePlan): void {
  const perKind: Record<string, AbuseKindResult> = {};
  for (const c of plan.cases) perKind[c.kind] = { sent: 0, right: 0, wrong: 0, unanswered: 0, rateLimited: 0, statuses: {} };
  const latency = newHistogram();
  const wrongSamples: string[] = [];
  let inFlight = 0;
  let skipped = 0;
  let next = 0;
  let owed = 0;
  const started = Date.now();
  let last = started;
  const fire = (c: AbuseCase) => {
    const k = perKind[c.kind] as AbuseKindResult;
    k.sent++;
    inFlight++;
    void httpRequest(c.method, `${plan.gatewayUrl}${c.path}`, {
      headers: c.headers,
      body: c.body,
      timeoutMs: plan.timeoutMs,
      localAddress: plan.localAddress,
    }).then((res) => {
      inFlight--;
      if (!res.ok) {
        k.unanswered++;
        return;
      }
      recordMs(latency, res.ms);
      k.statuses[res.status] = (k.statuses[res.status] ?? 0) + 1;
      if (c.expect.includes(res.status)) k.right++;
      else if (res.status === 429) k.rateLimited++;
      else {
        k.wrong++;
        if (wrongSamples.length < 20) wrongSamples.push(`${c.kind}: ${res.status} ${res.body.slice(0, 200)}`);
      }
    });
  };
  const timer = setInterval(() => {
    const now = Date.now();
    owed += ((now - last) / 1000) * plan.ratePerSec;
    last = now;
    while (owed >= 1) {
      owed--;
      if (inFlight >= plan.maxInFlight) {
        skipped++;
        continue;
      }
      fire(plan.cases[next++ % plan.cases.length] as AbuseCase);
    }
    if (now - started >= plan.durationMs) {
      clearInterval(timer);
      const waitDone = setInterval(() => {
        if (inFlight > 0 && Date.now() - now < plan.timeoutMs + 1_000) return;
        clearInterval(waitDone);
        closeAgents();
        const result: AbuseResult = {
          type: 'abuse-result',
          perKind,
          skippedAtCapacity: skipped,
          latency: encodeHistogram(latency),
          wrongSamples,
        };
        process.send?.(result, () => process.disconnect());
      }, 50);
    }
  }, 10);
}

process.once('message', (plan: AbusePlan) => run(plan));

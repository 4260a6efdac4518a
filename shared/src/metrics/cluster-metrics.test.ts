import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createMetrics, sampleValues, scrapeMetrics } from './index.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'cluster-metrics.fixture.mjs');

/** Runs the fixture cluster (over shared/dist: pnpm -s build first) and returns what worker 1's scrape got. */
async function scrapeInCluster(mode: 'serve' | 'silent') {
  const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE], { env: { ...process.env, MODE: mode }, timeout: 20_000 });
  return JSON.parse(stdout.trim()) as { text?: string; error?: { code: string; status: number } };
}

describe('scrapeMetrics', () => {
  it('outside cluster.js answers the local registry exactly', async () => {
    const { registry, httpRequests } = createMetrics('solo', { defaultMetrics: false });
    httpRequests.inc({ method: 'GET', route: '/x', status: '200' }, 3);
    const text = await scrapeMetrics(registry);
    expect(text).toBe(await registry.metrics());
    expect(sampleValues(text, 'http_requests_total', { route: '/x', service: 'solo' })).toEqual([3]);
  });

  it("merges event-loop lag by the worst worker, not prom-client's average", async () => {
    const json = await createMetrics('lag').registry.getMetricsAsJSON();
    const aggregator = (name: string) => json.find((m) => m.name === name)?.aggregator;
    expect(aggregator('nodejs_eventloop_lag_p99_seconds')).toBe('max');
    expect(aggregator('nodejs_eventloop_lag_min_seconds')).toBe('min');
    expect(aggregator('process_cpu_seconds_total')).toBe('sum');
  });

  it('in a cluster.js worker answers every worker: counters summed, gauges by their aggregator', { timeout: 30_000 }, async () => {
    const { text } = await scrapeInCluster('serve');
    // Worker 1 counted 1 and worker 2 counted 2; one sample each, with the service label kept.
    expect(sampleValues(text ?? '', 'http_requests_total', { route: '/x', service: 'fixture' })).toEqual([3]);
    expect(sampleValues(text ?? '', 'fx_per_worker')).toEqual([20]);
    expect(sampleValues(text ?? '', 'fx_same_everywhere')).toEqual([2]);
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE, not a partial registry, when the primary does not answer', { timeout: 30_000 }, async () => {
    const { error } = await scrapeInCluster('silent');
    expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
  });
});

describe('sampleValues', () => {
  it('reads samples by name and label subset, escaped values included', () => {
    const text = ['# HELP a x', 'a{k="1",q="say \\"hi\\""} 4', 'a{k="2"} 5', 'a_bucket{le="+Inf"} 9', 'b 7'].join('\n');
    expect(sampleValues(text, 'a')).toEqual([4, 5]);
    expect(sampleValues(text, 'a', { q: 'say \\"hi\\"' })).toEqual([4]);
    expect(sampleValues(text, 'b')).toEqual([7]);
  });
});

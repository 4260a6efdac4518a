/**
 * infra/prometheus/alerts.yml against what the services really export. An alert on a misspelled
 * metric or label is valid PromQL that never fires, so no Prometheus would ever complain: this test
 * builds each service's metrics registry with its own factories and checks every name and label.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectNats, createDb } from '@flashgate/shared/clients';
import { createLogger } from '@flashgate/shared/logger';
import { createMetrics, type Registry, type ServiceMetrics } from '@flashgate/shared/metrics';
import { testServers, uniqueName } from '@flashgate/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const RULES = repo('infra/prometheus/alerts.yml');
const RUNBOOK = 'docs/operations.md';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);

/**
 * The services import from infra (test fixtures), so infra cannot depend on them at build time: their
 * metric factories are loaded from source at run time (vitest compiles them; tsc never follows a
 * computed specifier).
 */
const load = async <T>(path: string): Promise<T> => (await import(repo(path))) as T;

/** Series names and label names a registry exposes, as Prometheus will store them. */
type Exposed = Map<string, Set<string>>;
const TARGET_LABELS = ['job', 'instance', 'service']; // scrape labels + the registry's default `service`

function exposed(registry: Registry, into: Exposed): void {
  for (const m of registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames?: readonly string[] }[]) {
    const labels = [...TARGET_LABELS, ...(m.labelNames ?? [])];
    const add = (name: string, extra: string[] = []) => {
      const set = into.get(name) ?? new Set<string>();
      for (const l of [...labels, ...extra]) set.add(l);
      into.set(name, set);
    };
    if (m.type === 'histogram') {
      add(`${m.name}_bucket`, ['le']);
      add(`${m.name}_sum`);
      add(`${m.name}_count`);
    } else if (m.type === 'summary') {
      add(m.name, ['quantile']);
      add(`${m.name}_sum`);
      add(`${m.name}_count`);
    } else {
      add(m.name);
    }
  }
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'by', 'without', 'on', 'ignoring']);

/** Metric selectors (name + label names matched) and grouping labels of a PromQL expression. */
function readPromQL(expr: string): { selectors: { name: string; labels: string[] }[]; grouping: string[] } {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const grouping: string[] = [];
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_m, _kw, list: string) => {
    grouping.push(
      ...list
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  const selectors: { name: string; labels: string[] }[] = [];
  s = s.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_m, name: string | undefined, matchers: string) => {
    const labels = [...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1] as string);
    if (name && !KEYWORDS.has(name)) selectors.push({ name, labels });
    return ' ';
  });
  s = s.replace(/\[[^\]]*\]/g, ' ');
  for (const t of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=(\s*\()?)|\d[\w.]*/g)) {
    const token = t[0];
    if (/^\d/.test(token) || t[1] || KEYWORDS.has(token)) continue; // numbers, durations, functions
    selectors.push({ name: token, labels: [] });
  }
  return { selectors, grouping };
}

/** PromQL inside annotation templates (`printf "…" … | query`). */
const templateQueries = (rule: Rule) =>
  Object.values(rule.annotations ?? {}).flatMap((text) =>
    [...text.matchAll(/printf\s+"((?:[^"\\]|\\.)*)"/g)].map((m) => (JSON.parse(`"${m[1]}"`) as string).replace(/%q/g, '"x"')),
  );

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchors = (markdown: string) =>
  new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      (m[1] as string)
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );

describe('infra/prometheus/alerts.yml', () => {
  const metrics: Exposed = new Map([['up', new Set(['job', 'instance'])]]); // written by Prometheus itself
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    // waiting-room: as main.ts and queue-runtime.ts compose it. The promotions runtime registers its
    // counters when constructed (never started here; the Postgres pool stays unconnected).
    const wr = createMetrics('waiting-room');
    const { createQueueMetrics } = await load<{ createQueueMetrics: (r: Registry) => unknown }>('waiting-room/src/domain/queue-metrics.ts');
    const { loadConfig } = await load<{ loadConfig: (env: Record<string, string>) => Record<string, unknown> }>(
      'waiting-room/src/config.ts',
    );
    const { createPromotionsRuntime } = await load<{ createPromotionsRuntime: (deps: Record<string, unknown>) => unknown }>(
      'waiting-room/src/promotions-runtime.ts',
    );
    const nc = await connectNats(testServers().natsUrl);
    const db = createDb(testServers().databaseUrl, { max: 1 });
    closers.push(
      () => nc.close(),
      () => db.destroy(),
    );
    const config = loadConfig({ NATS_SUBJECT_PREFIX: uniqueName('alerts'), LOG_LEVEL: 'silent' });
    createPromotionsRuntime({ config, db, nc, logger: createLogger('waiting-room', 'silent'), metrics: wr });
    createQueueMetrics(wr.registry);
    exposed(wr.registry, metrics);

    const gw = createMetrics('order-gateway');
    const { createGatewayMetrics } = await load<{ createGatewayMetrics: (m: ServiceMetrics) => unknown }>('order-gateway/src/metrics.ts');
    createGatewayMetrics(gw);
    exposed(gw.registry, metrics);

    const inv = createMetrics('inventory-reservations');
    const { createInventoryMetrics } = await load<{ createInventoryMetrics: (m: ServiceMetrics) => unknown }>(
      'inventory-reservations/src/metrics.ts',
    );
    createInventoryMetrics(inv);
    exposed(inv.registry, metrics);
  });

  afterAll(async () => {
    for (const close of closers) await close();
  });

  it('is wired into prometheus.yml', () => {
    const config = parse(readFileSync(repo('infra/prometheus/prometheus.yml'), 'utf8')) as { rule_files?: string[] };
    expect(config.rule_files).toContain('alerts.yml');
  });

  it('every rule is an alert with a severity, a summary, a description and a runbook section that exists', () => {
    const sections = anchors(readFileSync(repo(RUNBOOK), 'utf8'));
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect(r.alert, r.expr).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(['critical', 'warning', 'info'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      const anchor = (r.alert as string).toLowerCase();
      expect(r.annotations?.runbook_url, r.alert).toBe(`${RUNBOOK}#${anchor}`);
      expect(sections.has(anchor), `${RUNBOOK} has no section for ${r.alert}`).toBe(true);
    }
  });

  it('every metric an alert reads is registered by a service, with the labels it matches on', () => {
    const problems: string[] = [];
    for (const r of rules) {
      for (const query of [r.expr, ...templateQueries(r)]) {
        const { selectors, grouping } = readPromQL(query);
        expect(selectors.length, `${r.alert}: no metric found in ${query}`).toBeGreaterThan(0);
        const known = new Set<string>();
        for (const { name, labels } of selectors) {
          const has = metrics.get(name);
          if (!has) {
            problems.push(`${r.alert}: ${name} is not registered by any service`);
            continue;
          }
          for (const l of has) known.add(l);
          for (const l of labels) if (!has.has(l)) problems.push(`${r.alert}: ${name} has no label ${l}`);
        }
        for (const l of grouping) if (!known.has(l)) problems.push(`${r.alert}: no metric of the expression has the label ${l}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('reads PromQL the way the check above relies on', () => {
    const { selectors, grouping } = readPromQL(
      'sum by (le) (rate(a_bucket{route="/x", status=~"5.."}[5m])) > 0.5 and on (p) b unless c offset 10m or up == 0',
    );
    expect(selectors).toEqual([
      { name: 'a_bucket', labels: ['route', 'status'] },
      { name: 'b', labels: [] },
      { name: 'c', labels: [] },
      { name: 'up', labels: [] },
    ]);
    expect(grouping).toEqual(['le', 'p']);
  });

  // promtool ships with Prometheus (Debian: `apt-get install prometheus`); machines without it run only
  // the checks above, which need no binary.
  const promtool = spawnSync('promtool', ['--version']).status === 0;
  it.skipIf(!promtool)('passes promtool check rules and the rule unit tests in alerts.test.yml', () => {
    for (const args of [
      ['check', 'rules', RULES],
      ['test', 'rules', repo('infra/prometheus/alerts.test.yml')],
    ]) {
      const run = spawnSync('promtool', args, { encoding: 'utf8' });
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    }
  });
});

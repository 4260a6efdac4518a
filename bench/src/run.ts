import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { benchRoot, killAllPools } from './load/pool.js';
import type { BenchOptions } from './options.js';
import { renderHtml } from './report/html.js';
import type { BenchReport } from './report/report.js';
import type { ScenarioContext, ScenarioOutcome } from './scenarios/context.js';
import { runGatewayAbuse } from './scenarios/gateway-abuse.js';
import { runSale } from './scenarios/sale.js';
import { machineInfo } from './stats/machine.js';
import { ProcessWatcher } from './stats/process-usage.js';
import { readTcpCounters, tcpDelta } from './stats/tcp-counters.js';
import { resolveTargets } from './target/targets.js';

/**
 * One bench run, start to finish: resolve the targets (starting the local stack if none were given),
 * run the scenario, stop what it started, write report.json and report.html. Used by the CLI and,
 * in-process, by the smoke tests.
 */
export interface RunIo {
  log: (line: string) => void;
  /** Called about once a second with the progress line while the load runs. */
  progress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Stop the workers and the stack it started on SIGINT / SIGTERM, then exit 130 (the CLI). */
  handleSignals?: boolean;
}

export async function runBench(opts: BenchOptions, io: RunIo): Promise<{ report: BenchReport; dir: string }> {
  const machine = machineInfo();
  const startedAt = Date.now();
  const targets = await resolveTargets(opts, io.env ?? process.env, io.log);
  const onSignal = () => {
    io.log('interrupted: stopping the load and what the bench started…');
    killAllPools();
    void targets.stop().finally(() => process.exit(130));
  };
  if (io.handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  let outcome: ScenarioOutcome;
  const ctx: ScenarioContext = {
    opts,
    targets,
    log: io.log,
    timeline: [],
    watcher: new ProcessWatcher(targets.serverProcesses),
    startedAt,
    progress: { line: '' },
  };
  const progress = io.progress
    ? setInterval(() => {
        if (ctx.progress.line) io.progress?.(ctx.progress.line);
      }, 1000)
    : null;
  const tcpBefore = readTcpCounters();
  try {
    outcome = opts.scenario === 'gateway-abuse' ? await runGatewayAbuse(ctx) : await runSale(ctx, opts.scenario !== 'queue-storm');
  } finally {
    if (progress) clearInterval(progress);
    if (targets.startedStack) io.log('stopping the local stack…');
    await targets.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const end = Date.now();
  outcome.results.kernelTcp = tcpDelta(tcpBefore, readTcpCounters());
  const report: BenchReport = {
    schemaVersion: 1,
    scenario: opts.scenario,
    config: {
      ...opts,
      adminToken: opts.adminToken ? '(set)' : undefined,
      databaseUrl: opts.databaseUrl ? redact(opts.databaseUrl) : undefined,
      startedStack: targets.startedStack,
      waitingRoomUrls: targets.waitingRoomUrls,
      gatewayUrls: targets.gatewayUrls,
    },
    machine,
    start: new Date(startedAt).toISOString(),
    end: new Date(end).toISOString(),
    durationMs: end - startedAt,
    passed: outcome.invariants.every((i) => i.ok),
    invariants: outcome.invariants,
    results: outcome.results,
    timeline: ctx.timeline,
    charts: outcome.charts,
    notes: outcome.notes,
  };
  const dir = resolve(
    opts.out ?? join(benchRoot(), 'reports', `${opts.scenario}-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}`),
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'report.html'), renderHtml(report));
  return { report, dir };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(set)';
  }
}

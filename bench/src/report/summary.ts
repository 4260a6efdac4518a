import type { BenchReport } from './report.js';

/** The stdout summary: the headline figures as a two-column table, then each invariant. */
export function summaryTable(r: BenchReport): string {
  const res = r.results as any;
  const rows: Array<[string, string]> = [];
  const lat = (l: any) =>
    l && l.count > 0 ? `p50 ${l.p50} · p90 ${l.p90} · p99 ${l.p99} · max ${l.max} · mean ${l.mean} (n=${l.count})` : '—';
  const add = (k: string, v: unknown) => {
    if (v !== undefined) rows.push([k, v === null ? '—' : String(v)]);
  };
  add('scenario', r.scenario);
  add('duration', `${(r.durationMs / 1000).toFixed(1)} s`);
  add('shoppers', res.shoppers);
  add('connected peak', res.connectedPeak);
  if (res.admitted !== undefined) add('admitted / turned away / failed', `${res.admitted} / ${res.turnedAway} / ${res.failed}`);
  add('join latency ms', lat(res.joinLatencyMs));
  if (res.timeToFirstPositionMs) add('time to first position ms', lat(res.timeToFirstPositionMs));
  add('position staleness ms', lat(res.positionStalenessMs));
  if (res.admission)
    add('admission /s configured → achieved', `${res.admission.configuredPerSec} → ${res.admission.achievedPerSec ?? '—'}`);
  add('fairness violations', res.fairnessViolations);
  if (res.orders) {
    const o = res.orders;
    add('orders attempted / held / confirmed', `${o.attempted} / ${o.held} / ${o.confirmed}`);
    add('sold out / rejected / errors', `${o.soldOut} / ${o.rejected} / ${o.errors}`);
    add('order throughput /s', o.throughputPerSec);
    add('order latency ms', lat(o.latencyMs));
  }
  add('oversold', res.oversold);
  add('lost orders', res.lostOrders);
  add('duplicate orders', res.duplicateOrders);
  if (res.abuse) {
    add('abuse sent / right / wrong / unanswered', `${res.abuse.sent} / ${res.abuse.right} / ${res.abuse.wrong} / ${res.abuse.unanswered}`);
    add('legit p99 baseline → under abuse ms', `${res.legitimate.baselineLatencyMs.p99} → ${res.legitimate.underAbuseLatencyMs.p99}`);
    add('stock touched by abuse', res.stock.touchedByAbuse);
  }
  if (res.kernelTcp) add('TCP listen overflows / SYN retransmits', `${res.kernelTcp.listenOverflows} / ${res.kernelTcp.synRetransmits}`);
  for (const s of res.servers ?? [])
    add(`server ${s.name} (pid ${s.pid})`, `RSS peak ${s.rssPeakMb} MB · CPU mean ${s.cpuMeanPercent}% peak ${s.cpuPeakPercent}%`);
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`);
  lines.push('', 'invariants:');
  for (const i of r.invariants) lines.push(`  ${i.ok ? 'PASS' : 'FAIL'}  ${i.name} — ${i.detail}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

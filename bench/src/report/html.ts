import type { BenchReport } from './report.js';
import { summaryTable } from './summary.js';
import { escapeHtml, histogramChart, lineChart } from './svg.js';

/** The HTML report: one self-contained file (inline SVG and CSS, nothing fetched). */
export function renderHtml(r: BenchReport): string {
  const tl = r.timeline;
  const xs = tl.map((p) => p.t);
  const serverNames = [...new Set(tl.flatMap((p) => p.servers.map((s) => s.name)))];
  const serverSeries = (pick: 'rssMb' | 'cpuPercent') =>
    serverNames.map((name) => ({ name, values: tl.map((p) => p.servers.find((s) => s.name === name)?.[pick] ?? null) }));
  const charts = [
    lineChart('Throughput per second', xs, [
      { name: 'gateway responses/s', values: tl.map((p) => p.ordersPerSec) },
      { name: 'admissions/s', values: tl.map((p) => p.admittedPerSec) },
    ]),
    lineChart('Connections', xs, [{ name: 'open WebSockets', values: tl.map((p) => p.connected) }]),
    lineChart('Queue length', xs, [
      { name: 'server (tick.waiting)', values: tl.map((p) => p.queueLength) },
      { name: 'bench shoppers waiting', values: tl.map((p) => p.waiting) },
    ]),
    lineChart('Errors (cumulative)', xs, [{ name: 'errors', values: tl.map((p) => p.errors) }]),
    lineChart('Load generator event-loop delay, p99 (ms)', xs, [{ name: 'worst load worker', values: tl.map((p) => p.loadLagMs ?? null) }]),
    lineChart('Server RSS (MB)', xs, [...serverSeries('rssMb'), { name: 'bench workers', values: tl.map((p) => p.loadRssMb) }]),
    lineChart('Server CPU (% of one core)', xs, serverSeries('cpuPercent')),
    ...r.charts.map((c) => histogramChart(c.title, c.bins)),
  ];
  const status = r.passed ? '<b style="color:#16a34a">PASSED</b>' : '<b style="color:#dc2626">FAILED</b>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flashgate bench — ${escapeHtml(r.scenario)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1400px;color:#111}
pre{background:#f3f4f6;padding:1rem;overflow:auto;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;border:1px solid #e5e7eb;padding:.5rem}
figcaption{font-weight:600;margin-bottom:.25rem}
.legend{font-size:12px}
</style></head><body>
<h1>flashgate bench — ${escapeHtml(r.scenario)} ${status}</h1>
<p>${escapeHtml(r.start)} → ${escapeHtml(r.end)} on ${escapeHtml(r.machine.hostname)} (${r.machine.cores} cores, ${escapeHtml(r.machine.cpuModel)}, ${r.machine.memoryMb} MB, Node ${escapeHtml(r.machine.node)})</p>
<h2>Summary</h2><pre>${escapeHtml(summaryTable(r))}</pre>
<h2>Charts</h2><div class="charts">${charts.join('\n')}</div>
<h2>Configuration</h2><pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre>
<h2>Results</h2><pre>${escapeHtml(JSON.stringify(r.results, null, 2))}</pre>
</body></html>
`;
}

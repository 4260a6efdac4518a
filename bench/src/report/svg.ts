/**
 * Minimal self-contained SVG charts for the HTML report (no script, no CDN): a line chart over
 * time and a bar chart for latency histograms.
 */
const W = 640;
const H = 220;
const PAD = { l: 56, r: 12, t: 12, b: 36 };
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${Math.round(v / 100) / 10}k` : String(Math.round(v * 100) / 100));

export function lineChart(
  title: string,
  xs: number[],
  series: Array<{ name: string; values: Array<number | null> }>,
  xLabel = 's',
): string {
  const xMax = Math.max(1, ...xs);
  const yMax = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const x = (v: number) => PAD.l + (v / xMax) * (W - PAD.l - PAD.r);
  const y = (v: number) => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(
      `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${PAD.l - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const v = (xMax * i) / 5;
    parts.push(`<text x="${x(v)}" y="${H - PAD.b + 16}" text-anchor="middle">${fmt(v)}${xLabel}</text>`);
  }
  series.forEach((s, si) => {
    const pts = s.values
      .map((v, i) => (v === null || xs[i] === undefined ? null : `${x(xs[i] as number).toFixed(1)},${y(v).toFixed(1)}`))
      .filter((p): p is string => p !== null);
    if (pts.length)
      parts.push(`<polyline fill="none" stroke="${COLORS[si % COLORS.length]}" stroke-width="1.8" points="${pts.join(' ')}"/>`);
  });
  const legend = series.map((s, si) => `<span style="color:${COLORS[si % COLORS.length]}">■</span> ${escapeHtml(s.name)}`).join(' &nbsp; ');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="11" font-family="sans-serif">${parts.join('')}</svg><div class="legend">${legend}</div></figure>`;
}

export function histogramChart(title: string, bins: Array<{ fromMs: number; toMs: number; share: number }>): string {
  if (bins.length === 0) return `<figure><figcaption>${escapeHtml(title)}</figcaption><p>no samples</p></figure>`;
  const yMax = niceMax(Math.max(...bins.map((b) => b.share * 100)));
  const bw = (W - PAD.l - PAD.r) / bins.length;
  const y = (v: number) => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(
      `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${PAD.l - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}%</text>`,
    );
  }
  bins.forEach((b, i) => {
    const x = PAD.l + i * bw;
    const top = y(b.share * 100);
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${(H - PAD.b - top).toFixed(1)}" fill="#2563eb"><title>${fmt(b.fromMs)}–${fmt(b.toMs)} ms: ${(b.share * 100).toFixed(1)}%</title></rect>`,
    );
    if (i % Math.ceil(bins.length / 8) === 0)
      parts.push(`<text x="${x.toFixed(1)}" y="${H - PAD.b + 16}" text-anchor="start">${fmt(b.fromMs)}</text>`);
  });
  parts.push(`<text x="${W - PAD.r}" y="${H - 4}" text-anchor="end">ms (log scale)</text>`);
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="11" font-family="sans-serif">${parts.join('')}</svg></figure>`;
}

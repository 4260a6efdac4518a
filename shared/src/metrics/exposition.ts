/**
 * Values of the samples of `name` whose labels include `labels`, read from Prometheus' text format —
 * for tests and reports that scrape a real /metrics. Label values are matched as written (escaped).
 */
export function sampleValues(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/([\w]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) values.push(Number(match[3]));
  }
  return values;
}

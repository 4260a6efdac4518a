/**
 * The fields every report must carry (bench/README.md "Report schema"), as dotted paths with the
 * type each must have. `reportSchemaProblems` lists what a report lacks; the smoke tests use it.
 */
export const REQUIRED_FIELDS: Array<[string, 'string' | 'number' | 'object' | 'boolean']> = [
  ['scenario', 'string'],
  ['config', 'object'],
  ['machine', 'object'],
  ['start', 'string'],
  ['end', 'string'],
  ['passed', 'boolean'],
  ['results', 'object'],
  ['results.shoppers', 'number'],
  ['results.connectedPeak', 'number'],
  ['results.joinLatencyMs.p50', 'number'],
  ['results.joinLatencyMs.p99', 'number'],
  ['results.joinLatencyMs.mean', 'number'],
  ['results.positionStalenessMs.p50', 'number'],
  ['results.positionStalenessMs.p99', 'number'],
  ['results.positionStalenessMs.max', 'number'],
  ['results.admission.configuredPerSec', 'number'],
  ['results.admission.achievedPerSec', 'number'],
  ['results.fairnessViolations', 'number'],
  ['results.orders.attempted', 'number'],
  ['results.orders.held', 'number'],
  ['results.orders.confirmed', 'number'],
  ['results.orders.soldOut', 'number'],
  ['results.orders.rejected', 'number'],
  ['results.orders.errors', 'number'],
  ['results.orders.throughputPerSec', 'number'],
  ['results.orders.latencyMs.p50', 'number'],
  ['results.orders.latencyMs.p90', 'number'],
  ['results.orders.latencyMs.p99', 'number'],
  ['results.orders.latencyMs.max', 'number'],
  ['results.orders.latencyMs.mean', 'number'],
  ['results.oversold', 'number'],
  ['results.lostOrders', 'number'],
  ['results.duplicateOrders', 'number'],
];

export function reportSchemaProblems(report: unknown): string[] {
  const problems: string[] = [];
  for (const [path, type] of REQUIRED_FIELDS) {
    const v = path.split('.').reduce<any>((o, k) => (o == null ? undefined : o[k]), report);
    if (typeof v !== type || v === null) problems.push(`${path}: expected ${type}, got ${v === null ? 'null' : typeof v}`);
  }
  return problems;
}

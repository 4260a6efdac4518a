/**
 * Figures computed from per-shopper records after the run.
 */

/**
 * Admission order vs arrival order. After the pre-queue draw every shopper holds a ticket and the
 * line is served in ticket order (arrivals after the opening get increasing tickets, so ticket order
 * is arrival order). A shopper counts as a violation when some shopper with a smaller ticket was
 * admitted more than `toleranceMs` after it — it jumped the line. Admissions go out in batches, so
 * within the tolerance order is not meaningful. Admission times are the server's (`at` of the
 * `admitted` frame), so client-side delivery delays do not count.
 */
export function fairnessViolations(admissions: Array<[number, number]>, toleranceMs: number): number {
  return fairness(admissions, toleranceMs).violations;
}

/** Violations, and by how much the worst one was jumped (ms beyond which a smaller ticket was still waiting). */
export function fairness(admissions: Array<[number, number]>, toleranceMs: number): { violations: number; worstMs: number } {
  const known = admissions.filter(([ticket]) => ticket >= 0).sort((a, b) => a[0] - b[0]);
  let latestBefore = Number.NEGATIVE_INFINITY;
  let violations = 0;
  let worstMs = 0;
  for (const [, at] of known) {
    if (latestBefore > at + toleranceMs) {
      violations++;
      worstMs = Math.max(worstMs, latestBefore - at);
    }
    if (at > latestBefore) latestBefore = at;
  }
  return { violations, worstMs };
}

/** Admissions per second over the span from the first to the last admission. */
export function achievedRate(admissions: Array<[number, number]>): { perSec: number; spanMs: number } {
  if (admissions.length < 2) return { perSec: 0, spanMs: 0 };
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const [, at] of admissions) {
    if (at < first) first = at;
    if (at > last) last = at;
  }
  const spanMs = last - first;
  return { perSec: spanMs > 0 ? Math.round(((admissions.length - 1) / spanMs) * 1000 * 10) / 10 : 0, spanMs };
}

/** Tickets handed out twice (two shoppers admitted with the same ticket) — should never happen. */
export function duplicateTickets(admissions: Array<[number, number]>): number {
  const seen = new Set<number>();
  let dup = 0;
  for (const [ticket] of admissions) {
    if (ticket < 0) continue;
    if (seen.has(ticket)) dup++;
    seen.add(ticket);
  }
  return dup;
}

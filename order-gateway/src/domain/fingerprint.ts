import { hash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so two bodies that mean the same thing (keys in a
 * different order, different whitespace) fingerprint the same.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What an idempotency key is bound to: sha256 over method, path and canonical body. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  // One-shot hash (no Hash object per order); the same bytes as before, so existing records still match.
  return hash('sha256', `${method.toUpperCase()}\n${path}\n${canonicalJson(body)}`, 'hex');
}

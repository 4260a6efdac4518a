import { hash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so two bodies that mean the same thing (keys in a
 * different order, different whitespace) fingerprint the same.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  // Loops and string appends rather than entries/filter/sort/map/join: it runs once per order, and
  // the output must stay byte-for-byte what stored idempotency records were fingerprinted with
  // (domain.test.ts compares it with the original formulation).
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]) ?? ''; // as join() writes an undefined element
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

/** What an idempotency key is bound to: sha256 over method, path and canonical body. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  // One-shot hash (no Hash object per order); the same bytes as before, so existing records still match.
  return hash('sha256', `${method.toUpperCase()}\n${path}\n${canonicalJson(body)}`, 'hex');
}

import { randomUUID } from 'node:crypto';
import type { AbuseCase } from '../load/abuse-worker.js';
import type { ForgedTokens } from './forged-tokens.js';

/**
 * The hostile requests of gateway-abuse, each with the status that is the right answer to it
 * (bench/README.md lists them). Cases that need a real signature borrow a legitimate shopper's token.
 */
export function abuseCases(o: {
  promotionId: string;
  otherPromotionId: string;
  sku: string;
  legit: { token: string };
  forged: ForgedTokens;
  replay: { key: string; sku: string; token?: string };
}): AbuseCase[] {
  const body = JSON.stringify({ promotionId: o.promotionId, lines: [{ sku: o.sku, quantity: 1 }] });
  const withToken = (token: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    'idempotency-key': randomUUID(),
    ...extra,
  });
  const bad = (kind: string, token: string): AbuseCase => ({
    kind,
    method: 'POST',
    path: '/orders',
    headers: withToken(token),
    body,
    expect: [401],
  });
  const replayToken = o.replay.token ?? o.legit.token;
  return [
    bad('forged-es256', o.forged.forgedEs256),
    bad('forged-unknown-kid', o.forged.forgedUnknownKid),
    bad('alg-none', o.forged.algNone),
    bad('hs256-key-confusion', o.forged.hs256KeyConfusion),
    bad('expired', o.forged.expired),
    bad('wrong-audience', o.forged.wrongAudience),
    bad('wrong-issuer', o.forged.wrongIssuer),
    bad('tampered-claims', o.forged.tampered),
    bad('garbage-token', 'not.a.jwt'),
    {
      kind: 'no-token',
      method: 'POST',
      path: '/orders',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body,
      expect: [401],
    },
    {
      kind: 'replayed-other-promotion',
      method: 'POST',
      path: '/orders',
      headers: withToken(o.legit.token),
      body: JSON.stringify({ promotionId: o.otherPromotionId, lines: [{ sku: o.sku, quantity: 1 }] }),
      expect: [403, 401],
    },
    {
      kind: 'replayed-key-other-body',
      method: 'POST',
      path: '/orders',
      headers: { ...withToken(replayToken), 'idempotency-key': o.replay.key },
      body: JSON.stringify({ promotionId: o.promotionId, lines: [{ sku: o.replay.sku, quantity: 2 }] }),
      expect: [422],
    },
    {
      // The same request again: an idempotent replay answers the original order and never holds more stock.
      kind: 'replayed-same-request',
      method: 'POST',
      path: '/orders',
      headers: { ...withToken(replayToken), 'idempotency-key': o.replay.key },
      body: JSON.stringify({ promotionId: o.promotionId, lines: [{ sku: o.replay.sku, quantity: 1 }] }),
      expect: [200, 201],
    },
    {
      kind: 'malformed-json',
      method: 'POST',
      path: '/orders',
      headers: withToken(o.legit.token),
      body: '{"promotionId": "x", "lines": [',
      expect: [400],
    },
    {
      kind: 'malformed-no-lines',
      method: 'POST',
      path: '/orders',
      headers: withToken(o.legit.token),
      body: JSON.stringify({ promotionId: o.promotionId }),
      expect: [400],
    },
    {
      kind: 'malformed-quantity',
      method: 'POST',
      path: '/orders',
      headers: withToken(o.legit.token),
      body: JSON.stringify({ promotionId: o.promotionId, lines: [{ sku: o.sku, quantity: -5 }] }),
      expect: [400],
    },
    {
      kind: 'oversized-body',
      method: 'POST',
      path: '/orders',
      headers: withToken(o.legit.token),
      body: JSON.stringify({ promotionId: o.promotionId, lines: [{ sku: o.sku, quantity: 1 }], pad: 'x'.repeat(200_000) }),
      expect: [400, 413],
    },
  ];
}

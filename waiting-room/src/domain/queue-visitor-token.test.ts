import { describe, expect, it } from 'vitest';
import { createVisitorTokens } from './queue-visitor-token.js';

const tokens = createVisitorTokens('a-secret-of-at-least-16-chars', 3_600);

describe('visitor token', () => {
  it('binds a shopper to a promotion and verifies', () => {
    const { token, claims } = tokens.issue('promo-1');
    const check = tokens.verify(token, 'promo-1');
    expect(check).toEqual({ ok: true, claims });
  });

  it('rejects a token signed with another secret, a tampered payload and garbage', () => {
    const other = createVisitorTokens('another-secret-of-16-chars', 3_600).issue('promo-1').token;
    expect(tokens.verify(other, 'promo-1')).toMatchObject({ ok: false, code: 'VISITOR_TOKEN_INVALID' });
    const { token } = tokens.issue('promo-1');
    const [payload, sig] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), s: 'someone-else' })).toString(
      'base64url',
    );
    expect(tokens.verify(`${forged}.${sig}`, 'promo-1')).toMatchObject({ ok: false, code: 'VISITOR_TOKEN_INVALID' });
    for (const bad of ['', 'x', 'a.b.c', '!!.??', `${payload}.`]) {
      expect(tokens.verify(bad, 'promo-1')).toMatchObject({ ok: false, code: 'VISITOR_TOKEN_INVALID' });
    }
  });

  it('rejects an expired token and one from another promotion', () => {
    const { token } = tokens.issue('promo-1', Date.now() - 3_601_000);
    expect(tokens.verify(token, 'promo-1')).toMatchObject({ ok: false, code: 'VISITOR_TOKEN_EXPIRED' });
    expect(tokens.verify(tokens.issue('promo-2').token, 'promo-1')).toMatchObject({ ok: false, code: 'VISITOR_TOKEN_WRONG_PROMOTION' });
  });
});

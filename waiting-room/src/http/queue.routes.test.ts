import { uniqueName, waitFor } from '@flashgate/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestSigner,
  deleteKeys,
  MapDirectory,
  makePromotion,
  type QueueNode,
  startQueueNode,
  type TestSigner,
  testConfig,
} from '../ws/queue-test-kit.js';

const directory = new MapDirectory();
let node: QueueNode;
let signer: TestSigner;

interface Body {
  visitorToken: string;
  shopperId: string;
  state: string;
  admissionToken?: string;
  error?: { code: string };
}
const json = async (r: Response | Promise<Response>): Promise<Body> => (await (await r).json()) as Body;

const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${node.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const status = (id: string, token?: string) =>
  fetch(`${node.url}/queue/${id}/status`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

beforeAll(async () => {
  signer = await createTestSigner();
  node = await startQueueNode({
    config: testConfig({ QUEUE_TICK_MS: '200', QUEUE_ADMIT_INTERVAL_MS: '50', JOIN_BURST_PER_IP: '1000', JOIN_RATE_PER_IP: '1000' }),
    directory,
    signer,
  });
});

afterAll(async () => {
  await deleteKeys(node.redis, node.config.REDIS_KEY_PREFIX);
  await node.close();
});

describe('polling clients', () => {
  it('join and status follow the same semantics as the socket, up to the admission token', async () => {
    const p = directory.put(makePromotion({ admissionRatePerSec: 0.01 }));
    const first = await json(post(`/queue/${p.id}/join`, {}));
    const res = await post(`/queue/${p.id}/join`, {});
    expect(res.status).toBe(200);
    const second = await json(res);
    expect(second).toMatchObject({ promotionId: p.id, ticket: 2, state: 'waiting', ahead: 1 });
    // Joining again with the token keeps the place.
    expect(await json(post(`/queue/${p.id}/join`, { visitorToken: second.visitorToken }))).toMatchObject({ ticket: 2 });

    await waitFor(() => node.runtime.hub.latestTick(p.id)?.waiting === 2, { what: 'tick' });
    const st = await status(p.id, second.visitorToken);
    expect(st.status).toBe(200);
    expect(st.headers.get('cache-control')).toBe('no-store');
    expect(await json(st)).toMatchObject({ state: 'waiting', ticket: 2, ahead: 1 });

    // The admitter speeds up: the first shopper's poll returns the admission JWT.
    directory.update(p.id, { admissionRatePerSec: 50 });
    const admitted = await waitFor(
      async () => {
        const body = await json(status(p.id, first.visitorToken));
        return body.state === 'admitted' ? body : undefined;
      },
      { what: 'admitted' },
    );
    expect(await signer.verify(admitted.admissionToken as string)).toMatchObject({ sub: first.shopperId, promotion_id: p.id });
    const again = await json(status(p.id, first.visitorToken));
    expect(again.admissionToken).toBe(admitted.admissionToken);
  });

  it('rejects bad input with precise codes', async () => {
    const p = directory.put(makePromotion());
    const cases: Array<[Promise<Response>, number, string]> = [
      [post(`/queue/${p.id}/join`, '{oops'), 400, 'MALFORMED_JSON'],
      [post(`/queue/${p.id}/join`, {}, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [post(`/queue/${p.id}/join`, { visitorToken: 7 }), 400, 'VALIDATION_FAILED'],
      [post(`/queue/${p.id}/join`, { extra: true }), 400, 'VALIDATION_FAILED'],
      [post(`/queue/${p.id}/join`, { visitorToken: 'forged.token' }), 401, 'VISITOR_TOKEN_INVALID'],
      [post(`/queue/${uniqueName('missing')}/join`, {}), 404, 'PROMOTION_NOT_FOUND'],
      [post('/queue/bad$id/join', {}), 400, 'VALIDATION_FAILED'],
      [status(p.id), 401, 'VISITOR_TOKEN_MISSING'],
      [status(p.id, 'forged.token'), 401, 'VISITOR_TOKEN_INVALID'],
    ];
    for (const [pending, code, errorCode] of cases) {
      const res = await pending;
      const body = await json(res);
      expect({ status: res.status, code: body.error?.code }).toEqual({ status: code, code: errorCode });
    }
    // A valid token whose place was given up.
    const joined = await json(post(`/queue/${p.id}/join`, {}));
    await node.runtime.service.leave(p.id, joined.shopperId);
    const gone = await status(p.id, joined.visitorToken);
    expect(gone.status).toBe(404);
    expect((await json(gone)).error?.code).toBe('NOT_IN_QUEUE');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsServer, startNats } from '@flashgate/infra/servers';
import { natsNames, promotionSnapshotSchema } from '@flashgate/shared/contracts';
import { waitFor } from '@flashgate/shared/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { promotionBody, promotionsTestEnv, type PromotionsTestEnv, type TestNode } from '../../promotions.test-fixture.js';

let dir: string;
let nats: NatsServer;
let env: PromotionsTestEnv;
let node: TestNode;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-wr-outage-'));
  nats = await startNats({ dir });
  env = await promotionsTestEnv();
  node = await env.startNode({ natsUrl: nats.url });
});
afterAll(async () => {
  await env?.cleanup();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('a change made while NATS is down is kept in Postgres and reaches the stream once NATS is back', async () => {
  await nats.stop();
  const created = await node.admin('POST', '/admin/promotions', promotionBody({ id: 'during-outage' }));
  expect(created.status).toBe(201);
  expect((await node.admin('GET', '/admin/promotions/during-outage')).body.version).toBe(1);

  nats = await startNats({ dir, port: nats.port });
  await waitFor(async () => !node.nc.isClosed() && (await node.nc.flush().then(() => true)), { timeoutMs: 10_000, what: 'reconnect' });
  const names = natsNames(env.prefix);
  const snapshot = await waitFor(
    async () => {
      await node.runtime.republish();
      const jsm = await jetstreamManager(node.nc);
      const msg = await jsm.streams.getMessage(names.streams.promotions, {
        last_by_subj: names.subjects.promotionSnapshot('during-outage'),
      });
      return msg ? promotionSnapshotSchema.parse(msg.json()) : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 250, what: 'the snapshot after the outage' },
  );
  expect(snapshot).toMatchObject({ promotionId: 'during-outage', version: 1 });
});

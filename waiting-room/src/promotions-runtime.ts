import { natsNames } from '@flashgate/shared/contracts';
import type { Logger } from '@flashgate/shared/logger';
import { Counter, type ServiceMetrics } from '@flashgate/shared/metrics';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { PromotionRepository } from './adapters/db/promotion.repository.js';
import { SigningKeyRepository } from './adapters/db/signing-key.repository.js';
import { KeyRing } from './adapters/keys/key-ring.js';
import { NatsPromotionChanges } from './adapters/nats/promotion-changes.js';
import { NatsPromotionPublisher, republishSnapshots } from './adapters/nats/promotion-publisher.js';
import { PromotionSnapshotPublisher } from './adapters/nats/promotion-snapshots.js';
import type { Config } from './config.js';
import { CachedPromotionDirectory } from './domain/promotion-directory.js';
import { MAX_TOKEN_TTL_SECONDS } from './domain/promotion-input.js';
import { registerPromotionStateGauge } from './domain/promotion-metrics.js';
import { PromotionService } from './domain/promotion-service.js';

/** How soon after a window opens or ends its new phase is written and published as a new version. */
const PHASE_TICK_MS = 250;

export type PromotionsConfig = Pick<
  Config,
  | 'NATS_SUBJECT_PREFIX'
  | 'KEY_ROTATION_HOURS'
  | 'KEY_PUBLISH_AHEAD_SECONDS'
  | 'KEY_CLOCK_SKEW_SECONDS'
  | 'PROMOTION_REFRESH_MS'
  | 'PROMOTION_REPUBLISH_SECONDS'
>;

export interface PromotionsRuntime {
  /** Read side for the queue engine (PromotionDirectory). */
  directory: CachedPromotionDirectory;
  /** AdmissionSigner for the queue engine; also serves the JWKS and rotates keys. */
  keyRing: KeyRing;
  service: PromotionService;
  republish: () => Promise<{ sent: number; fresh: number; failed: number }>;
  start: () => Promise<void>;
  stop: () => void;
}

/**
 * Wires promotions and admission keys: Postgres repositories, the cached directory fed by core NATS,
 * the JetStream snapshot hand-off with its republisher, and the key ring. start() loads the caches
 * and makes sure a signing key exists before the node serves traffic.
 */
export function createPromotionsRuntime(deps: {
  config: PromotionsConfig;
  db: Kysely<any>;
  nc: NatsConnection;
  logger: Logger;
  metrics?: ServiceMetrics;
  clock?: () => Date;
}): PromotionsRuntime {
  const { config, logger } = deps;
  const names = natsNames(config.NATS_SUBJECT_PREFIX);
  const onError = (err: unknown, context: string) => logger.warn({ err: (err as Error)?.message ?? String(err) }, context);
  const repo = new PromotionRepository(deps.db);
  const changes = new NatsPromotionChanges(deps.nc, names, onError);
  const snapshotCounter =
    deps.metrics &&
    new Counter({
      name: 'promotion_snapshots_total',
      help: 'Promotion snapshots sent to JetStream, by result (stored, duplicate = dropped by msgID, failed)',
      labelNames: ['result'] as const,
      registers: [deps.metrics.registry],
    });
  const keysCreated =
    deps.metrics &&
    new Counter({
      name: 'admission_signing_keys_created_total',
      help: 'Admission signing keys this node created (scheduled or on-demand rotation)',
      registers: [deps.metrics.registry],
    });
  const snapshots = new PromotionSnapshotPublisher(deps.nc, names, (result) => snapshotCounter?.inc({ result }));
  const directory = new CachedPromotionDirectory({ source: repo, feed: changes, refreshMs: config.PROMOTION_REFRESH_MS, onError });
  const service = new PromotionService({
    store: repo,
    publisher: new NatsPromotionPublisher({ changes, snapshots, logger }),
    onWritten: (p) => directory.note(p),
    clock: deps.clock,
  });
  const publishAheadMs = config.KEY_PUBLISH_AHEAD_SECONDS * 1000;
  const keyRing = new KeyRing({
    repo: new SigningKeyRepository(deps.db),
    policy: {
      publishAheadMs,
      rotationMs: config.KEY_ROTATION_HOURS * 3_600_000,
      retainMs: (MAX_TOKEN_TTL_SECONDS + config.KEY_CLOCK_SKEW_SECONDS) * 1000,
      clockSkewMs: config.KEY_CLOCK_SKEW_SECONDS * 1000,
    },
    // Every node must have loaded a new key well before it starts signing with it.
    refreshMs: Math.min(10_000, Math.max(100, Math.floor(publishAheadMs / 4))),
    logger,
    clock: deps.clock,
    onCreated: () => keysCreated?.inc(),
  });
  if (deps.metrics) registerPromotionStateGauge(deps.metrics.registry, () => directory.list(), deps.clock);

  const republish = () => republishSnapshots(repo, snapshots, logger);
  let timer: NodeJS.Timeout | undefined;
  let phaseTimer: NodeJS.Timeout | undefined;
  let advancing = false;
  const advancePhases = async () => {
    if (advancing) return; // a slow round (Postgres lagging) must not pile up behind itself
    advancing = true;
    try {
      await service.advancePhases(directory.list());
    } catch (err) {
      onError(err, 'advance promotion phases');
    } finally {
      advancing = false;
    }
  };
  return {
    directory,
    keyRing,
    service,
    republish,
    start: async () => {
      await keyRing.start();
      await directory.start();
      await changes.flush();
      try {
        await snapshots.ensureStream();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'promotions stream not ensured yet; publishing will retry');
      }
      timer = setInterval(() => {
        republish().catch((err) => onError(err, 'republish promotion snapshots'));
      }, config.PROMOTION_REPUBLISH_SECONDS * 1000);
      timer.unref();
      phaseTimer = setInterval(() => void advancePhases(), PHASE_TICK_MS);
      phaseTimer.unref();
    },
    stop: () => {
      clearInterval(timer);
      clearInterval(phaseTimer);
      directory.stop();
      keyRing.stop();
    },
  };
}
